/**
 * @module @otpkit/auth0
 *
 * ## Installation
 *
 * ```sh
 * pnpm add @otpkit/auth0 @otpkit/otp-core
 * ```
 *
 * ## Usage
 *
 * The prebuilt Actions in `dist/actions/*.cjs` are pasted into Auth0 as they are (configured by
 * their secrets). Your own Action, bundled to CommonJS:
 *
 * ```ts
 * import { createCustomPhoneProvider, otpFromSecrets } from "@otpkit/auth0";
 * module.exports = createCustomPhoneProvider({ otp: (event) => otpFromSecrets(event.secrets) });
 * ```
 *
 * The step-up's verify page: `createStepUpHandler({ otp, secret })` → `{ send, check }`.
 */
export {
  createOtp,
  createOtpFromEnv,
  isOtpError,
  type Otp,
  OtpError,
  type OtpErrorCode,
  type OtpEvent,
  type OtpOptions,
  type OtpSource,
  type Purpose,
  type Store,
} from "@otpkit/otp-core";
export {
  type DeliveryFailure,
  deliveryFailure,
  type NotificationOutcome,
  notificationOutcome,
} from "./errors.js";
export { dedupeKey, type NotificationOptions, voiceRefusal } from "./notification.js";
export {
  type CustomPhoneProvider,
  type CustomPhoneProviderOptions,
  createCustomPhoneProvider,
  createSendPhoneMessage,
  type SendPhoneMessage,
  type SendPhoneMessageOptions,
  toPhoneNotification,
} from "./phone-provider.js";
export { memoryStoreAllowed, otpFromSecrets, secretNames, templateFromSecrets } from "./secrets.js";
export { createStepUp, denyReasons, type Setting, type StepUp, type StepUpOptions } from "./step-up.js";
export { sessionTokenUse, tokenParameter, verifiedTokenUse } from "./step-up-claims.js";
export {
  createStepUpHandler,
  type StepUpClaims,
  type StepUpHandler,
  type StepUpHandlerOptions,
  stateHeader,
} from "./step-up-handler.js";
export type * from "./types.js";
export { messageTypes } from "./types.js";
