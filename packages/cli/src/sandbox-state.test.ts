import { describe, expect, it } from "vitest";
import { createMessageStore, parseInboxEvent, searchDigits } from "./sandbox-state.js";

const phone = "+14155550123";
const other = "+447700900123";
const minute = 60_000;

/** A message as core's senders send it: purpose, verification id and expiry in the metadata. */
function sendTo(
  store: ReturnType<typeof createMessageStore>,
  to: string,
  code: string,
  options: {
    id: string;
    purpose?: string;
    expiresAt?: number;
  },
) {
  return store.add({
    to,
    body: `Your login code is ${code}. Valid for 5 minutes.`,
    metadata: {
      type: options.purpose ?? "login",
      verification_id: options.id,
      expires_at: new Date(options.expiresAt ?? Date.now() + 5 * minute).toISOString(),
    },
    tags: [options.purpose ?? "login"],
  });
}

const statuses = (store: ReturnType<typeof createMessageStore>, now = Date.now()) =>
  store.states(now).map((state) => `${state.code}:${state.status}`);

describe("the sandbox's message states", () => {
  it("marks the newest code per phone and purpose live and older ones superseded", () => {
    const store = createMessageStore({ maxMessages: 100 });
    sendTo(store, phone, "111111", { id: "ver_first0" });
    sendTo(store, other, "222222", { id: "ver_other0" });
    sendTo(store, phone, "333333", { id: "ver_second" });
    // A different purpose has its own live code (core keeps one per phone + purpose).
    sendTo(store, phone, "444444", { id: "ver_signup", purpose: "signup" });
    expect(statuses(store)).toEqual(["444444:live", "333333:live", "222222:live", "111111:superseded"]);
  });

  it("marks used, locked and counts wrong attempts from the app's events, by verification id", () => {
    const store = createMessageStore({ maxMessages: 100 });
    sendTo(store, phone, "111111", { id: "ver_aaaaaa" });
    sendTo(store, other, "222222", { id: "ver_bbbbbb" });
    expect(store.apply({ type: "failed", id: "ver_bbbbbb", reason: "invalid_code" })).toBe(1);
    expect(store.apply({ type: "failed", id: "ver_bbbbbb", reason: "invalid_code" })).toBe(1);
    expect(store.states(Date.now()).find((state) => state.code === "222222")).toMatchObject({
      status: "live",
      wrongAttempts: 2,
    });
    store.apply({ type: "failed", id: "ver_bbbbbb", reason: "too_many_attempts" });
    store.apply({ type: "verified", id: "ver_aaaaaa" });
    expect(statuses(store)).toEqual(["222222:locked", "111111:used"]);
    // An id the sandbox never saw matches nothing and changes nothing.
    expect(store.apply({ type: "verified", id: "ver_unknown" })).toBe(0);
    expect(statuses(store)).toEqual(["222222:locked", "111111:used"]);
  });

  it("marks a code expired once its expires_at passes, and when the app says so", () => {
    const store = createMessageStore({ maxMessages: 100 });
    const now = Date.now();
    sendTo(store, phone, "111111", { id: "ver_aaaaaa", expiresAt: now + minute });
    sendTo(store, other, "222222", { id: "ver_bbbbbb", expiresAt: now + 10 * minute });
    expect(statuses(store, now)).toEqual(["222222:live", "111111:live"]);
    expect(statuses(store, now + minute)).toEqual(["222222:live", "111111:expired"]);
    store.apply({ type: "failed", id: "ver_bbbbbb", reason: "expired" });
    expect(statuses(store, now)).toEqual(["222222:expired", "111111:live"]);
  });

  it("a send the app reports failed is not delivered, and the code before it is live again", () => {
    const store = createMessageStore({ maxMessages: 100 });
    sendTo(store, phone, "111111", { id: "ver_aaaaaa" });
    sendTo(store, phone, "222222", { id: "ver_bbbbbb" });
    expect(statuses(store)).toEqual(["222222:live", "111111:superseded"]);
    store.apply({ type: "failed", id: "ver_bbbbbb", reason: "send_failed" });
    expect(statuses(store)).toEqual(["222222:undelivered", "111111:live"]);
  });

  it("messages without a code or metadata: plain, and live when they carry a code", () => {
    const store = createMessageStore({ maxMessages: 100 });
    store.add({ to: phone, body: "Welcome aboard", metadata: {}, tags: [] });
    store.add({ to: phone, body: "code 1234", metadata: {}, tags: [] });
    expect(statuses(store)).toEqual(["1234:live", "null:plain"]);
  });

  it("searches by the digits of a number, deletes one message, clears all", () => {
    const store = createMessageStore({ maxMessages: 100 });
    const first = sendTo(store, phone, "111111", { id: "ver_aaaaaa" });
    sendTo(store, other, "222222", { id: "ver_bbbbbb" });
    expect(store.list({ search: "(415) 555" }).map((message) => message.to)).toEqual([phone]);
    expect(store.list({ search: "+44 7700" }).map((message) => message.to)).toEqual([other]);
    expect(store.list({ search: "999" })).toEqual([]);
    // No digits: no filter.
    expect(store.list({ search: "abc" })).toHaveLength(2);
    expect(searchDigits("+1 (415) 555-0123")).toBe("14155550123");
    expect(store.remove(first.id)).toBe(true);
    expect(store.remove(first.id)).toBe(false);
    expect(store.list().map((message) => message.code)).toEqual(["222222"]);
    expect(store.clear()).toBe(1);
    expect(store.size).toBe(0);
  });

  it("keeps at most maxMessages, dropping the oldest", () => {
    const store = createMessageStore({ maxMessages: 3 });
    for (let index = 0; index < 5; index++)
      sendTo(store, phone, `10000${index}`, { id: `ver_id000${index}` });
    expect(store.list().map((message) => message.code)).toEqual(["100004", "100003", "100002"]);
  });
});

describe("parseInboxEvent", () => {
  it("keeps only type, id and reason of an OtpEvent", () => {
    expect(
      parseInboxEvent({
        type: "failed",
        reason: "invalid_code",
        purpose: "login",
        phone: "+1 ***-***-0123",
        id: "ver_abcdef",
        tenant: "acme",
      }),
    ).toEqual({ type: "failed", reason: "invalid_code", id: "ver_abcdef" });
    expect(parseInboxEvent({ type: "limited", rule: "cooldown", retryAfter: 30 })).toEqual({
      type: "limited",
    });
  });

  it("refuses what no OtpEvent looks like, and anything carrying a code", () => {
    for (const body of [
      {},
      { type: "hacked" },
      { type: "verified" },
      { type: "failed", id: "ver_abcdef" },
      { type: "verified", id: "sms_123456" },
      { type: "verified", id: "ver_<script>" },
      { type: "failed", id: "ver_abcdef", reason: "Not A Code" },
      { type: "verified", id: "ver_abcdef", code: "123456" },
      { type: "sent", id: "ver_abcdef", token: "ver_abcdef.secret" },
      { type: "sent", id: "ver_abcdef", body: "Your code is 123456" },
    ])
      expect(typeof parseInboxEvent(body), JSON.stringify(body)).toBe("string");
  });
});
