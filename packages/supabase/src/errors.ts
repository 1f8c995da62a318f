/**
 * What the hook answers GoTrue for each failure. GoTrue turns a 200 answer
 * `{"error":{"http_code":N,"message":"…"}}` into HTTP N with that message for the client
 * (phone/OTP path; the MFA path always makes it a 500), so `message` is what the person sees and
 * must never be empty: GoTrue treats an empty message as success.
 *
 * `message: undefined` keeps the core's own text, which is written for the person (it names the
 * wait of a rate limit, the reason a number is refused); the others get a fixed text, because a
 * provider's or store's trouble is the operator's business, not the person's.
 */
import { publicError } from "@otpkit/otp-core";
import type { OtpErrorCode } from "@otpkit/otp-core/protocol";

export interface HookErrorRow {
  /** The status GoTrue answers the client with. */
  httpCode: number;
  /** What the person sees; `undefined`: the core's message. */
  message?: string;
}

const unavailable = "SMS sending is temporarily unavailable. Please try again shortly.";
const notSent = "The code could not be sent by SMS. Please try again later.";

/** One row per core code: a new core code fails this file's typecheck until it is mapped. */
export const hookErrors: Record<OtpErrorCode, HookErrorRow> = {
  invalid_request: { httpCode: 400 },
  invalid_phone: { httpCode: 400 },
  // Refused by the fraud guard (country, number range paused, block list): 403, the person sees why.
  blocked: { httpCode: 403 },
  rate_limited: { httpCode: 429 },
  too_many_attempts: { httpCode: 429 },
  quota_exceeded: { httpCode: 503, message: unavailable },
  send_failed: { httpCode: 502, message: notSent },
  platform_error: { httpCode: 502, message: notSent },
  store_unavailable: { httpCode: 503, message: unavailable },
  payload_too_large: { httpCode: 400, message: "The hook payload is too large." },
  unsupported_media_type: { httpCode: 400, message: "The hook payload must be JSON." },
  // deliver() never raises these; should one appear it is a bug, not the person's doing.
  unauthorized: { httpCode: 500, message: notSent },
  not_found: { httpCode: 500, message: notSent },
  user_not_found: { httpCode: 500, message: notSent },
  method_not_allowed: { httpCode: 500, message: notSent },
  phone_in_use: { httpCode: 500, message: notSent },
  expired: { httpCode: 500, message: notSent },
  invalid_code: { httpCode: 500, message: notSent },
  invalid_config: { httpCode: 500, message: notSent },
  idempotency_mismatch: { httpCode: 500, message: notSent },
  challenge_required: { httpCode: 500, message: notSent },
  internal_error: { httpCode: 500, message: notSent },
};

/** The `error` object of a hook answer: `{ http_code, message }`, message never empty. */
export function toHookError(error: unknown): { http_code: number; message: string } {
  const failure = publicError(error);
  const row = hookErrors[failure.code];
  return { http_code: row.httpCode, message: row.message ?? (failure.message || notSent) };
}
