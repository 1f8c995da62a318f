/**
 * Every otpkit error code → one `HttpsError` code. `satisfies Record<OtpErrorCode, …>` makes this
 * table compiler-checked: a code added to core fails this package's typecheck until it is mapped
 * here. The Firebase SDKs turn the `HttpsError` code into the HTTP status (429, 400, 503, …) and
 * `FunctionsError.code` (`functions/resource-exhausted`) on the client.
 */
import { isOtpError, type OtpError, type OtpErrorCode, publicError } from "@otpkit/otp-core";
import { logger } from "firebase-functions/logger";
import { type FunctionsErrorCode, HttpsError } from "firebase-functions/v2/https";

export const httpsErrorCodes = {
  // Client input: always a 4xx-class code, never `internal`.
  invalid_request: "invalid-argument",
  invalid_phone: "invalid-argument",
  unauthorized: "unauthenticated",
  // The provider's (or the app's) SMS quota: a budget is spent, like a rate limit.
  quota_exceeded: "resource-exhausted",
  blocked: "permission-denied",
  idempotency_mismatch: "failed-precondition",
  challenge_required: "failed-precondition",
  not_found: "not-found",
  user_not_found: "not-found",
  // The callable protocol is POST-only and the SDK parses the body: these three never reach a
  // callable, but every code needs an answer.
  method_not_allowed: "invalid-argument",
  payload_too_large: "invalid-argument",
  unsupported_media_type: "invalid-argument",
  phone_in_use: "already-exists",
  // `failed-precondition` (400): the code's precondition, being alive, no longer holds.
  // `deadline-exceeded` would be 504, which reads as a server timeout.
  expired: "failed-precondition",
  invalid_code: "invalid-argument",
  rate_limited: "resource-exhausted",
  too_many_attempts: "resource-exhausted",
  // otpkit or the app is broken: the only codes that become `internal`.
  invalid_config: "internal",
  internal_error: "internal",
  // Something behind the function failed (the SMS provider, Firebase Auth, Firestore): 503,
  // the answer Firebase's SDKs and people read as "try again later".
  send_failed: "unavailable",
  platform_error: "unavailable",
  store_unavailable: "unavailable",
} as const satisfies Record<OtpErrorCode, FunctionsErrorCode>;

/**
 * Why a callable refused, in `HttpsError.details.reason`: an otpkit error code, or one of the
 * adapter's own refusals (a replayed App Check token; passwordless sign-in for a number without an
 * account when sign-up is off; a disabled account).
 */
export type RefusalReason = OtpErrorCode | "app_check_replayed" | "user_disabled";

/**
 * What a client sees in `error.details`: the reason, and the numbers it needs to act on (when to
 * ask again, how many guesses are left, which field was wrong). Never a code, never a cause.
 */
export interface RefusalDetails {
  reason: RefusalReason;
  /** Seconds until the same request can succeed (`rate_limited`). */
  retryAfter?: number;
  /** Guesses left on the current code (`invalid_code`; 0 for `too_many_attempts`). */
  attemptsLeft?: number;
  /** The request field that was refused (`invalid_request`, `invalid_phone`). */
  field?: string;
}

/** The `HttpsError` for an `OtpError` (its code through `httpsErrorCodes`, its numbers in `details`). */
export function httpsErrorFrom(error: OtpError): HttpsError {
  const details: RefusalDetails = { reason: error.code };
  if (error.retryAfter !== undefined) details.retryAfter = error.retryAfter;
  if (error.attemptsLeft !== undefined) details.attemptsLeft = error.attemptsLeft;
  if (error.field !== undefined) details.field = error.field;
  return new HttpsError(httpsErrorCodes[error.code], error.message, details);
}

/** An adapter refusal that is not an otpkit error. */
export const refusal = (code: FunctionsErrorCode, message: string, reason: RefusalReason) =>
  new HttpsError(code, message, { reason } satisfies RefusalDetails);

/**
 * Turns whatever a callable's work threw into the `HttpsError` to answer: an `HttpsError` as it
 * is, an `OtpError` through the table, anything else as `internal` (`publicError`: its text, which
 * may hold internals, never reaches the client). Failures that are not the client's (5xx-class)
 * go to `onError` first, with their cause, for the operator.
 */
export function toHttpsError(error: unknown, onError: (error: OtpError) => void = logFailure): HttpsError {
  if (error instanceof HttpsError) return error;
  const otpError = publicError(error);
  if (otpError.status >= 500) {
    try {
      onError(otpError);
    } catch {
      // A failing logger must not turn the answer into another error.
    }
  }
  return httpsErrorFrom(otpError);
}

/**
 * The default `onError`: one structured Cloud Logging entry per failure, with its cause. A
 * `send_failed` cause is left out: it is the SMS provider's (or its SDK's) error, and careless
 * SDKs quote the message text — the code — in it.
 * CORE-SEAM: core should offer a loggable view of an error (code, message, a cause that can never
 * carry SMS text); core's own handler passes the whole error, cause included, to `console.error`.
 */
export function logFailure(error: OtpError): void {
  const cause = error.cause as { name?: unknown; message?: unknown; code?: unknown } | undefined;
  const entry: Record<string, unknown> = { code: error.code, message: error.message };
  if (cause && error.code !== "send_failed") {
    entry.cause = isOtpError(cause)
      ? { code: cause.code, message: cause.message }
      : { name: cause.name, message: cause.message, code: cause.code };
  }
  logger.error(`otpkit: ${error.code}`, entry);
}
