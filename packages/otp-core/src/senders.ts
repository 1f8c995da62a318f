import { randomToken } from "./code.js";
import { isOtpError, OtpError } from "./errors.js";
import { extractCode } from "./message.js";

export type Channel = "sms" | "whatsapp";

/** What the core hands a sender. `body` is the only place a code ever leaves the core. */
export interface SmsMessage {
  /** E.164 recipient. */
  to: string;
  body: string;
  channel: Channel;
  /** Provider-side metadata: the purpose, verification id and expiry (`expires_at`), never the code. */
  metadata?: Record<string, string>;
  tags?: string[];
}

export interface SendOptions {
  /** Aborts the provider request (timeouts, failover). */
  signal?: AbortSignal;
}

/** The send API every adapter shares: one message in, the provider's message id out. */
export interface Sender {
  readonly name: string;
  /** Channels this sender can deliver. Default: `["sms"]`. */
  readonly channels?: readonly Channel[];
  send(message: SmsMessage, options?: SendOptions): Promise<{ id: string }>;
}

type Fetch = typeof globalThis.fetch;

interface HttpOptions {
  /** Give up on the provider after this many milliseconds. Default: 10000. */
  timeoutMs?: number;
  /** The fetch to use (tests, proxies). Default: `globalThis.fetch`. */
  fetch?: Fetch;
}

/** An abort signal with a time limit; `done()` stops its timer once the work has settled. */
export interface TimeoutSignal {
  readonly signal: AbortSignal;
  done(): void;
}

/**
 * A signal that aborts after `timeoutMs` (reason: a `TimeoutError` DOMException, like
 * `AbortSignal.timeout`) or as soon as `outer` aborts (with its reason).
 *
 * Why not `AbortSignal.any([outer, AbortSignal.timeout(timeoutMs)])`: Node 20 holds the sources
 * of a combined signal only weakly, so a garbage collection before the timeout collects the
 * timeout signal and the combined signal never aborts — a hanging provider then hangs the
 * request past every budget (measured on Node 20.20: 0 of 20 combined signals fired after one
 * `gc()`). Here the timer's callback holds the controller, so the timeout fires whatever the
 * collector does; `done()` clears the timer and the listener so nothing outlives the call.
 */
export function timeoutSignal(timeoutMs: number, outer?: AbortSignal): TimeoutSignal {
  const controller = new AbortController();
  const onOuterAbort = () => controller.abort(outer!.reason);
  if (outer?.aborted) controller.abort(outer.reason);
  else outer?.addEventListener("abort", onOuterAbort, { once: true });
  const timer = setTimeout(
    () => controller.abort(new DOMException("The operation timed out.", "TimeoutError")),
    timeoutMs,
  );
  return {
    signal: controller.signal,
    done() {
      clearTimeout(timer);
      outer?.removeEventListener("abort", onOuterAbort);
    },
  };
}

/**
 * Calls a provider and maps its answer onto the stable error codes: 429 → `rate_limited`
 * (with the provider's Retry-After), 402 → `quota_exceeded`, anything else → `send_failed`.
 * Provider bodies are never copied into messages: they can echo the SMS text, and so the code.
 */
async function callProvider(
  provider: string,
  timeoutMs: number,
  outer: AbortSignal | undefined,
  request: (signal: AbortSignal) => Promise<Response>,
): Promise<unknown> {
  // The time limit covers the body too: a provider may send its headers and then stall.
  const limit = timeoutSignal(timeoutMs, outer);
  try {
    return await answerOf(provider, request(limit.signal));
  } finally {
    limit.done();
  }
}

async function answerOf(provider: string, request: Promise<Response>): Promise<unknown> {
  let response: Response;
  try {
    response = await request;
  } catch (cause) {
    // Refused before a byte was sent (nothing listening, no such host): certainly not delivered.
    // A timeout or a connection lost mid-request may still have delivered: outcome unknown.
    throw new OtpError("send_failed", `${provider} could not be reached.`, {
      cause,
      ...(neverConnected(cause) ? { notDelivered: true } : {}),
    });
  }
  // An error answer is the provider saying it did not take the message.
  if (response.status === 429) {
    const retryAfter = Number(response.headers.get("retry-after"));
    throw new OtpError("rate_limited", `${provider} is rate limiting messages.`, {
      notDelivered: true,
      source: "provider",
      ...(retryAfter > 0 ? { retryAfter } : {}),
    });
  }
  if (response.status === 402)
    throw new OtpError("quota_exceeded", `${provider} reports the SMS quota is exhausted.`, {
      notDelivered: true,
    });
  if (!response.ok)
    throw new OtpError("send_failed", `${provider} refused the message (HTTP ${response.status}).`, {
      notDelivered: true,
    });
  return response.json().catch(() => ({}));
}

/** Error codes of a connection that was never made (fetch wraps them as `cause`). */
const connectFailures = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"]);

function neverConnected(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 4; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && connectFailures.has(code)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

export interface UnosendOptions extends HttpOptions {
  /** Bearer API key (`UNOSEND_API_KEY`). */
  apiKey: string;
  /** API base (`UNOSEND_API_URL`). Default: `https://www.unosend.co/api/v1`. */
  apiUrl?: string;
}

/** Unosend: `POST {apiUrl}/sms` with `{to, body, metadata, tags}`; the reply's `data[0].id` is the message id. */
export function unosend({
  apiKey,
  apiUrl = "https://www.unosend.co/api/v1",
  timeoutMs = 10_000,
  fetch = globalThis.fetch,
}: UnosendOptions): Sender {
  const url = `${apiUrl.replace(/\/+$/, "")}/sms`;
  return {
    name: "unosend",
    async send({ to, body, metadata, tags }, options) {
      const reply = (await callProvider("Unosend", timeoutMs, options?.signal, (signal) =>
        fetch(url, {
          method: "POST",
          headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
          body: JSON.stringify({ to, body, metadata, tags }),
          signal,
        }),
      )) as { data?: Array<{ id?: unknown }> };
      const id = reply?.data?.[0]?.id;
      if (typeof id !== "string") throw new OtpError("send_failed", "Unosend answered without a message id.");
      return { id };
    },
  };
}

export interface TwilioOptions extends HttpOptions {
  accountSid: string;
  authToken: string;
  /** Sender number (E.164). One of `from` or `messagingServiceSid` is required. */
  from?: string;
  messagingServiceSid?: string;
  /** Default: `https://api.twilio.com`. */
  apiUrl?: string;
}

/** Twilio Programmable Messaging over its REST API (form-encoded, Basic auth); WhatsApp via `whatsapp:` addresses. */
export function twilio({
  accountSid,
  authToken,
  from,
  messagingServiceSid,
  apiUrl = "https://api.twilio.com",
  timeoutMs = 10_000,
  fetch = globalThis.fetch,
}: TwilioOptions): Sender {
  if (!from && !messagingServiceSid)
    throw new OtpError("invalid_config", "twilio() needs `from` or `messagingServiceSid`.");
  const url = `${apiUrl.replace(/\/+$/, "")}/2010-04-01/Accounts/${encodeURIComponent(accountSid)}/Messages.json`;
  const authorization = `Basic ${btoa(`${accountSid}:${authToken}`)}`;
  return {
    name: "twilio",
    channels: ["sms", "whatsapp"],
    async send({ to, body, channel }, options) {
      const prefix = channel === "whatsapp" ? "whatsapp:" : "";
      const form = new URLSearchParams({ To: prefix + to, Body: body });
      if (messagingServiceSid) form.set("MessagingServiceSid", messagingServiceSid);
      else form.set("From", prefix + from);
      const reply = (await callProvider("Twilio", timeoutMs, options?.signal, (signal) =>
        fetch(url, {
          method: "POST",
          headers: { authorization, "content-type": "application/x-www-form-urlencoded" },
          body: form,
          signal,
        }),
      )) as { sid?: unknown };
      if (typeof reply?.sid !== "string")
        throw new OtpError("send_failed", "Twilio answered without a message sid.");
      return { id: reply.sid };
    },
  };
}

export interface HttpGatewayOptions extends HttpOptions {
  /** Gateway URL; the message goes as query parameters. */
  endpoint: string;
  /** Sent as `X-API-Key`. */
  apiKey: string;
  username: string;
  password: string;
}

/** A generic HTTP SMS gateway: `GET {endpoint}?username&password&phone&message` with `X-API-Key`. */
export function httpGateway({
  endpoint,
  apiKey,
  username,
  password,
  timeoutMs = 10_000,
  fetch = globalThis.fetch,
}: HttpGatewayOptions): Sender {
  return {
    name: "http-gateway",
    async send({ to, body }, options) {
      const url = new URL(endpoint);
      url.search = new URLSearchParams({ username, password, phone: to, message: body }).toString();
      const reply = (await callProvider("The SMS gateway", timeoutMs, options?.signal, (signal) =>
        fetch(url, { headers: { "x-api-key": apiKey }, signal }),
      )) as { id?: unknown; messageId?: unknown };
      const id = reply?.id ?? reply?.messageId;
      return { id: typeof id === "string" || typeof id === "number" ? String(id) : `gw_${randomToken(12)}` };
    },
  };
}

export interface FailoverOptions {
  /** Per-sender budget in milliseconds before moving to the next one. Default: 10000. */
  timeoutMs?: number;
}

/**
 * Tries each sender in order until one accepts the message. Each attempt gets its own timeout so a
 * hanging provider cannot eat the whole request. When all fail, the last error is thrown.
 */
export function failover(senders: readonly Sender[], { timeoutMs = 10_000 }: FailoverOptions = {}): Sender {
  if (!senders.length) throw new OtpError("invalid_config", "failover() needs at least one sender.");
  return {
    name: `failover(${senders.map((sender) => sender.name).join(",")})`,
    channels: [...new Set<Channel>(senders.flatMap((sender) => sender.channels ?? (["sms"] as const)))],
    async send(message, options) {
      let lastError: unknown;
      // Undelivered only if every sender tried said so: one that timed out may still deliver.
      let notDelivered = true;
      for (const sender of senders) {
        if (!(sender.channels ?? ["sms"]).includes(message.channel)) continue;
        try {
          return await bounded(sender.send.bind(sender), message, timeoutMs, options?.signal, sender.name);
        } catch (error) {
          lastError = error;
          notDelivered &&= isOtpError(error) && error.notDelivered === true;
          if (options?.signal?.aborted) break;
        }
      }
      const failure = isOtpError(lastError)
        ? lastError
        : new OtpError("send_failed", "Every sender failed.", { cause: lastError });
      if ((failure.notDelivered === true) === notDelivered) throw failure;
      throw new OtpError(failure.code, failure.message, {
        cause: failure,
        ...(failure.retryAfter !== undefined ? { retryAfter: failure.retryAfter } : {}),
        ...(failure.source !== undefined ? { source: failure.source } : {}),
        ...(notDelivered ? { notDelivered } : {}),
      });
    },
  };
}

/**
 * Runs one sender call under a time budget (and the caller's signal): the sender gets an abort
 * signal, and the race also ends calls to senders that ignore it. A timeout is reported as
 * `send_failed` with an unknown outcome (the provider may still deliver).
 */
export async function bounded(
  send: (message: SmsMessage, options?: SendOptions) => Promise<{ id: string }>,
  message: SmsMessage,
  timeoutMs: number | undefined,
  outer: AbortSignal | undefined,
  name: string,
): Promise<{ id: string }> {
  if (timeoutMs === undefined && !outer) return send(message);
  const limit = timeoutMs === undefined ? undefined : timeoutSignal(timeoutMs, outer);
  const signal = limit ? limit.signal : outer!;
  if (signal.aborted) {
    limit?.done();
    throw new OtpError("send_failed", `${name} timed out.`);
  }
  let onAbort: (() => void) | undefined;
  try {
    return await Promise.race([
      send(message, { signal }),
      new Promise<never>((_, reject) => {
        onAbort = () => reject(new OtpError("send_failed", `${name} timed out.`));
        signal.addEventListener("abort", onAbort, { once: true });
      }),
    ]);
  } finally {
    if (onAbort) signal.removeEventListener("abort", onAbort);
    limit?.done();
  }
}

export interface OutboxMessage extends SmsMessage {
  id: string;
  sentAt: Date;
}

/**
 * An in-memory sender for tests and development: keeps every message and can hand back the last
 * code sent to a number. This is the one deliberate place, besides the real SMS, where a code is
 * readable — never use it in production.
 */
export function outbox() {
  const messages: OutboxMessage[] = [];
  const last = (to?: string) => messages.findLast((message) => to === undefined || message.to === to);
  return {
    name: "outbox",
    channels: ["sms", "whatsapp"] as const,
    messages,
    async send(message: SmsMessage) {
      const id = `msg_${randomToken(12)}`;
      messages.push({ ...message, id, sentAt: new Date() });
      return { id };
    },
    /** The newest message, optionally to one number. */
    last,
    /** The code in the newest message to `to`. */
    lastCode: (to: string) => {
      const message = last(to);
      return message && extractCode(message.body);
    },
    clear: () => void messages.splice(0),
  } satisfies Sender & Record<string, unknown>;
}
