/**
 * What the sandbox knows about its messages: the store (newest last, bounded), search and delete,
 * and which code is still usable. Status comes from two sources: the metadata core's senders
 * already pass (`type` = purpose, `verification_id`, `expires_at`) and the outcomes a dev server
 * reports through `POST /api/sandbox/events` (OtpEvent-shaped JSON: verified, failed…). No HTTP and
 * no HTML here: the routes read this, the page renders plain data.
 */
import { randomBytes } from "node:crypto";
import { extractCode } from "@otpkit/otp-core";

export interface SandboxMessage {
  id: string;
  to: string;
  body: string;
  /** The code read back out of the body (`extractCode`), or null. */
  code: string | null;
  metadata: Record<string, unknown>;
  tags: string[];
  /** ISO 8601. */
  receivedAt: string;
}

/**
 * - `live`: the newest code for its phone and purpose, not yet used, expired or locked.
 * - `superseded`: a newer code went to the same phone for the same purpose (core keeps one live code).
 * - `used`: the app reported it verified.
 * - `expired`: past the `expires_at` the sender passed, or the app reported it expired.
 * - `locked`: the app reported too many wrong codes: it can no longer verify.
 * - `undelivered`: the app reported the send failed after the sandbox took it (e.g. a client timeout).
 * - `plain`: no code in the body.
 */
export type MessageStatus = "live" | "superseded" | "used" | "expired" | "locked" | "undelivered" | "plain";

/** What the app reported about one verification id. Never a code: events carry none. */
export interface Outcome {
  /** The last terminal outcome, if any. */
  final?: "used" | "expired" | "locked" | "undelivered";
  /** Wrong codes reported (`failed` with `invalid_code`). */
  wrongAttempts: number;
}

export interface MessageState extends SandboxMessage {
  status: MessageStatus;
  /** From `metadata.expires_at`, when the sender passed one (ISO 8601). */
  expiresAt?: string;
  /** From `metadata.type`: the purpose (login, signup…), when the sender passed one. */
  purpose?: string;
  wrongAttempts: number;
}

/** The event fields the sandbox keeps: what says which code is usable, nothing else. */
export interface InboxEvent {
  type: "sent" | "verified" | "failed" | "limited" | "blocked" | "duplicate";
  /** The verification id (`ver_…`) or delivery id (`dlv_…`). */
  id?: string;
  /** `failed` only: the OtpError code (`invalid_code`, `too_many_attempts`, `expired`, `send_failed`…). */
  reason?: string;
}

const eventTypes = new Set<InboxEvent["type"]>([
  "sent",
  "verified",
  "failed",
  "limited",
  "blocked",
  "duplicate",
]);
const idPattern = /^(ver|dlv)_[A-Za-z0-9_-]{4,120}$/;
const reasonPattern = /^[a-z][a-z_]{1,40}$/;
/** Fields that would carry a secret. An OtpEvent never has them; a body that does is a bug to report loudly. */
const secretFields = ["code", "token", "otp", "link", "body", "hash"];
/** Send failures: the code never reached the person (core puts the previous code back). */
const sendFailures = new Set(["send_failed", "quota_exceeded", "rate_limited", "store_unavailable"]);

/** Validates an event body; the result keeps only `type`, `id` and `reason`. */
export function parseInboxEvent(body: Record<string, unknown>): InboxEvent | string {
  for (const field of secretFields)
    if (field in body) return `Events never carry \`${field}\`: post otpkit OtpEvent objects as emitted.`;
  const { type, id, reason } = body;
  if (typeof type !== "string" || !eventTypes.has(type as InboxEvent["type"]))
    return "`type` must be an OtpEvent type: sent, verified, failed, limited, blocked or duplicate.";
  if (id !== undefined && (typeof id !== "string" || !idPattern.test(id)))
    return "`id` must be a verification id (ver_…) or delivery id (dlv_…).";
  if (reason !== undefined && (typeof reason !== "string" || !reasonPattern.test(reason)))
    return "`reason` must be an otpkit error code such as invalid_code.";
  if ((type === "verified" || type === "failed") && id === undefined)
    return `A ${type} event needs the verification \`id\`.`;
  if (type === "failed" && reason === undefined) return "A failed event needs its `reason`.";
  const event: InboxEvent = { type: type as InboxEvent["type"] };
  if (id !== undefined) event.id = id as string;
  if (reason !== undefined) event.reason = reason as string;
  return event;
}

/** Digits of a search like "555 0123" or "+1 (415)", matched anywhere in the number. */
export const searchDigits = (query: string | null | undefined) => (query ?? "").replace(/\D/g, "");

export interface MessageStore {
  add(input: Omit<SandboxMessage, "id" | "code" | "receivedAt">): SandboxMessage;
  /** Newest first, optionally only to `to` (exact) or numbers containing `search`'s digits. */
  list(filter?: { to?: string; search?: string }): SandboxMessage[];
  /** `list` with each message's status at `now`, newest first. */
  states(now: number, filter?: { to?: string; search?: string }): MessageState[];
  /** Whether a message with this id existed. */
  remove(id: string): boolean;
  /** How many messages there were. */
  clear(): number;
  /** Records an app-reported outcome; returns how many messages carry that verification id. */
  apply(event: InboxEvent): number;
  readonly size: number;
}

export function createMessageStore(options: { maxMessages: number }): MessageStore {
  /** Oldest first; reversed when read. */
  const messages: SandboxMessage[] = [];
  /** Keyed by verification id, bounded like the messages (an id without a message is still kept briefly). */
  const outcomes = new Map<string, Outcome>();
  let counter = 0;

  const matches = (message: SandboxMessage, filter?: { to?: string; search?: string }) => {
    if (filter?.to && message.to !== filter.to) return false;
    const digits = searchDigits(filter?.search);
    return !digits || message.to.replace(/\D/g, "").includes(digits);
  };
  const verificationOf = (message: SandboxMessage) => {
    const id = message.metadata.verification_id ?? message.metadata.delivery_id;
    return typeof id === "string" ? id : undefined;
  };

  function statesOf(now: number): Map<string, MessageState> {
    const result = new Map<string, MessageState>();
    /** phone + purpose → a newer message already holds (or held) the live slot. */
    const newerSeen = new Set<string>();
    for (let index = messages.length - 1; index >= 0; index--) {
      const message = messages[index]!;
      const verification = verificationOf(message);
      const outcome = verification ? outcomes.get(verification) : undefined;
      const purpose = typeof message.metadata.type === "string" ? message.metadata.type : undefined;
      const expires =
        typeof message.metadata.expires_at === "string" ? message.metadata.expires_at : undefined;
      const expiresMs = expires ? Date.parse(expires) : Number.NaN;
      const slot = `${message.to}|${purpose ?? ""}`;
      let status: MessageStatus;
      if (!message.code) status = "plain";
      else if (outcome?.final === "undelivered") status = "undelivered";
      else if (outcome?.final) status = outcome.final;
      else if (newerSeen.has(slot)) status = "superseded";
      else if (!Number.isNaN(expiresMs) && expiresMs <= now) status = "expired";
      else status = "live";
      // A message the app says never arrived does not replace the code before it (core restores that one).
      if (message.code && status !== "undelivered") newerSeen.add(slot);
      result.set(message.id, {
        ...message,
        status,
        ...(expires && !Number.isNaN(expiresMs) ? { expiresAt: new Date(expiresMs).toISOString() } : {}),
        ...(purpose ? { purpose } : {}),
        wrongAttempts: outcome?.wrongAttempts ?? 0,
      });
    }
    return result;
  }

  return {
    add(input) {
      const message: SandboxMessage = {
        id: `sms_${Date.now().toString(36)}${(++counter).toString(36)}${randomBytes(4).toString("hex")}`,
        to: input.to,
        body: input.body,
        code: extractCode(input.body) ?? null,
        metadata: input.metadata,
        tags: input.tags,
        receivedAt: new Date().toISOString(),
      };
      messages.push(message);
      if (messages.length > options.maxMessages) messages.splice(0, messages.length - options.maxMessages);
      return message;
    },
    list: (filter) => messages.filter((message) => matches(message, filter)).reverse(),
    states(now, filter) {
      const all = statesOf(now);
      return messages
        .filter((message) => matches(message, filter))
        .reverse()
        .map((message) => all.get(message.id)!);
    },
    remove(id) {
      const index = messages.findIndex((message) => message.id === id);
      if (index < 0) return false;
      messages.splice(index, 1);
      return true;
    },
    clear() {
      outcomes.clear();
      return messages.splice(0).length;
    },
    apply(event) {
      if (!event.id || (event.type !== "verified" && event.type !== "failed")) return 0;
      const outcome = outcomes.get(event.id) ?? { wrongAttempts: 0 };
      if (event.type === "verified") outcome.final = "used";
      else if (event.reason === "invalid_code") outcome.wrongAttempts++;
      else if (event.reason === "too_many_attempts") outcome.final = "locked";
      else if (event.reason === "expired") outcome.final ??= "expired";
      else if (sendFailures.has(event.reason ?? "")) outcome.final ??= "undelivered";
      outcomes.delete(event.id); // re-insert: the map's order is oldest first, for the bound below
      outcomes.set(event.id, outcome);
      if (outcomes.size > options.maxMessages) outcomes.delete(outcomes.keys().next().value as string);
      return messages.filter((message) => verificationOf(message) === event.id).length;
    },
    get size() {
      return messages.length;
    },
  };
}
