/**
 * What both pairs of callables share: where the Otp, the Auth client and the client IP come from,
 * and the `onCall` options that pass straight through to Firebase.
 */
import { OtpError, type OtpSource, resolveOtp, type SendResult } from "@otpkit/otp-core";
import { type Auth, getAuth } from "firebase-admin/auth";
import type { CallableOptions, CallableRequest } from "firebase-functions/v2/https";
import { logFailure, refusal } from "./errors.js";

export interface SharedCallableOptions extends CallableOptions {
  /**
   * The otp-core instance, or a function making it on the first call, with that call's request
   * (read `defineSecret(…).value()` there: secrets exist only at runtime, never at deploy-time
   * module load). Required.
   */
  otp: OtpSource<CallableRequest>;
  /**
   * The Firebase Auth Admin client the phone number is written through. Default: `getAuth()` of
   * the default app (call `initializeApp()` first), on first use.
   */
  auth?: Auth;
  /**
   * The client IP for per-IP limits (core canonicalises it; IPv6 counts per /64). Default:
   * `request.rawRequest.ip`: Cloud Functions' request IP, read by its framework from the
   * `X-Forwarded-For` header Google's front end writes. Behind a proxy of your own (Firebase
   * Hosting rewrites, a CDN) give the header that proxy guarantees. `undefined` counts the call
   * against `limits.withoutIp` instead (the emulator never has an IP).
   */
  getClientIp?: (request: CallableRequest) => string | undefined | null;
  /**
   * Told about every failure that is not the client's (the SMS provider, Firestore or Firebase Auth
   * down, a bug), with its cause. Clients only see a generic message. Default: one
   * `firebase-functions/logger` error entry, leaving out a provider's error text (it can quote the
   * SMS).
   */
  onError?: (error: OtpError) => void;
}

/** The otpkit options taken out before the rest goes to `onCall` unchanged. */
export function splitOptions<Options extends SharedCallableOptions>(options: Options) {
  const { otp, auth, getClientIp, onError, ...rest } = options;
  return {
    getOtp: resolveOtp(otp),
    getAuth: () => auth ?? getAuth(),
    clientIp: (request: CallableRequest) =>
      (getClientIp ? getClientIp(request) : request.rawRequest?.ip) ?? undefined,
    onError: onError ?? logFailure,
    rest,
  };
}

/** The request's data as an object (anything else reads as `{}`, so core reports the missing field). */
export const dataOf = (request: CallableRequest): Record<string, unknown> =>
  typeof request.data === "object" && request.data !== null && !Array.isArray(request.data)
    ? (request.data as Record<string, unknown>)
    : {};

/**
 * With `consumeAppCheckToken`, Firebase marks a token it has seen before (`alreadyConsumed`) but
 * still runs the handler: a replayed token is refused here, before anything is sent or checked.
 */
export function refuseReplayedAppCheck(request: CallableRequest): void {
  if (request.app?.alreadyConsumed)
    throw refusal("permission-denied", "This App Check token was already used.", "app_check_replayed");
}

/** The signed-in user, from the verified ID token: never from the request's data. */
export function signedInUser(request: CallableRequest): string {
  const uid = request.auth?.uid;
  if (!uid) throw new OtpError("unauthorized", "Sign in first.");
  return uid;
}

/** A Firebase Admin error's code (`auth/phone-number-already-exists`, …), if it has one. */
export const adminCode = (error: unknown): unknown => (error as { code?: unknown } | null)?.code;

/** What both send callables answer. */
export interface SendSmsVerificationResult {
  status: "sent";
  /** The normalised E.164 number the code went to. */
  phone: string;
  /** For display, e.g. `+1 ***-***-0123`. */
  maskedPhone: string;
  /** ISO 8601: the code is accepted strictly before this instant. */
  expiresAt: string;
  /** ISO 8601: when a resend can be asked for. */
  resendAvailableAt: string;
}

/** A send's result as a callable answers it: JSON-safe, and never the verification id or the code. */
export const sendReply = (sent: SendResult): SendSmsVerificationResult => ({
  status: "sent",
  phone: sent.phone,
  maskedPhone: sent.maskedPhone,
  expiresAt: sent.expiresAt.toISOString(),
  resendAvailableAt: sent.resendAvailableAt.toISOString(),
});
