/**
 * Every failure otpkit reports is an `OtpError` with a stable machine-readable `code`.
 * Wrong codes, expired codes and rate limits are ordinary outcomes, not crashes: each maps to a
 * 4xx status so that no input a client can send ever becomes a 500.
 */
import { errorStatus, type OtpErrorCode, type WireError } from "./protocol.js";

export type { OtpErrorCode } from "./protocol.js";

export interface OtpErrorOptions {
  /** The underlying error (a store or sender failure). Never shown to clients. */
  cause?: unknown;
  /** Seconds until the same request can succeed (rate limits). */
  retryAfter?: number;
  /** Attempts still allowed on the current code (`invalid_code`). */
  attemptsLeft?: number;
  /** The request field that was rejected (`invalid_request`, `invalid_phone`). */
  field?: string;
  /** Why, where one code has several causes (see `WireError.reason`). */
  reason?: string;
  /** `rate_limited`: `app` (an otpkit budget) or `provider` (the SMS provider throttling). */
  source?: "app" | "provider";
  /**
   * Set by senders when the provider definitely did not take the message (it answered with a
   * refusal, or could not be connected to): the core then gives back the per-phone budget that
   * send spent. Absent means "unknown" (a timeout may still deliver): only the cooldown is given
   * back. Never sent to clients.
   */
  notDelivered?: boolean;
}

/**
 * Marks OtpErrors across copies of this package (an app and an adapter may each install one):
 * `instanceof` fails across copies, a registered symbol does not.
 */
const brand = Symbol.for("otpkit.OtpError");

export class OtpError extends Error {
  override readonly name = "OtpError";
  readonly code: OtpErrorCode;
  readonly status: number;
  // `declare`: no own property unless set (a class field would put `retryAfter: undefined` on every error).
  declare readonly retryAfter?: number;
  declare readonly attemptsLeft?: number;
  declare readonly field?: string;
  declare readonly reason?: string;
  declare readonly source?: "app" | "provider";
  declare readonly notDelivered?: boolean;

  constructor(code: OtpErrorCode, message: string, { cause, ...details }: OtpErrorOptions = {}) {
    super(message, cause === undefined ? undefined : { cause });
    this.code = code;
    this.status = errorStatus[code];
    for (const [name, value] of Object.entries(details)) {
      if (value !== undefined) (this as Record<string, unknown>)[name] = value;
    }
    Object.defineProperty(this, brand, { value: true });
  }

  /** The public shape of the error: safe to send to a client (no cause, no stack). */
  toJSON(): WireError {
    const json: WireError = { code: this.code, message: this.message };
    if (this.retryAfter !== undefined) json.retry_after = this.retryAfter;
    if (this.attemptsLeft !== undefined) json.attempts_left = this.attemptsLeft;
    if (this.field !== undefined) json.field = this.field;
    if (this.reason !== undefined) json.reason = this.reason;
    if (this.source !== undefined) json.source = this.source;
    return json;
  }
}

/** Whether `error` is an OtpError, also one made by another installed copy of otp-core. */
export const isOtpError = (error: unknown): error is OtpError =>
  error instanceof OtpError ||
  (typeof error === "object" && error !== null && (error as Record<symbol, unknown>)[brand] === true);

/**
 * What an adapter may tell its platform about any failure: an OtpError as it is, anything else
 * (a bug, a database driver's error) as `internal_error` with the original as its `cause` — so
 * its text, which may hold internals, never reaches a client, while the operator can still log it.
 */
export function publicError(error: unknown): OtpError {
  if (isOtpError(error)) return error;
  return new OtpError("internal_error", "Something went wrong.", { cause: error });
}

/** Shorthand for the most common refusal: a request field that fails validation. */
export const invalid = (field: string, message: string): OtpError =>
  new OtpError("invalid_request", message, { field });

/** A configuration mistake, reported at startup. */
export const configError = (message: string): OtpError => new OtpError("invalid_config", message);
