export {
  OtpClientError,
  type RequestCodeOptions,
  requestCode,
  type SentCode,
  toErrorInfo,
} from "./client.js";
export { CodeInput, type CodeInputProps } from "./code-input.js";
export { defaultLabels, type OtpLabels } from "./labels.js";
export {
  defaultMessages,
  errorMessage,
  formatWait,
  type MessageTemplate,
  type OtpErrorInfo,
  type OtpMessages,
} from "./messages.js";
export { OtpFlow, type OtpFlowProps } from "./otp-flow.js";
export { PhoneForm, type PhoneFormProps } from "./phone-form.js";
export { ResendButton, type ResendButtonProps } from "./resend-button.js";
export { OtpStyles, otpkitCss } from "./styles.js";
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
