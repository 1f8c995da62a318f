import { describe, expect, it } from "vitest";
import { OtpError } from "./errors.js";
import { memoryStore } from "./memory-store.js";
import { createOtp } from "./otp.js";
import { outbox, type Sender } from "./senders.js";
import { faultySender, type SenderFault } from "./testing.js";

const secret = "send-test-secret-send-test-secret-send!";
const phone = "+14155551234";

/** An instance whose sender fails while `failing` is set, on a clock the test moves. */
function setup(fault: SenderFault) {
  const clock = { now: 1_700_000_000_000 };
  const sms = outbox();
  const state = { failing: true };
  const sender: Sender = {
    name: "switchable",
    send: (message, options) =>
      state.failing ? faultySender(fault).send(message, options) : sms.send(message),
  };
  const otp = createOtp({
    secret,
    store: memoryStore(),
    sender,
    clock: () => clock.now,
    limits: { perIp: [{ limit: 4, windowSeconds: 600 }] },
  });
  return { otp, sms, state, advance: (seconds: number) => (clock.now += seconds * 1000) };
}

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => "sent",
    (error: unknown) => (error instanceof OtpError ? error.code : Promise.reject(error)),
  );

describe("a failed send costs the person nothing", () => {
  for (const fault of ["refused", "unreachable", "quota", "rate_limited"] as const) {
    it(`${fault}: an immediate retry is accepted, and failures never exhaust the hourly budget`, async () => {
      const { otp, sms, state } = setup(fault);
      for (let i = 0; i < 3; i++) expect(await codeOf(otp.send({ phone }))).not.toBe("sent");
      state.failing = false;
      expect(await codeOf(otp.send({ phone }))).toBe("sent");
      expect(sms.lastCode(phone)).toMatch(/^\d{6}$/);
    });
  }

  it("a timeout (the SMS may still arrive) gives back only the cooldown", async () => {
    const { otp, state, advance } = setup("timeout");
    expect(await codeOf(otp.send({ phone }))).toBe("send_failed");
    expect(await codeOf(otp.send({ phone }))).toBe("send_failed"); // no cooldown wait
    expect(await codeOf(otp.send({ phone }))).toBe("send_failed");
    state.failing = false;
    advance(1);
    // The three sends whose outcome is unknown stay counted against 3 per hour.
    expect(await codeOf(otp.send({ phone }))).toBe("rate_limited");
  });

  it("per-IP counts stay after a failure: a failing provider cannot be hammered from one address", async () => {
    const { otp } = setup("refused");
    for (let i = 0; i < 4; i++)
      expect(await codeOf(otp.send({ phone: `+1415555120${i}`, ip: "198.51.100.4" }))).toBe("send_failed");
    expect(await codeOf(otp.send({ phone: "+14155551209", ip: "198.51.100.4" }))).toBe("rate_limited");
  });

  it("the previous code survives a failed resend", async () => {
    const { otp, sms, state, advance } = setup("refused");
    state.failing = false;
    const first = await otp.send({ phone });
    const code = sms.lastCode(phone)!;
    advance(61);
    state.failing = true;
    expect(await codeOf(otp.send({ phone }))).toBe("send_failed");
    await expect(otp.verify({ id: first.id, code })).resolves.toMatchObject({ status: "approved" });
  });
});

describe("the instance holds no secret", () => {
  it("otp.config is resolved and secret-free; printing the instance shows no secret", async () => {
    const { inspect } = await import("node:util");
    const otp = createOtp({ secret: [secret, `${secret}-old`], sender: outbox() });
    expect(otp.config).toMatchObject({
      codeLength: 6,
      maxAttempts: 3,
      secretCount: 2,
      limits: { resendCooldownSeconds: 60, perIp: [{ limit: 10, windowSeconds: 600 }] },
      expiryMinutes: { login: 5, password_reset: 15 },
    });
    expect("options" in otp).toBe(false);
    for (const printed of [inspect(otp, { depth: 10, showHidden: true }), JSON.stringify(otp)])
      expect(printed).not.toContain(secret);
  });
});
