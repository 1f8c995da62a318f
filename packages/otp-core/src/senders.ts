import { randomToken } from "./code.js";
import { OtpError } from "./errors.js";
import { extractCode } from "./message.js";

export type Channel = "sms" | "whatsapp";

/** What the core hands a sender. `body` is the only place a code ever leaves the core. */
export interface SmsMessage {
  /** E.164 recipient. */
  to: string;
  body: string;
  channel: Channel;
  /** Provider-side metadata: the purpose and verification id, never the code. */
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

function withTimeout(timeoutMs: number, signal?: AbortSignal): AbortSignal {
  const timeout = AbortSignal.timeout(timeoutMs);
  return signal ? AbortSignal.any([signal, timeout]) : timeout;
}

/**
 * Calls a provider and maps its answer onto the stable error codes: 429 → `rate_limited`
 * (with the provider's Retry-After), 402 → `quota_exceeded`, anything else → `send_failed`.
 * Provider bodies are never copied into messages: they can echo the SMS text, and so the code.
 */
async function callProvider(provider: string, request: () => Promise<Response>): Promise<unknown> {
  let response: Response;
  try {
    response = await request();
  } catch (cause) {
    throw new OtpError("send_failed", `${provider} could not be reached.`, { cause });
  }
  if (response.status === 429) {
    const retryAfter = Number(response.headers.get("retry-after"));
    throw new OtpError(
      "rate_limited",
      `${provider} is rate limiting messages.`,
      retryAfter > 0 ? { retryAfter } : {},
    );
  }
  if (response.status === 402)
    throw new OtpError("quota_exceeded", `${provider} reports the SMS quota is exhausted.`);
  if (!response.ok)
    throw new OtpError("send_failed", `${provider} refused the message (HTTP ${response.status}).`);
  return response.json().catch(() => ({}));
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
      const reply = (await callProvider("Unosend", () =>
        fetch(url, {
          method: "POST",
          headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
          body: JSON.stringify({ to, body, metadata, tags }),
          signal: withTimeout(timeoutMs, options?.signal),
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
      const reply = (await callProvider("Twilio", () =>
        fetch(url, {
          method: "POST",
          headers: { authorization, "content-type": "application/x-www-form-urlencoded" },
          body: form,
          signal: withTimeout(timeoutMs, options?.signal),
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
      const reply = (await callProvider("The SMS gateway", () =>
        fetch(url, { headers: { "x-api-key": apiKey }, signal: withTimeout(timeoutMs, options?.signal) }),
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
      for (const sender of senders) {
        if (!(sender.channels ?? ["sms"]).includes(message.channel)) continue;
        const signal = withTimeout(timeoutMs, options?.signal);
        try {
          // Racing the abort as well covers senders that ignore the signal.
          return await Promise.race([
            sender.send(message, { signal }),
            new Promise<never>((_, reject) =>
              signal.addEventListener(
                "abort",
                () => reject(new OtpError("send_failed", `${sender.name} timed out.`)),
                { once: true },
              ),
            ),
          ]);
        } catch (error) {
          lastError = error;
          if (options?.signal?.aborted) break;
        }
      }
      throw lastError instanceof OtpError
        ? lastError
        : new OtpError("send_failed", "Every sender failed.", { cause: lastError });
    },
  };
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
