/**
 * `@otpkit/otp-core/protocol`: the wire vocabulary shared by servers and clients, with no
 * dependency at all (no libphonenumber, no crypto), so a browser bundle can import it for a few
 * hundred bytes. The server's `OtpError`, the HTTP handler and `@otpkit/react` all read their
 * error codes and statuses from here: a new code added here fails the typecheck of every place
 * that must handle it (react's messages, adapters' error tables) until it does.
 */

/** Every stable error code, with the HTTP status it answers. */
export const errorStatus = {
  /** A request field failed validation (`field` names it). */
  invalid_request: 400,
  /** The phone number cannot be parsed, is not valid, or cannot receive SMS. */
  invalid_phone: 400,
  /** No valid API key, or no signed-in user where one is required. */
  unauthorized: 401,
  /** The SMS provider (or the app's budget) says the message quota is used up. */
  quota_exceeded: 402,
  /** Refused by policy: the number's country is not allowed. */
  blocked: 403,
  /** No pending code for this request (never sent, superseded, used, or gone). */
  not_found: 404,
  /** The code was right, but no account uses the verified number (sign-in without sign-up). */
  user_not_found: 404,
  /** The route exists but not for this method. */
  method_not_allowed: 405,
  /** The verified number already belongs to another account on the platform. */
  phone_in_use: 409,
  /** The code's lifetime is over. */
  expired: 410,
  /** The request body is larger than the handler accepts. */
  payload_too_large: 413,
  /** The request body is not JSON. */
  unsupported_media_type: 415,
  /** The code is wrong (`attempts_left` says how many tries remain). */
  invalid_code: 422,
  /** An `Idempotency-Key` seen before came with another request body. */
  idempotency_mismatch: 422,
  /** A bot check is needed first: send the widget's token as `captcha_token`. */
  challenge_required: 428,
  /** Too many sends (per phone, IP, range, cooldown), or the provider is limiting (`retry_after`). */
  rate_limited: 429,
  /** The code is dead after too many wrong guesses. */
  too_many_attempts: 429,
  /** otpkit is configured wrongly (missing secret, bad option). Never caused by a client. */
  invalid_config: 500,
  /** A bug in otpkit or the app: an unexpected exception. */
  internal_error: 500,
  /** The SMS provider failed or refused the message. */
  send_failed: 502,
  /**
   * The platform (Clerk's Backend API, Firebase Auth…) failed after the code was accepted: the code
   * is used up, the platform step did not happen. Reported, never dropped.
   */
  platform_error: 502,
  /** The store (Redis, PostgreSQL…) did not answer: fail closed. */
  store_unavailable: 503,
} as const;

export type OtpErrorCode = keyof typeof errorStatus;

/** The stable error codes, in status order. */
export const errorCodes = Object.keys(errorStatus) as readonly OtpErrorCode[];

export const isOtpErrorCode = (value: unknown): value is OtpErrorCode =>
  typeof value === "string" && Object.hasOwn(errorStatus, value);

/** An error as it travels: `{"error": WireError}` with the status of its code. */
export interface WireError {
  code: OtpErrorCode;
  /** English, for logs and fallbacks; UIs show their own text per code. */
  message: string;
  /** Seconds until the same request can succeed (429s; also the `Retry-After` header). */
  retry_after?: number;
  /** Guesses left on the current code (`invalid_code`). */
  attempts_left?: number;
  /** The request field that was refused (`invalid_request`, `invalid_phone`). */
  field?: string;
  /**
   * Why, where one code has several causes: `invalid_phone` → `invalid` | `not_mobile`;
   * `blocked` → `country` | `number_type` | `block_list` | `tripwire` | …;
   * `rate_limited` (source `app`) → `cooldown` for the resend cooldown (other budgets name none).
   */
  reason?: string;
  /** `rate_limited`: `app` (an otpkit budget, final until `retry_after`) or `provider` (the SMS provider throttling). */
  source?: "app" | "provider";
}

/** `POST …/send` body fields the server reads (besides what the app adds). */
export interface SendRequest {
  phone: string;
  purpose?: string;
  channel?: "sms" | "whatsapp";
  metadata?: Record<string, unknown>;
  /** The bot-check widget's token (Turnstile, hCaptcha, reCAPTCHA), when the server asks for one. */
  captcha_token?: string;
  /** BCP 47 language for the SMS text, e.g. `pt-BR` (the server picks the nearest it has). */
  locale?: string;
}

export interface ErrorReply {
  error: WireError;
}

/** `POST …/send` → 200. */
export interface SendReply {
  /** The verification id: keep it for the check. */
  id: string;
  /** The normalized E.164 number. */
  phone: string;
  status: "sent";
  /** ISO 8601: the code is accepted strictly before this instant. */
  expires_at: string;
  /** For display, e.g. `+1 ***-***-0123`. */
  masked_phone: string;
  /** ISO 8601: when a resend can be asked for. */
  resend_available_at: string;
}

/** `POST …/check` → 200. Apps may add fields (`onVerified`'s return value). */
export interface CheckReply {
  id: string;
  phone: string;
  status: "approved";
  /** What the send carried as `metadata`. */
  metadata: Record<string, unknown>;
  [extra: string]: unknown;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);
const finite = (value: unknown) => (typeof value === "number" && Number.isFinite(value) ? value : undefined);

/** A send reply, or `undefined` when `json` is not one. */
export function parseSendReply(json: unknown): SendReply | undefined {
  if (!isRecord(json) || typeof json.id !== "string" || typeof json.phone !== "string") return undefined;
  const iso = (value: unknown, fallback: string) =>
    typeof value === "string" && !Number.isNaN(Date.parse(value)) ? value : fallback;
  const now = new Date().toISOString();
  return {
    id: json.id,
    phone: json.phone,
    status: "sent",
    expires_at: iso(json.expires_at, now),
    masked_phone: typeof json.masked_phone === "string" ? json.masked_phone : json.phone,
    // Without the field the server has no cooldown to tell: a resend is possible at once.
    resend_available_at: iso(json.resend_available_at, now),
  };
}

/** A check reply, or `undefined` when `json` is not one. */
export function parseCheckReply(json: unknown): CheckReply | undefined {
  if (!isRecord(json) || json.status !== "approved" || typeof json.id !== "string") return undefined;
  return {
    ...json,
    id: json.id,
    phone: typeof json.phone === "string" ? json.phone : "",
    status: "approved",
    metadata: isRecord(json.metadata) ? json.metadata : {},
  };
}

/**
 * The error in an error reply. Anything that is not otpkit's JSON (a proxy's HTML page, an empty
 * body) becomes `internal_error`, or the code of `status` when exactly one code has it;
 * `retryAfterHeader` (the `Retry-After` header) fills in a missing `retry_after`.
 */
export function parseError(json: unknown, status?: number, retryAfterHeader?: string | null): WireError {
  const raw = isRecord(json) && isRecord(json.error) ? json.error : undefined;
  let code: OtpErrorCode = "internal_error";
  if (raw && isOtpErrorCode(raw.code)) code = raw.code;
  else if (status !== undefined) {
    const matching = errorCodes.filter((candidate) => errorStatus[candidate] === status);
    if (matching.length === 1) code = matching[0]!;
    else if (status === 429) code = "rate_limited";
    else if (status === 400) code = "invalid_request";
  }
  const error: WireError = { code, message: typeof raw?.message === "string" ? raw.message : code };
  const retryAfter = finite(raw?.retry_after) ?? (Number(retryAfterHeader) || undefined);
  if (retryAfter !== undefined && retryAfter > 0) error.retry_after = retryAfter;
  const attemptsLeft = finite(raw?.attempts_left);
  if (attemptsLeft !== undefined) error.attempts_left = attemptsLeft;
  if (typeof raw?.field === "string") error.field = raw.field;
  if (typeof raw?.reason === "string") error.reason = raw.reason;
  if (raw?.source === "app" || raw?.source === "provider") error.source = raw.source;
  return error;
}
