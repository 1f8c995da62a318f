/**
 * How otp-core's errors reach a NextAuth page. NextAuth has one channel from `authorize` to the
 * page — the thrown error's message, which becomes `signIn(…).error` and the `?error=` of the
 * sign-in URL — so the table from core's codes to NextAuth's is the identity on the code, plus the
 * numbers a UI needs. The send routes answer with core's own `{ error: { code, message } }`
 * (`@otpkit/otp-core/protocol`).
 */
import { publicError } from "@otpkit/otp-core";

/**
 * NextAuth puts the thrown message into the page's URL and `signIn` result, so only stable codes
 * may go there: an OtpError's code, or `internal_error` for anything else (a database error's text
 * could leak internals). The real error is logged for the operator. The one channel to the page is
 * that message, so the numbers a UI needs ride along after the code as `;name=value` pairs —
 * `invalid_code;attempts_left=2`, `too_many_attempts;retry_after=30` — which `@otpkit/react` reads
 * (`toErrorInfo`); the part before the first `;` is always the bare code.
 */
export function signInError(error: unknown): Error {
  const failure = publicError(error);
  if (failure.status >= 500) console.error("otpkit: SMS sign-in failed", error);
  let message: string = failure.code;
  if (failure.attemptsLeft !== undefined) message += `;attempts_left=${failure.attemptsLeft}`;
  if (failure.retryAfter !== undefined) message += `;retry_after=${failure.retryAfter}`;
  return new Error(message, { cause: error });
}
