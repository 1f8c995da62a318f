/**
 * How every otp-core error code travels to Clerk's side. Mode A answers the browser with core's own
 * `{ error: { code, message } }` and status (`@otpkit/otp-core/protocol`), so its table is core's.
 * Mode B answers Svix, which only understands "2xx: done" and "anything else: retry later"; this
 * table decides which, per code. It is a `Record<OtpErrorCode, …>`: a code core adds fails this
 * package's typecheck until it is placed here.
 */
import { isOtpError, OtpError, type OtpErrorCode, publicError } from "@otpkit/otp-core";

/**
 * `drop`: answer 2xx and send nothing — the event can never be delivered (a refusal by policy or
 * budget, input Clerk will send again unchanged), so a retry would only repeat the refusal.
 * `retry`: answer 5xx so Svix retries (attempts at about +5 s and +5 min fall inside Clerk's
 * 10-minute code lifetime) — the provider, the store or the configuration failed, not the event.
 */
export type SvixAnswer = "drop" | "retry";

export const svixAnswer: Record<OtpErrorCode, SvixAnswer> = {
  invalid_request: "drop",
  invalid_phone: "drop",
  unauthorized: "drop",
  // The provider's own quota (or the app's budget): it may be topped up before the next attempt.
  quota_exceeded: "retry",
  blocked: "drop",
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
  // otpkit's budgets (per phone, IP, range, cooldown) refuse: Clerk cannot be told, the user sees
  // "code sent", and a retry minutes later must not slip past the budget. A provider's 429 is
  // told apart in `webhook.ts` (it is retried).
  rate_limited: "drop",
  too_many_attempts: "drop",
  invalid_config: "retry",
  internal_error: "retry",
  send_failed: "retry",
  platform_error: "retry",
  store_unavailable: "retry",
};

/** What the Backend API SDK (`@clerk/backend`) throws: `ClerkAPIResponseError`, read structurally. */
interface ClerkApiFailure {
  status?: number;
  errors?: { code?: string; meta?: { paramName?: string } }[];
}

const isClerkApiFailure = (error: unknown): error is ClerkApiFailure =>
  typeof error === "object" && error !== null && Array.isArray((error as ClerkApiFailure).errors);

/**
 * Whether the Backend API refused a phone number because an account (any account, the caller's
 * included) already has it. Clerk answers 422 with `form_identifier_exists` for taken identifiers
 * (its documented sign-up/user-creation code; for `POST /v1/phone_numbers` it is not stated in the
 * OpenAPI spec, so `*_exists` on the `phone_number` parameter counts too).
 */
export function isIdentifierTaken(error: unknown): boolean {
  if (!isClerkApiFailure(error) || error.status === undefined || error.status >= 500) return false;
  return (error.errors ?? []).some(
    (entry) =>
      entry.code === "form_identifier_exists" ||
      (entry.code?.endsWith("_exists") === true && entry.meta?.paramName === "phone_number"),
  );
}

export const phoneInUse = () =>
  new OtpError("phone_in_use", "This phone number is already used by another account.");

/**
 * A Backend API failure after the code was consumed: 502 `platform_error`, the SDK's error kept as
 * `cause` for the operator (core's handler passes every 5xx to `onError`). Its text never reaches
 * the client: Clerk's messages can name identifiers.
 */
export function platformError(step: string, cause: unknown): OtpError {
  if (isOtpError(cause)) return cause;
  const status = isClerkApiFailure(cause) && cause.status ? ` (HTTP ${cause.status})` : "";
  return new OtpError(
    "platform_error",
    `Your code was accepted, but Clerk could not ${step}${status}. Request a new code and try again.`,
    { cause },
  );
}

/**
 * The default `onError` of this package's handlers: the error's code and message, and what its
 * cause is (name, `code`, `status`, Clerk's error codes) — not the cause itself. A provider SDK's
 * error may quote the SMS text, and so the code; core's own default logs the whole cause.
 */
export function logFailure(prefix: string): (error: unknown) => void {
  return (error) => {
    const failure = publicError(error);
    const cause = failure.cause as
      | { name?: unknown; code?: unknown; status?: unknown; errors?: { code?: unknown }[] }
      | undefined;
    const about =
      typeof cause === "object" && cause !== null
        ? {
            name: cause.name,
            code: cause.code,
            status: cause.status,
            ...(Array.isArray(cause.errors) ? { errors: cause.errors.map((entry) => entry?.code) } : {}),
          }
        : undefined;
    console.error(`${prefix}: ${failure.code}: ${failure.message}`, ...(about ? [{ cause: about }] : []));
  };
}

export { publicError };
