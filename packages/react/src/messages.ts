import type { OtpErrorCode } from "@otpkit/otp-core/protocol";

/**
 * Codes the UI knows besides otp-core's: the browser's (`network_error`) and NextAuth's (`CredentialsSignin`), and the fallback (`unknown`).
 */
export type ClientErrorCode = "network_error" | "CredentialsSignin" | "unknown";

/** Every code a message exists for. */
export type KnownErrorCode = OtpErrorCode | ClientErrorCode;

/**
 * What the UI knows about a failure: the stable error code the server sent (otp-core's
 * `OtpError.code`, or the code a NextAuth sign-in returned) plus the details that refine it.
 */
export interface OtpErrorInfo {
  /** Stable machine-readable code, e.g. `invalid_code`, `rate_limited`, `too_many_attempts` (an app may add its own). */
  code: KnownErrorCode | (string & {});
  /** The server's English text. Shown only through a message template that chooses to use it. */
  message?: string;
  /** Seconds until the same request can succeed (`rate_limited`). */
  retryAfter?: number;
  /** Guesses left on the current code (`invalid_code`). */
  attemptsLeft?: number;
}

/** A message for one error code: fixed text, or a function of the error's details. */
export type MessageTemplate = string | ((error: OtpErrorInfo) => string);

/** Error messages by error code. `unknown` is the fallback for codes the map does not know. */
export type OtpMessages = Partial<Record<KnownErrorCode, MessageTemplate>> & Record<string, MessageTemplate>;

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? "" : "s"}`;

/** "45 seconds", "2 minutes", "1 hour": rounded up so the wait is never understated. */
export function formatWait(seconds: number): string {
  if (seconds < 60) return plural(Math.max(1, Math.ceil(seconds)), "second");
  if (seconds < 3600) return plural(Math.ceil(seconds / 60), "minute");
  return plural(Math.ceil(seconds / 3600), "hour");
}

/**
 * Default English messages for every stable error code (otp-core's, from
 * `@otpkit/otp-core/protocol`, and the client's own). Replace any of them (or all, to localize)
 * with the `messages` prop; entries you leave out fall back to these.
 */
export const defaultMessages = {
  invalid_request: "Check what you entered and try again.",
  invalid_phone: "Enter a valid mobile number with its country code, like +1 415 555 0123.",
  unauthorized: "Please sign in again, then retry.",
  quota_exceeded: "Text messages are unavailable right now. Try again later.",
  blocked: "We can't send codes to this number's country.",
  not_found: "There is no pending code for this number. Request a new one.",
  method_not_allowed: "Something went wrong. Please try again.",
  phone_in_use: "This phone number is already used by another account.",
  expired: "This code has expired. Request a new one.",
  payload_too_large: "Check what you entered and try again.",
  unsupported_media_type: "Something went wrong. Please try again.",
  invalid_code: (error) =>
    error.attemptsLeft === undefined
      ? "That code isn't right. Check the text message and try again."
      : `That code isn't right. ${plural(error.attemptsLeft, "attempt")} left.`,
  rate_limited: (error) =>
    error.retryAfter
      ? `Too many codes requested. Try again in ${formatWait(error.retryAfter)}.`
      : "Too many codes requested. Try again later.",
  too_many_attempts: "Too many wrong codes. This code is locked — request a new one.",
  invalid_config: "The service is temporarily unavailable. Try again in a moment.",
  idempotency_mismatch: "Something went wrong. Please try again.",
  challenge_required: "Please complete the check, then send the code again.",
  internal_error: "Something went wrong. Please try again.",
  send_failed: "We couldn't send the text message. Try again in a moment.",
  platform_error: "Your code was accepted, but we couldn't finish. Request a new code and try again.",
  store_unavailable: "The service is temporarily unavailable. Try again in a moment.",
  user_not_found: "No account uses this phone number.",
  network_error: "We can't reach the server. Check your connection and try again.",
  // NextAuth's own code when an authorize callback returns null instead of throwing.
  CredentialsSignin: "That code isn't right. Check the text message and try again.",
  unknown: "Something went wrong. Please try again.",
  // `satisfies` with every code: a code otp-core adds fails this typecheck until it has a text.
} satisfies Record<KnownErrorCode, MessageTemplate> as OtpMessages & Record<KnownErrorCode, MessageTemplate>;

/** The message to show for `error`: the app's template for its code, else the default, else `unknown`. */
export function errorMessage(error: OtpErrorInfo, messages: OtpMessages = {}): string {
  const template =
    messages[error.code] ??
    (defaultMessages as OtpMessages)[error.code] ??
    messages.unknown ??
    defaultMessages.unknown;
  return typeof template === "function" ? template(error) : template;
}
