/**
 * `@otpkit/clerk`: SMS one-time codes for Clerk, two ways.
 *
 * Mode A — otpkit owns the code (Next.js App Router, `@clerk/nextjs`):
 *
 *   // app/api/phone/route.ts
 *   export const { POST, PATCH } = createPhoneVerificationRoutes({ otp: getOtp });
 *
 * Mode B — Clerk owns the code, your provider delivers it (`sms.created`, "Delivered by Clerk" off):
 *
 *   // app/api/webhooks/clerk-sms/route.ts
 *   export const POST = createSmsWebhook({ otp: getOtp });
 *
 * @module
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
  type SendResult,
  type Store,
  type VerifyResult,
} from "@otpkit/otp-core";
export type { ClerkClient, ClerkClientSource } from "./clerk-api.js";
export { type SvixAnswer, svixAnswer } from "./errors.js";
export {
  createPhoneSignInRoutes,
  createPhoneVerificationRoutes,
  type PhoneSignInRoutesOptions,
  type PhoneVerificationRoutes,
  type PhoneVerificationRoutesOptions,
  type RouteHandler,
} from "./routes.js";
export {
  type ClerkSmsEvent,
  type ClerkSmsMessage,
  createSmsWebhook,
  type SmsDrop,
  type SmsDropReason,
  type SmsWebhookOptions,
} from "./webhook.js";
