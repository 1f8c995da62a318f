/**
 * Mode B — Clerk made the code, you deliver it. Clerk's `sms.created` webhook (sent by Svix, signed
 * the Standard Webhooks way) with "Delivered by Clerk" turned off: verify, ignore what must not be
 * sent, and hand the code to core's `otp.deliver` — behind the same phone policy, fraud guard and
 * budgets as otpkit's own codes. Svix understands only "2xx: done" and "anything else: retry".
 */
import {
  extractCode,
  isOtpError,
  OtpError,
  type OtpErrorCode,
  type OtpSource,
  type Purpose,
  publicError,
  resolveOtp,
} from "@otpkit/otp-core";
import { Webhook } from "standardwebhooks";
import { logFailure, svixAnswer } from "./errors.js";

/** `data` of an `sms.created` event (Clerk's `SmsEventPayload`, webhooks API 2025-04-15). */
export interface ClerkSmsMessage {
  object?: "sms_message";
  id?: string;
  /** The template: `verification_code`, `reset_password_code`, … */
  slug?: string | null;
  from_phone_number?: string;
  /** E.164. */
  to_phone_number: string;
  phone_number_id?: string | null;
  /** `null` while no Clerk user exists yet (sign-up). */
  user_id?: string | null;
  /** The rendered text, code included. */
  message: string;
  status?: string;
  /** Template data; `otp_code` when Clerk includes it. */
  data?: { otp_code?: unknown; [key: string]: unknown } | null;
  /** `true`: Clerk already sent it (this template still has "Delivered by Clerk" on). */
  delivered_by_clerk?: boolean;
  created_at_ms?: number;
  /** The spec's example uses this name instead of `created_at_ms`. */
  created_at?: number;
}

export interface ClerkSmsEvent {
  type: string;
  object?: "event";
  instance_id?: string;
  timestamp?: number;
  event_attributes?: { http_request?: { client_ip?: string; user_agent?: string } };
  data: ClerkSmsMessage;
}

/** Why an event was answered 2xx without an SMS going out. */
export type SmsDropReason =
  /** Not `sms.created` (another event type subscribed to this endpoint). */
  | "other_event"
  /** Signed by Clerk but not an SMS event otpkit can read. */
  | "malformed"
  | "delivered_by_clerk"
  /** Older than `maxAgeMinutes`: the code is dead, a late retry must not text it. */
  | "stale"
  /** No code in `data.data.otp_code` nor in the message (a template without a code). */
  | "no_code"
  /** The same `svix-id` was already delivered (or is being delivered). */
  | "duplicate"
  /** otpkit refused it: a budget, the country policy, an invalid number. `code` says which. */
  | "refused";

export interface SmsDrop {
  reason: SmsDropReason;
  /** The `svix-id`. */
  messageId: string;
  /** The otp-core error code, for `refused`. */
  code?: OtpErrorCode;
  /** The Clerk user, when the event names one. */
  userId?: string;
}

export interface SmsWebhookOptions {
  /** An `Otp` with a sender, or a function making one on first use. Required. */
  otp: OtpSource;
  /**
   * The endpoint's signing secret (`whsec_…`, Clerk Dashboard > Webhooks > the endpoint). Default:
   * `process.env.CLERK_WEBHOOK_SIGNING_SECRET`, read on each request so `next build` can import the
   * route without it; missing → 500 `invalid_config` (Svix retries) and `onError`.
   */
  signingSecret?: string;
  /**
   * The purpose an SMS is delivered under: picks otpkit's template (with `text: "template"`) and the
   * resend-cooldown budget. Default: `"password_reset"` for the `reset_password_code` template,
   * `"login"` otherwise.
   */
  purpose?: Purpose | ((sms: ClerkSmsMessage) => Purpose);
  /**
   * `"clerk"`: send Clerk's rendered message as it is (your Clerk template, plus otpkit's WebOTP line
   * when configured). `"template"`: compose otpkit's template for the purpose around Clerk's code —
   * the way to change the SMS text on Clerk without its paid customisation. Default: `"clerk"`.
   */
  text?: "clerk" | "template";
  /**
   * Events whose SMS was created longer ago than this are dropped: Clerk's codes live 10 minutes,
   * and Svix's fourth attempt comes 35 minutes after the first. Default: `10`.
   */
  maxAgeMinutes?: number;
  /**
   * Milliseconds the SMS provider (with failover) may take. Svix waits 15 s for an answer, so this
   * stays below it, leaving time for the store. Default: `10000`.
   */
  timeoutMs?: number;
  /**
   * Told about every event answered 2xx without a send — the only place a blocked or rate-limited
   * SMS shows up, since Clerk cannot be told and the user sees "code sent". Default: `console.warn`
   * for `refused`, `stale`, `no_code` and `malformed`; the others are routine.
   */
  onDropped?: (drop: SmsDrop) => void;
  /**
   * Told about every 5xx (provider, store, configuration), with the cause. Default: `console.error`
   * of the code, the message and the cause's name/code/status — never the cause's text, which a
   * provider SDK may fill with the SMS (and so the code).
   */
  onError?: (error: unknown) => void;
}

const maxBodyBytes = 64 * 1024;
const routineDrops = new Set<SmsDropReason>(["other_event", "delivered_by_clerk", "duplicate"]);
const digits = /^\d{4,10}$/;

/**
 * `app/api/webhooks/clerk-sms/route.ts` → `export const POST = createSmsWebhook({ otp })`. Answers:
 * bad or missing signature → 401 (nothing sent); sent, duplicate or dropped → 200; provider, store
 * or configuration failure → 5xx so Svix retries (the `svix-id` claim is released, so the retry
 * really sends).
 */
export function createSmsWebhook(options: SmsWebhookOptions): (request: Request) => Promise<Response> {
  const getOtp = resolveOtp(options.otp);
  const maxAgeMs = (options.maxAgeMinutes ?? 10) * 60_000;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const text = options.text ?? "clerk";
  const onError = options.onError ?? logFailure("otpkit clerk sms webhook");
  const onDropped =
    options.onDropped ??
    ((drop: SmsDrop) => {
      if (!routineDrops.has(drop.reason)) console.warn("otpkit clerk sms webhook: not sent", drop);
    });
  let verifier: { secret: string; webhook: Webhook } | undefined;

  const dropped = (drop: SmsDrop): Response => {
    try {
      onDropped(drop);
    } catch {
      // A listener that throws must not turn a drop into a retry storm.
    }
    return reply(200, { status: drop.reason === "duplicate" ? "duplicate" : "dropped", reason: drop.reason });
  };
  const failed = (error: OtpError): Response => {
    onError(error);
    // Svix retries any non-2xx; the body is for the Clerk dashboard's delivery log, never internals.
    const status = error.status >= 500 ? error.status : 503;
    const safe = status === 500 ? publicError(undefined) : error;
    return reply(status, { error: { code: safe.code, message: safe.message } });
  };

  return async function smsWebhook(request: Request): Promise<Response> {
    if (request.method !== "POST")
      return reply(405, { error: { code: "method_not_allowed", message: "POST only." } }, { allow: "POST" });
    const secret = options.signingSecret ?? environment("CLERK_WEBHOOK_SIGNING_SECRET");
    if (!secret)
      return failed(new OtpError("invalid_config", "No signing secret: set CLERK_WEBHOOK_SIGNING_SECRET."));
    if (verifier?.secret !== secret) {
      try {
        verifier = { secret, webhook: new Webhook(secret) };
      } catch (cause) {
        return failed(
          new OtpError("invalid_config", "The signing secret is not a whsec_… secret.", { cause }),
        );
      }
    }

    let body: string;
    try {
      body = await readBody(request);
    } catch {
      return reply(413, { error: { code: "payload_too_large", message: "The body is too large." } });
    }
    // Svix sends svix-*; the Standard Webhooks names are accepted too (the same values, renamed).
    const header = (name: string) =>
      request.headers.get(`svix-${name}`) ?? request.headers.get(`webhook-${name}`);
    const messageId = header("id");
    try {
      verifier.webhook.verify(
        body,
        {
          "webhook-id": messageId ?? "",
          "webhook-timestamp": header("timestamp") ?? "",
          "webhook-signature": header("signature") ?? "",
        },
        { jsonParse: false },
      );
    } catch {
      // Forged, replayed after 5 minutes, or signed with another secret: nothing is sent.
      return reply(401, { error: { code: "unauthorized", message: "The webhook signature is not valid." } });
    }
    const id = messageId!;

    let event: ClerkSmsEvent;
    try {
      event = JSON.parse(body) as ClerkSmsEvent;
    } catch {
      return dropped({ reason: "malformed", messageId: id });
    }
    if (event?.type !== "sms.created") return dropped({ reason: "other_event", messageId: id });
    const sms = event.data;
    if (
      typeof sms !== "object" ||
      sms === null ||
      typeof sms.to_phone_number !== "string" ||
      typeof sms.message !== "string"
    )
      return dropped({ reason: "malformed", messageId: id });
    const userId = typeof sms.user_id === "string" && sms.user_id ? sms.user_id : undefined;
    const who = { messageId: id, ...(userId ? { userId } : {}) };
    if (sms.delivered_by_clerk === true) return dropped({ reason: "delivered_by_clerk", ...who });
    const createdAt = createdAtMs(event);
    // The event's own creation time, not svix-timestamp: that one is new on every retry.
    if (createdAt !== undefined && Date.now() - createdAt > maxAgeMs)
      return dropped({ reason: "stale", ...who });
    const fromData = sms.data?.otp_code;
    const code = typeof fromData === "string" && digits.test(fromData) ? fromData : extractCode(sms.message);
    if (!code) return dropped({ reason: "no_code", ...who });

    const purpose =
      typeof options.purpose === "function"
        ? options.purpose(sms)
        : (options.purpose ?? (sms.slug === "reset_password_code" ? "password_reset" : "login"));
    const ip = event.event_attributes?.http_request?.client_ip;
    try {
      const otp = await getOtp();
      const result = await otp.deliver({
        phone: sms.to_phone_number,
        code,
        purpose,
        idempotencyKey: id,
        timeoutMs,
        // `{minutes}` in otpkit's templates: Clerk's code lifetime, not otpkit's.
        expiryMinutes: 10,
        ...(userId ? { subject: userId } : {}),
        ...(typeof ip === "string" && ip ? { ip } : {}),
        ...(text === "clerk" && sms.message.includes(code) ? { body: sms.message } : {}),
      });
      if (result.status === "duplicate") return dropped({ reason: "duplicate", ...who });
      return reply(200, { status: "sent", id: result.id });
    } catch (error) {
      const e = publicError(error);
      // CORE-SEAM: `rate_limited` is both otpkit's budget refusing (final: drop) and the provider
      // throttling (transient: retry). Core marks provider refusals `notDelivered`; a code or field
      // saying which budget refused would be clearer.
      const answer =
        e.code === "rate_limited" && isOtpError(error) && error.notDelivered ? "retry" : svixAnswer[e.code];
      if (answer === "drop") return dropped({ reason: "refused", code: e.code, ...who });
      return failed(e);
    }
  };
}

/** Clerk's creation time in ms: `data.created_at_ms`, the spec example's `data.created_at`, else the event's `timestamp` (seconds or ms). */
function createdAtMs(event: ClerkSmsEvent): number | undefined {
  for (const value of [event.data.created_at_ms, event.data.created_at, event.timestamp]) {
    if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) continue;
    // Before 2001-09 in ms is after 33658 AD in seconds: a value this small is seconds.
    return value < 1e12 ? value * 1000 : value;
  }
  return undefined;
}

async function readBody(request: Request): Promise<string> {
  const declared = Number(request.headers.get("content-length"));
  if (declared > maxBodyBytes) throw new Error("too large");
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBodyBytes) {
      await reader.cancel();
      throw new Error("too large");
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes);
}

function environment(name: string): string | undefined {
  return typeof process === "undefined" ? undefined : process.env[name];
}

function reply(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", ...headers },
  });
}
