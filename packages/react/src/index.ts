export {
  OtpClientError,
  type RequestCodeOptions,
  requestCode,
  type SentCode,
  toErrorInfo,
} from "./client.js";
export { CodeInput, type CodeInputProps } from "./code-input.js";
export {
  allCountries,
  countryName,
  defaultCountryFor,
  dialCodes,
  flagOf,
  resolveCountries,
} from "./countries.js";
export { CountrySelect, type CountrySelectProps } from "./country-select.js";
export { ErrorText, type ErrorTextProps, useLiveError } from "./error-text.js";
export {
  englishLocale,
  loadLocale,
  type OtpLocale,
  pickLocale,
  type SupportedLocale,
  supportedLocales,
  useOtpLocale,
} from "./i18n.js";
export { defaultLabels, type OtpLabels } from "./labels.js";
export {
  buildMessages,
  type ClientErrorCode,
  defaultMessages,
  englishTexts,
  errorMessage,
  formatWait,
  type KnownErrorCode,
  liveWait,
  type MessageTemplate,
  type MessageTexts,
  type OtpErrorInfo,
  type OtpMessages,
} from "./messages.js";
export { OtpFlow, type OtpFlowProps } from "./otp-flow.js";
export { type PhoneEntry, PhoneForm, type PhoneFormProps } from "./phone-form.js";
export { formatAsYouType, loadPhoneLibrary, type PhoneLibrary, toE164 } from "./phone-format.js";
export { ResendButton, type ResendButtonProps } from "./resend-button.js";
export { OtpCountryStyles, OtpStyles, otpkitCountryCss, otpkitCss } from "./styles.js";
export {
  type CodeInputElementProps,
  type CodeInputState,
  extractDigits,
  type UseCodeInputOptions,
  useCodeInput,
} from "./use-code-input.js";
export {
  type OtpFlowState,
  type OtpFlowStep,
  type UseOtpFlowOptions,
  useOtpFlow,
  type VerifyInput,
} from "./use-otp-flow.js";
export {
  type ResendCountdown,
  type UseResendCountdownOptions,
  useResendCountdown,
} from "./use-resend-countdown.js";
