/**
 * `@otpkit/firebase`: SMS one-time codes for Firebase on your own SMS provider, as v2 callables.
 *
 * ## Installation
 *
 *   npm install @otpkit/firebase @otpkit/otp-core firebase-admin firebase-functions
 *
 * ## Usage (functions/src/index.ts)
 *
 *   import { createCallables, createOtp, createSignInCallables, unosend } from "@otpkit/firebase";
 *   import { firestoreStore } from "@otpkit/firebase/store";
 *   import { initializeApp } from "firebase-admin/app";
 *   import { getFirestore } from "firebase-admin/firestore";
 *   import { defineSecret } from "firebase-functions/params";
 *
 *   initializeApp();
 *   const otpSecret = defineSecret("OTP_SECRET");
 *   const smsKey = defineSecret("UNOSEND_API_KEY");
 *   const otp = () => createOtp({
 *     secret: otpSecret.value(), production: true,
 *     store: firestoreStore({ firestore: getFirestore() }),
 *     sender: unosend({ apiKey: smsKey.value() }),
 *   });
 *   export const { sendSMSVerification, verifySMSCode } = createCallables({ otp, secrets: [otpSecret, smsKey] });
 *   export const { sendSignInCode, signInWithSms } = createSignInCallables({ otp, secrets: [otpSecret, smsKey] });
 *
 * @module
 */
export {
  countryPolicy,
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
  unosend,
  type VerifyResult,
} from "@otpkit/otp-core";
export { type CallablesOptions, createCallables, type VerifySmsCodeResult } from "./callables.js";
export {
  httpsErrorCodes,
  httpsErrorFrom,
  logFailure,
  type RefusalDetails,
  type RefusalReason,
  toHttpsError,
} from "./errors.js";
export type { SendSmsVerificationResult, SharedCallableOptions } from "./options.js";
export { createSignInCallables, type SignInCallablesOptions, type SignInWithSmsResult } from "./sign-in.js";
