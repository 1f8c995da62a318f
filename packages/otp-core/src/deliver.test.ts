import { describe, expect, it } from "vitest";
import type { OtpOptions } from "./config.js";
import { OtpError } from "./errors.js";
import type { OtpEvent } from "./events.js";
import { memoryStore } from "./memory-store.js";
import { createOtp } from "./otp.js";
import { failover, outbox, type Sender } from "./senders.js";
import { faultySender } from "./testing.js";

const secret = "deliver-test-secret-deliver-test-secret!";
const phone = "+14155551234";
const start = 1_700_000_000_000;

function setup(options: Partial<OtpOptions> = {}) {
  const clock = { now: start };
  const store = memoryStore();
  const sms = outbox();
  const events: OtpEvent[] = [];
  const otp = createOtp({
    secret,
    store,
    sender: sms,
    clock: () => clock.now,
    onEvent: (event) => events.push(event),
    ...options,
  });
  return { otp, store, sms, events, advance: (seconds: number) => (clock.now += seconds * 1000) };
}

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error("expected an OtpError, got success");
    },
    (error: unknown) => {
      if (error instanceof OtpError) return error;
      throw error;
    },
  );

describe("deliver: the platform made the code", () => {
  it("sends the platform's code with the purpose's template and stores no record", async () => {
    const { otp, sms, store } = setup({ appName: "Acme", webOtpDomain: "acme.test" });
    const result = await otp.deliver({ phone: "+1 (415) 555-1234", code: "90817263", purpose: "two_factor" });
    expect(result).toMatchObject({
      status: "sent",
      phone,
      maskedPhone: "+1 ***-***-1234",
      purpose: "two_factor",
    });
    expect(result.id).toMatch(/^dlv_[\w-]{16}$/);
    expect(result.messageId).toBe(sms.last()!.id);
    expect(sms.last()!.body).toBe(
      "Your security code is 90817263. Do not share it. Valid for 5 minutes.\n\n@acme.test #90817263",
    );
    expect(sms.last()!.metadata).toEqual({ type: "two_factor", delivery_id: result.id });
    expect(store.dump().records).toEqual([]);
  });

  it("takes a body the platform composed (it must contain the code) and adds the WebOTP line once", async () => {
    const { otp, sms } = setup({ webOtpDomain: "acme.test" });
    await otp.deliver({ phone, code: "123456", body: "Auth0 says: 123456 is your code" });
    expect(sms.last()!.body).toBe("Auth0 says: 123456 is your code\n\n@acme.test #123456");
    await otp.deliver({ phone: "+14155551235", code: "123456", body: "123456\n\n@acme.test #123456" });
    expect(sms.last()!.body).toBe("123456\n\n@acme.test #123456");
    const refused = await failure(
      otp.deliver({ phone: "+14155551236", code: "123456", body: "no code here" }),
    );
    expect(refused).toMatchObject({ code: "invalid_request", field: "body" });
    expect(sms.messages).toHaveLength(2);
  });

  it("uses a template and {minutes} the platform gives", async () => {
    const { otp, sms } = setup();
    await otp.deliver({ phone, code: "4711", template: "{code} lives {minutes} min", expiryMinutes: 10 });
    expect(sms.last()!.body).toBe("4711 lives 10 min");
  });

  it("applies the same phone policy as send: invalid, landline and blocked numbers change nothing", async () => {
    const { otp, sms, events } = setup({ phone: { blockedCountries: ["GB"] } });
    expect((await failure(otp.deliver({ phone: "12", code: "123456" }))).code).toBe("invalid_phone");
    expect((await failure(otp.deliver({ phone: "+33123456789", code: "123456" }))).code).toBe(
      "invalid_phone",
    );
    expect((await failure(otp.deliver({ phone: "+447400123456", code: "123456", ip: "1.2.3.4" }))).code).toBe(
      "blocked",
    );
    expect(events).toContainEqual({
      type: "blocked",
      reason: "country",
      phone: "+44 ***-***-3456",
      ip: "1.2.3.4",
    });
    for (const code of ["12", "12345678901", "12a456", 123456]) {
      expect(await failure(otp.deliver({ phone, code: code as string }))).toMatchObject({
        code: "invalid_request",
        field: "code",
      });
    }
    expect(sms.messages).toHaveLength(0);
  });

  it("shares the phone's budget with send: same rule keys, same windows", async () => {
    const { otp, sms, advance } = setup();
    await otp.send({ phone });
    // The login cooldown is the same for a delivered login code.
    expect((await failure(otp.deliver({ phone, code: "123456" }))).code).toBe("rate_limited");
    advance(61);
    await otp.deliver({ phone, code: "123456" });
    advance(61);
    await otp.send({ phone });
    advance(61);
    // Three per hour, whichever path spent them.
    const limited = await failure(otp.deliver({ phone, code: "654321" }));
    expect(limited.code).toBe("rate_limited");
    expect(limited.retryAfter).toBeGreaterThan(3000);
    expect(sms.messages).toHaveLength(3);
  });

  it("applies per-IP limits to the canonical IP: one bucket however the address is spelled", async () => {
    const { otp, sms } = setup({ limits: { perIp: [{ limit: 2, windowSeconds: 600 }] } });
    await otp.deliver({ phone: "+14155550001", code: "111111", ip: "203.0.113.7" });
    await otp.deliver({ phone: "+14155550002", code: "111111", ip: "::ffff:203.0.113.7" });
    const third = await failure(
      otp.deliver({ phone: "+14155550003", code: "111111", ip: "[::FFFF:CB00:7107]:443" }),
    );
    expect(third.code).toBe("rate_limited");
    expect(sms.messages).toHaveLength(2);
  });

  it("an idempotency key sends once: a repeat answers duplicate and sends nothing", async () => {
    const { otp, sms, events, advance } = setup();
    const first = await otp.deliver({ phone, code: "246810", idempotencyKey: "uuid-1" });
    advance(120);
    const again = await otp.deliver({ phone, code: "246810", idempotencyKey: "uuid-1" });
    expect(first.status).toBe("sent");
    expect(again).toMatchObject({ status: "duplicate", phone });
    expect(again.messageId).toBeUndefined();
    expect(sms.messages).toHaveLength(1);
    expect(events.filter((event) => event.type === "duplicate")).toHaveLength(1);
    // After ten minutes the key is free again (and the cooldown long over).
    advance(10 * 60);
    expect((await otp.deliver({ phone, code: "246810", idempotencyKey: "uuid-1" })).status).toBe("sent");
  });

  it("concurrent deliveries with one key: exactly one SMS", async () => {
    const { otp, sms } = setup();
    const results = await Promise.all(
      Array.from({ length: 50 }, () => otp.deliver({ phone, code: "135790", idempotencyKey: "svix-id" })),
    );
    expect(results.filter((result) => result.status === "sent")).toHaveLength(1);
    expect(sms.messages).toHaveLength(1);
  });

  it("keys are scoped by tenant and subject", async () => {
    const { otp, sms } = setup({ limits: { resendCooldownSeconds: 0 } });
    await otp.deliver({ phone, code: "111111", idempotencyKey: "k", subject: "user_a" });
    await otp.deliver({ phone, code: "111111", idempotencyKey: "k", subject: "user_b" });
    await otp.deliver({ phone, code: "111111", idempotencyKey: "k", subject: "user_a", tenant: "acme" });
    expect(sms.messages).toHaveLength(3);
  });

  it("a refused delivery frees its key and the phone's budget, so the platform's retry really sends", async () => {
    const sms = outbox();
    let fail = true;
    const flaky: Sender = {
      name: "flaky",
      send: (message) => (fail ? faultySender("refused").send(message) : sms.send(message)),
    };
    const { otp } = setup({ sender: flaky, limits: { perPhone: [{ limit: 1, windowSeconds: 3600 }] } });
    expect((await failure(otp.deliver({ phone, code: "112233", idempotencyKey: "retry-me" }))).code).toBe(
      "send_failed",
    );
    fail = false;
    expect((await otp.deliver({ phone, code: "112233", idempotencyKey: "retry-me" })).status).toBe("sent");
    expect(sms.lastCode(phone)).toBe("112233");
  });

  it("a rate-limited delivery does not claim its key: the retry is judged again", async () => {
    const { otp, sms, advance } = setup();
    await otp.send({ phone });
    expect((await failure(otp.deliver({ phone, code: "998877", idempotencyKey: "later" }))).code).toBe(
      "rate_limited",
    );
    advance(61);
    expect((await otp.deliver({ phone, code: "998877", idempotencyKey: "later" })).status).toBe("sent");
    expect(sms.messages).toHaveLength(2);
  });

  it("a timeout bounds a hanging provider, aborting it, and reports send_failed", async () => {
    const hanging = faultySender("hang");
    const { otp } = setup({ sender: hanging, clock: Date.now });
    const started = performance.now();
    const error = await failure(otp.deliver({ phone, code: "123456", timeoutMs: 150 }));
    expect(error.code).toBe("send_failed");
    expect(performance.now() - started).toBeLessThan(2000);
    expect(hanging.attempts).toHaveLength(1);
  });

  it("fails over inside the budget, then gives up with the provider's error", async () => {
    const sms = outbox();
    const { otp } = setup({ sender: failover([faultySender("unreachable"), sms]) });
    expect((await otp.deliver({ phone, code: "123456" })).status).toBe("sent");
    expect(sms.lastCode(phone)).toBe("123456");
    const { otp: down } = setup({ sender: failover([faultySender("unreachable"), faultySender("refused")]) });
    expect((await failure(down.deliver({ phone, code: "123456" }))).code).toBe("send_failed");
  });

  it("never puts the code anywhere but the message: not in results, events, errors or the store", async () => {
    const { otp, store, events } = setup();
    const code = "31415926";
    const result = await otp.deliver({ phone, code, idempotencyKey: `${phone}:${code}` });
    const { otp: failing, events: failedEvents } = setup({ sender: faultySender("throws") });
    const error = await failure(failing.deliver({ phone, code }));
    const seen = JSON.stringify([result, events, failedEvents, store.dump(), error, error.message]);
    expect(seen).not.toContain(code);
  });
});
