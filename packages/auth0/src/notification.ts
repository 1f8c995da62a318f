/**
 * The one mapping both phone triggers share: an Auth0 phone notification in, one `otp.deliver` out
 * (Auth0 made the code and checks it; otpkit delivers it under its phone policy, fraud guard and
 * budgets), and an outcome back: sent, duplicate, or drop/retry with a reason for Auth0's logs.
 */
import { type Otp, OtpError, type Purpose, parsePhone } from "@otpkit/otp-core";
import { type DeliveryFailure, deliveryFailure } from "./errors.js";
import type { CacheApi, MessageType, PhoneNotification } from "./types.js";

export interface NotificationOptions<Event> {
  /**
   * An otpkit template per message type (`{code}` required, `{minutes}`, `{app}`), or a function
   * choosing one (e.g. by `notification.locale`); `undefined` sends Auth0's own text (`as_text`,
   * already localised). Default: Auth0's text for every type.
   */
  templates?:
    | Partial<Record<MessageType, string>>
    | ((notification: PhoneNotification, event: Event) => string | undefined);
  /**
   * The otpkit purpose per message type: it picks the resend cooldown's bucket and the default
   * template. Default: `otp_verify` → `login`, `otp_enroll` → `phone_verification`,
   * `change_password` → `password_reset`, the others → `login`.
   */
  purposes?: Partial<Record<MessageType, Purpose>>;
  /**
   * Separates budgets and idempotency keys per organisation, e.g. `(event) => event.organization?.id`
   * (≤ 64 letters, digits, `.`, `_`, `-`). Default: none (one budget for the tenant).
   */
  tenant?: (event: Event) => string | undefined;
  /**
   * Milliseconds the provider may take, failover included. Auth0 ends an execution after 20 s,
   * and a store round trip and a cold start need their share. Default: `12000`.
   */
  timeoutMs?: number;
  /**
   * Accept a store that lives in one process (`otp.store.local`: the memory store) in production.
   * Auth0 runs an Action on many instances, each with its own memory, so budgets and duplicate
   * detection would hold per instance only. Default: `false` — refused (dropped, `invalid_config`)
   * when `otp.config.production`.
   */
  allowMemoryStore?: boolean | ((event: Event) => boolean);
  /**
   * Told about every message that was not delivered (its outcome and reason; never the code). The
   * reason already reaches Auth0's logs through `drop`/`retry`; use this for your own. Default: none.
   */
  onFailure?: (failure: DeliveryFailure, event: Event) => void;
}

export type NotificationOutcome =
  | { status: "sent" | "duplicate" }
  | { status: "drop" | "retry"; reason: string; failure?: DeliveryFailure };

/** What every phone trigger's event has, for the mapping. */
export interface NotificationContext {
  request: { ip: string };
  user?: { user_id?: string };
  transaction?: { correlation_id?: string };
}

const defaultPurposes: Record<MessageType, Purpose> = {
  otp_verify: "login",
  otp_enroll: "phone_verification",
  change_password: "password_reset",
  blocked_account: "login",
  password_breach: "login",
};

/** Auth0 documents a code for these; a notification of these types without one is refused. */
const codeTypes = new Set<MessageType>(["otp_verify", "otp_enroll"]);

/** How long a delivered message is remembered in `api.cache`: core's idempotency window. */
const dedupeTtlMs = 10 * 60_000;

const voiceMessage =
  "Voice delivery is not supported yet (no otpkit sender can call): turn voice off for this phone provider, or use a provider with voice.";
/** The reason a voice message is dropped with. */
export const voiceRefusal = `otpkit invalid_request: ${voiceMessage}`;

const encoder = new TextEncoder();

/**
 * The dedupe key of one message: the transaction's correlation id, the message type, the recipient
 * and the code, hashed (SHA-256, base64url) to fit `api.cache`'s 64-byte keys — 50 bytes here. The
 * code is part of it so that a resend within the same transaction (a new code) is sent, while
 * Auth0's retry of the same message (the same code) is not.
 */
export async function dedupeKey(correlationId: string, notification: PhoneNotification): Promise<string> {
  const material = JSON.stringify([
    correlationId,
    notification.message_type,
    notification.recipient,
    notification.code ?? "",
  ]);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(material)));
  let binary = "";
  for (const byte of digest) binary += String.fromCharCode(byte);
  return `otpkit:${btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")}`;
}

export async function deliverNotification<Event extends NotificationContext>(
  getOtp: (event: Event) => Promise<Otp>,
  options: NotificationOptions<Event>,
  event: Event,
  notification: PhoneNotification,
  cache: CacheApi,
): Promise<NotificationOutcome> {
  try {
    if (notification.delivery_method === "voice")
      throw new OtpError("invalid_request", voiceMessage, { field: "delivery_method" });
    const correlationId = event.transaction?.correlation_id;
    // Without a correlation id there is nothing retry-stable to dedupe by: every execution sends.
    const key = correlationId ? await dedupeKey(correlationId, notification) : undefined;
    // The cache is Auth0's fast path (no store round trip); the store's claim is the one that holds
    // when the cache has lost the entry or a retry lands on another instance.
    if (key && cache.get(key)) return { status: "duplicate" };
    const otp = await getOtp(event);
    refuseLocalStore(otp, options, event);
    const code = notification.code || undefined;
    const result = code
      ? await deliverCode(otp, options, event, notification, code, key)
      : await notify(otp, options, notification);
    if (key) cache.set(key, JSON.stringify({ status: result.status, id: result.id }), { ttl: dedupeTtlMs });
    return { status: result.status };
  } catch (error) {
    const failure = deliveryFailure(error);
    try {
      options.onFailure?.(failure, event);
    } catch {
      // A listener that throws changes nothing: Auth0 still gets the outcome.
    }
    return { status: failure.outcome, reason: failure.reason, failure };
  }
}

function refuseLocalStore<Event>(otp: Otp, options: NotificationOptions<Event>, event: Event): void {
  if (!otp.config.production || !otp.store.local) return;
  const allowed =
    typeof options.allowMemoryStore === "function"
      ? options.allowMemoryStore(event)
      : options.allowMemoryStore;
  if (!allowed)
    throw new OtpError(
      "invalid_config",
      "The memory store is refused in production: each Action instance would keep its own budgets. Set REDIS_URL (a Redis store), or OTP_ALLOW_MEMORY_STORE=true (allowMemoryStore) to accept that.",
    );
}

function deliverCode<Event extends NotificationContext>(
  otp: Otp,
  options: NotificationOptions<Event>,
  event: Event,
  notification: PhoneNotification,
  code: string,
  idempotencyKey: string | undefined,
) {
  const type = notification.message_type;
  const template =
    typeof options.templates === "function"
      ? options.templates(notification, event)
      : options.templates?.[type];
  const tenant = options.tenant?.(event);
  const subject = event.user?.user_id;
  return otp.deliver({
    phone: notification.recipient,
    code,
    purpose: options.purposes?.[type] ?? defaultPurposes[type],
    ip: event.request.ip,
    ...(subject ? { subject } : {}),
    ...(tenant ? { tenant } : {}),
    ...(template ? { template } : { body: notification.as_text }),
    ...(idempotencyKey ? { idempotencyKey } : {}),
    timeoutMs: options.timeoutMs ?? 12_000,
  });
}

/**
 * A notification without a code (`blocked_account`, `password_breach`, a `change_password` without
 * one): Auth0's text to the account's own number.
 *
 * CORE-SEAM: core should offer `otp.notify({ phone, body, ip, subject })` — delivery of a message
 * without a code under the same phone policy and budgets. `deliver` requires a code, so this goes
 * straight to the configured sender, after core's own number check (`parsePhone`, which cannot
 * apply the app's country policy: `otp.config` does not expose it). Not counted in any budget.
 */
async function notify<Event>(
  otp: Otp,
  options: NotificationOptions<Event>,
  notification: PhoneNotification,
): Promise<{ status: "sent"; id: string }> {
  const type = notification.message_type;
  if (codeTypes.has(type))
    throw new OtpError("invalid_request", `An ${type} notification must carry a code.`, { field: "code" });
  if (!otp.sender) throw new OtpError("invalid_config", "No sender is configured.");
  const { e164 } = parsePhone(notification.recipient);
  const body = notification.as_text;
  if (typeof body !== "string" || !body || body.length > 1600)
    throw new OtpError("invalid_request", "The notification text is empty or too long.", {
      field: "as_text",
    });
  const { id } = await otp.sender.send(
    { to: e164, body, channel: "sms", metadata: { type }, tags: [type] },
    { signal: AbortSignal.timeout(options.timeoutMs ?? 12_000) },
  );
  return { status: "sent", id };
}
