/**
 * Every failure otpkit reports is an `OtpError` with a stable machine-readable `code`.
 * Wrong codes, expired codes and rate limits are ordinary outcomes, not crashes: each maps to a
 * 4xx status so that no input a client can send ever becomes a 500.
 */
const statusByCode = {
  invalid_request: 400,
  invalid_phone: 400,
  unauthorized: 401,
  quota_exceeded: 402,
  blocked: 403,
  not_found: 404,
  method_not_allowed: 405,
  expired: 410,
  payload_too_large: 413,
  unsupported_media_type: 415,
  invalid_code: 422,
  rate_limited: 429,
  too_many_attempts: 429,
  invalid_config: 500,
  /** A bug in otpkit or the app: the HTTP handler's answer to an unexpected exception. */
  internal_error: 500,
  send_failed: 502,
  store_unavailable: 503,
} as const;

export type OtpErrorCode = keyof typeof statusByCode;

export interface OtpErrorOptions {
  /** The underlying error (a store or sender failure). Never shown to clients. */
  cause?: unknown;
  /** Seconds until the same request can succeed (rate limits). */
  retryAfter?: number;
  /** Attempts still allowed on the current code (`invalid_code`). */
  attemptsLeft?: number;
  /** The request field that was rejected (`invalid_request`, `invalid_phone`). */
  field?: string;
}

export class OtpError extends Error {
  override readonly name = "OtpError";
  readonly code: OtpErrorCode;
  readonly status: number;
  readonly retryAfter?: number;
  readonly attemptsLeft?: number;
  readonly field?: string;

  constructor(code: OtpErrorCode, message: string, { cause, ...details }: OtpErrorOptions = {}) {
    super(message, cause === undefined ? undefined : { cause });
    this.code = code;
    this.status = statusByCode[code];
    Object.assign(this, details);
  }

  /** The public shape of the error: safe to send to a client (no cause, no stack). Absent details are undefined. */
  toJSON(): {
    code: OtpErrorCode;
    message: string;
    retry_after?: number;
    attempts_left?: number;
    field?: string;
  } {
    return {
      code: this.code,
      message: this.message,
      retry_after: this.retryAfter,
      attempts_left: this.attemptsLeft,
      field: this.field,
    };
  }
}

export const isOtpError = (error: unknown): error is OtpError => error instanceof OtpError;

/** Shorthand for the most common refusal: a request field that fails validation. */
export const invalid = (field: string, message: string): OtpError =>
  new OtpError("invalid_request", message, { field });
