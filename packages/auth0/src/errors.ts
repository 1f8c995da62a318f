/**
 * What Auth0 should do with a phone message otpkit did not deliver. `custom-phone-provider` has two
 * answers: `api.notification.drop(reason)` (failed for good: never retried) and
 * `api.notification.retry(reason)` (Auth0 tries again, up to 5 times in the next minutes). A refusal
 * that a retry minutes later would meet again — the fraud guard, a rate limit, a bad number, a
 * misconfiguration — is a drop: retrying would only spend Auth0's retries (and, for the fraud guard,
 * give the attacker more tries). An outage of the provider or the store is a retry.
 */
import { type OtpError, publicError } from "@otpkit/otp-core";
import type { OtpErrorCode } from "@otpkit/otp-core/protocol";

export type NotificationOutcome = "drop" | "retry";

/** Compiler-checked: a new core error code fails this package's typecheck until it is mapped. */
export const notificationOutcome: Record<OtpErrorCode, NotificationOutcome> = {
  invalid_request: "drop", // the notification itself is unusable (no code in the text, a bad code)
  invalid_phone: "drop",
  unauthorized: "drop",
  quota_exceeded: "drop", // the provider's quota will not refill within Auth0's retry minutes
  blocked: "drop", // the fraud guard: country, block list, tripwire
  idempotency_mismatch: "drop",
  challenge_required: "drop",
  not_found: "drop",
  user_not_found: "drop",
  method_not_allowed: "drop",
  phone_in_use: "drop",
  expired: "drop",
  payload_too_large: "drop",
  unsupported_media_type: "drop",
  invalid_code: "drop",
  rate_limited: "drop", // otpkit's budgets (per phone, cooldown, per IP, per range): fraud guard (a provider's own 429 is a retry, below)
  too_many_attempts: "drop",
  invalid_config: "drop", // a missing secret stays missing until someone deploys again
  internal_error: "retry", // unknown: a retry cannot double-send (the idempotency key holds)
  send_failed: "retry", // the provider is down or timed out (after failover)
  platform_error: "retry",
  store_unavailable: "retry",
};

/** Auth0 truncates longer reasons. */
const maxReasonLength = 1024;

export interface DeliveryFailure {
  outcome: NotificationOutcome;
  /** For Auth0's logs: the stable code and otp-core's message. Never a code, a cause or a stack. */
  reason: string;
  error: OtpError;
}

/** The outcome and log reason of any failure (an `OtpError` as it is, anything else as `internal_error`). */
export function deliveryFailure(error: unknown): DeliveryFailure {
  const otpError = publicError(error);
  let outcome = notificationOutcome[otpError.code];
  // The provider throttling (its HTTP 429) passes in minutes; otpkit's own budgets are the guard.
  if (otpError.code === "rate_limited" && otpError.source === "provider") outcome = "retry";
  const wait = otpError.retryAfter !== undefined ? ` (retry after ${otpError.retryAfter} s)` : "";
  const reason = `otpkit ${otpError.code}: ${otpError.message}${wait}`.slice(0, maxReasonLength);
  return { outcome, reason, error: otpError };
}
