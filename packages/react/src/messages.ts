/**
 * What the UI knows about a failure: the stable error code the server sent (otp-core's
 * `OtpError.code`, or the code a NextAuth sign-in returned) plus the details that refine it.
 */
export interface OtpErrorInfo {
  /** Stable machine-readable code, e.g. `invalid_code`, `rate_limited`, `too_many_attempts`. */
  code: string;
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
export type OtpMessages = Record<string, MessageTemplate>;

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? "" : "s"}`;

/** "45 seconds", "2 minutes", "1 hour": rounded up so the wait is never understated. */
export function formatWait(seconds: number): string {
  if (seconds < 60) return plural(Math.max(1, Math.ceil(seconds)), "second");
  if (seconds < 3600) return plural(Math.ceil(seconds / 60), "minute");
  return plural(Math.ceil(seconds / 3600), "hour");
}

/**
 * Default English messages for every stable error code. Replace any of them (or all, to
 * localize) with the `messages` prop; entries you leave out fall back to these.
 */
export const defaultMessages: OtpMessages = {
  invalid_phone: "Enter a valid mobile number with its country code, like +1 415 555 0123.",
  blocked: "We can't send codes to this number's country.",
  rate_limited: (error) =>
    error.retryAfter
      ? `Too many codes requested. Try again in ${formatWait(error.retryAfter)}.`
      : "Too many codes requested. Try again later.",
  invalid_code: (error) =>
    error.attemptsLeft === undefined
      ? "That code isn't right. Check the text message and try again."
      : `That code isn't right. ${plural(error.attemptsLeft, "attempt")} left.`,
  too_many_attempts: "Too many wrong codes. This code is locked — request a new one.",
  expired: "This code has expired. Request a new one.",
  not_found: "There is no pending code for this number. Request a new one.",
  send_failed: "We couldn't send the text message. Try again in a moment.",
  quota_exceeded: "Text messages are unavailable right now. Try again later.",
  store_unavailable: "The service is temporarily unavailable. Try again in a moment.",
  invalid_request: "Check what you entered and try again.",
  user_not_found: "No account uses this phone number.",
  network_error: "We can't reach the server. Check your connection and try again.",
  // NextAuth's own code when an authorize callback returns null instead of throwing.
  CredentialsSignin: "That code isn't right. Check the text message and try again.",
  unknown: "Something went wrong. Please try again.",
};

/** The message to show for `error`: the app's template for its code, else the default, else `unknown`. */
export function errorMessage(error: OtpErrorInfo, messages: OtpMessages = {}): string {
  const template =
    messages[error.code] ?? defaultMessages[error.code] ?? messages.unknown ?? defaultMessages.unknown!;
  return typeof template === "function" ? template(error) : template;
}
