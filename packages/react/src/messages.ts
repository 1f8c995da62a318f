import type { OtpErrorCode } from "@otpkit/otp-core/protocol";
import { clock } from "./labels.js";

/**
 * Codes the UI knows besides otp-core's: the browser's (`network_error`), NextAuth's
 * (`CredentialsSignin`), the code input's own (`incomplete_code`: Verify pressed before every box
 * is filled) and the fallback (`unknown`).
 */
export type ClientErrorCode = "network_error" | "CredentialsSignin" | "incomplete_code" | "unknown";

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
  /** Seconds until the same request can succeed (`rate_limited`…). Counted down live on screen. */
  retryAfter?: number;
  /** When the same request can succeed, in ms since the epoch: keeps one deadline across re-renders. Default: `retryAfter` from when the error is first shown. */
  retryAt?: number;
  /** Guesses left on the current code (`invalid_code`). */
  attemptsLeft?: number;
  /** Why, where one code has several causes: `invalid_phone` → `invalid` | `not_mobile`; `blocked` → `country` | …; `rate_limited` → `cooldown`. */
  reason?: string;
  /** `rate_limited`: `app` (an otpkit budget) or `provider` (the SMS provider throttling). */
  source?: "app" | "provider";
  /** When a new code may be requested (ms since the epoch), for the lockout text. Set by `OtpFlow`. */
  resendAt?: number;
  /** Seconds until a new code may be requested: `resendAt` counted down, filled in when the text is rendered. */
  resendIn?: number;
  /** The code's length, for `incomplete_code`. */
  codeLength?: number;
}

/** A message for one error code: fixed text, or a function of the error's details. */
export type MessageTemplate = string | ((error: OtpErrorInfo) => string);

/** Error messages by error code. `unknown` is the fallback for codes the map does not know. */
export type OtpMessages = Partial<Record<KnownErrorCode, MessageTemplate>> & Record<string, MessageTemplate>;

/**
 * The sentences of one language, each for one cause a person can act on; `buildMessages` maps
 * them onto every error code. A locale writes these instead of 30 entries that repeat themselves.
 */
export interface MessageTexts {
  /** A live wait: "42 seconds", "4:59", "2 hours". */
  wait: (seconds: number) => string;
  /** `invalid_request`, `payload_too_large`. */
  checkInput: string;
  /** The number does not parse or is not a valid number (reason `invalid`). */
  invalidPhone: string;
  /** A valid number that cannot take a text (reason `not_mobile`: landline, VoIP, premium…). */
  notMobile: string;
  /** The number's country is not among the app's (`blocked`, reason `country`). */
  countryNotAllowed: string;
  /** This number (or its kind) is refused (`blocked`, other reasons). */
  numberBlocked: string;
  /** Sends to this number range are paused (`blocked`, reason `tripwire`). */
  rangePaused: (wait: string | undefined) => string;
  unauthorized: string;
  /** The SMS provider's (or the app's budget's) quota is used up (`quota_exceeded`). */
  quota: (wait: string | undefined) => string;
  notFound: string;
  phoneInUse: string;
  expired: string;
  wrongCode: (attemptsLeft: number | undefined) => string;
  /** One of the app's budgets (per number, per network, global). */
  appRateLimit: (wait: string | undefined) => string;
  /** The resend cooldown: a code was just sent to this number. */
  cooldown: (wait: string | undefined) => string;
  /** The SMS provider is throttling (not the person's doing). */
  providerLimiting: (wait: string | undefined) => string;
  /** Too many wrong codes; `wait` is how long until a new code may be requested (none: now). */
  locked: (wait: string | undefined) => string;
  /** `invalid_config`, `store_unavailable`. */
  unavailable: string;
  challenge: string;
  /** The SMS provider failed or cannot be reached (`send_failed`). */
  providerDown: string;
  platformError: string;
  userNotFound: string;
  network: string;
  incompleteCode: (length: number) => string;
  /** Everything unexpected: `internal_error`, `method_not_allowed`, `unknown`… */
  generic: string;
}

/**
 * A wait in whole seconds counted down live: seconds under a minute, a clock under an hour, hours
 * above, each rounded up so the wait is never understated. `unit` names seconds and hours.
 */
export function liveWait(seconds: number, unit: (count: number, kind: "second" | "hour") => string): string {
  const whole = Math.max(1, Math.ceil(seconds));
  if (whole < 60) return unit(whole, "second");
  if (whole < 3600) return clock(whole);
  return unit(Math.ceil(whole / 3600), "hour");
}

/** Maps one language's sentences onto every error code. */
export function buildMessages(texts: MessageTexts): Record<KnownErrorCode, MessageTemplate> {
  const wait = (seconds: number | undefined) => (seconds ? texts.wait(seconds) : undefined);
  return {
    invalid_request: texts.checkInput,
    invalid_phone: (error) => (error.reason === "not_mobile" ? texts.notMobile : texts.invalidPhone),
    unauthorized: texts.unauthorized,
    quota_exceeded: (error) => texts.quota(wait(error.retryAfter)),
    blocked: (error) =>
      error.reason === "country"
        ? texts.countryNotAllowed
        : error.reason === "tripwire"
          ? texts.rangePaused(wait(error.retryAfter))
          : texts.numberBlocked,
    not_found: texts.notFound,
    method_not_allowed: texts.generic,
    phone_in_use: texts.phoneInUse,
    expired: texts.expired,
    payload_too_large: texts.checkInput,
    unsupported_media_type: texts.generic,
    invalid_code: (error) => texts.wrongCode(error.attemptsLeft),
    rate_limited: (error) =>
      error.source === "provider"
        ? texts.providerLimiting(wait(error.retryAfter))
        : error.reason === "cooldown"
          ? texts.cooldown(wait(error.retryAfter))
          : texts.appRateLimit(wait(error.retryAfter)),
    too_many_attempts: (error) => texts.locked(wait(error.resendIn)),
    invalid_config: texts.unavailable,
    idempotency_mismatch: texts.generic,
    challenge_required: texts.challenge,
    internal_error: texts.generic,
    send_failed: texts.providerDown,
    platform_error: texts.platformError,
    store_unavailable: texts.unavailable,
    user_not_found: texts.userNotFound,
    network_error: texts.network,
    // NextAuth's own code when an authorize callback returns null instead of throwing.
    CredentialsSignin: texts.wrongCode(undefined),
    incomplete_code: (error) => texts.incompleteCode(error.codeLength ?? 6),
    unknown: texts.generic,
  };
}

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? "" : "s"}`;

/** "45 seconds", "2 minutes", "1 hour": rounded up so the wait is never understated. */
export function formatWait(seconds: number): string {
  if (seconds < 60) return plural(Math.max(1, Math.ceil(seconds)), "second");
  if (seconds < 3600) return plural(Math.ceil(seconds / 60), "minute");
  return plural(Math.ceil(seconds / 3600), "hour");
}

const then = (wait: string | undefined, sentence: (wait: string) => string, otherwise: string) =>
  wait ? sentence(wait) : otherwise;

/** The English sentences (bundled: the default, and the fallback while another locale loads). */
export const englishTexts: MessageTexts = {
  wait: (seconds) => liveWait(seconds, (count, kind) => plural(count, kind)),
  checkInput: "Check what you entered and try again.",
  invalidPhone: "That doesn't look like a valid phone number. Check the number and the country.",
  notMobile: "This number can't receive text messages. Enter a mobile number.",
  countryNotAllowed: "We can't send codes to numbers in this country.",
  numberBlocked: "We can't send codes to this number.",
  rangePaused: (wait) =>
    then(
      wait,
      (w) => `Codes to numbers like this one are paused. Try again in ${w}.`,
      "Codes to numbers like this one are paused. Try again later.",
    ),
  unauthorized: "Please sign in again, then retry.",
  quota: (wait) =>
    `Text messages can't be sent right now: the message quota is used up. ${wait ? `Try again in ${wait}.` : "Try again later."}`,
  notFound: "There is no pending code for this number. Request a new one.",
  phoneInUse: "This phone number is already used by another account.",
  expired: "This code has expired. Request a new one.",
  wrongCode: (left) =>
    left === undefined
      ? "That code isn't right. Check the text message and try again."
      : `That code isn't right. ${plural(left, "attempt")} left.`,
  appRateLimit: (wait) =>
    then(
      wait,
      (w) => `Too many codes requested. Try again in ${w}.`,
      "Too many codes requested. Try again later.",
    ),
  cooldown: (wait) =>
    then(
      wait,
      (w) => `A code was just sent. You can request another in ${w}.`,
      "A code was just sent. Please wait a moment.",
    ),
  providerLimiting: (wait) =>
    `Our text message service is busy right now — not something you did. ${wait ? `Try again in ${wait}.` : "Try again in a moment."}`,
  locked: (wait) =>
    then(
      wait,
      (w) => `Too many wrong codes: this code is locked. You can request a new one in ${w}.`,
      "Too many wrong codes: this code is locked. Request a new one.",
    ),
  unavailable: "The service is temporarily unavailable. Try again in a moment.",
  challenge: "Please complete the check, then send the code again.",
  providerDown: "Our text message service isn't responding, so no code was sent. Try again in a moment.",
  platformError: "Your code was accepted, but we couldn't finish. Request a new code and try again.",
  userNotFound: "No account uses this phone number.",
  network: "We can't reach the server. Check your connection and try again.",
  incompleteCode: (length) => `Enter all ${length} digits.`,
  generic: "Something went wrong. Please try again.",
};

/**
 * Default English messages for every stable error code (otp-core's, from
 * `@otpkit/otp-core/protocol`, and the client's own). Replace any of them (or all, to localize)
 * with the `messages` prop; entries you leave out fall back to these.
 */
export const defaultMessages = /* @__PURE__ */ buildMessages(englishTexts) as OtpMessages &
  Record<KnownErrorCode, MessageTemplate>;

/**
 * The text for `error`: the app's message for its code, else the default one, else the app's
 * `unknown`, else the default `unknown`. Templates never see more than the error's details.
 */
export function errorMessage(error: OtpErrorInfo, messages: OtpMessages = {}): string {
  const template =
    messages[error.code] ??
    (defaultMessages as OtpMessages)[error.code] ??
    messages.unknown ??
    defaultMessages.unknown;
  return typeof template === "function" ? template(error) : template;
}
