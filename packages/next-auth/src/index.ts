// One import for the app: the core's error, factory and types come along.
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
  type SendResult,
  type Store,
  type VerifyResult,
} from "@otpkit/otp-core";
export { SmsOtpProvider, type SmsOtpProviderOptions, type SmsOtpUser, userNotFound } from "./provider.js";
export { createPagesSendHandler, createSendRoute, type SendRouteOptions } from "./routes.js";
