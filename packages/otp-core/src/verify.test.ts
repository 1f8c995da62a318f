import { describe, expect, it } from "vitest";
import { OtpError } from "./errors.js";
import { memoryStore } from "./memory-store.js";
import { createOtp } from "./otp.js";
import { outbox } from "./senders.js";

const secret = "verify-test-secret-verify-test-secret!!";
const phone = "+14155551234";

function setup() {
  const store = memoryStore();
  const sms = outbox();
  const otp = createOtp({ secret, store, sender: sms, limits: { resendCooldownSeconds: 0 } });
  const wrong = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, "0");
  return { otp, store, sms, wrong };
}

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => "approved",
    (error: unknown) => (error instanceof OtpError ? error.code : Promise.reject(error)),
  );

describe("subject binding: a code is for the user it was sent for", () => {
  it("user A's code never verifies for user B, by subject or by id", async () => {
    const { otp, sms } = setup();
    const sent = await otp.send({ phone, subject: "user_a", purpose: "phone_verification" });
    expect(sent.id).toMatch(/^ver_P6/); // upper case: bound to a subject
    const code = sms.lastCode(phone)!;
    expect(await codeOf(otp.verify({ subject: "user_b", purpose: "phone_verification", code }))).toBe(
      "not_found",
    );
    expect(await codeOf(otp.verify({ id: sent.id, subject: "user_b", code }))).toBe("not_found");
    // Nor for nobody: an anonymous check by id or by phone cannot reach a bound code.
    expect(await codeOf(otp.verify({ id: sent.id, code }))).toBe("not_found");
    expect(await codeOf(otp.verify({ phone, purpose: "phone_verification", code }))).toBe("not_found");
    await expect(
      otp.verify({ subject: "user_a", purpose: "phone_verification", code }),
    ).resolves.toMatchObject({
      status: "approved",
      phone,
    });
  });

  it("B's wrong guesses never cost A's pending code an attempt", async () => {
    const { otp, sms, wrong } = setup();
    const sent = await otp.send({ phone, subject: "user_a" });
    const code = sms.lastCode(phone)!;
    for (let i = 0; i < 10; i++) {
      expect(await codeOf(otp.verify({ subject: "user_b", code: wrong(code) }))).toBe("not_found");
      expect(await codeOf(otp.verify({ id: sent.id, subject: "user_b", code: wrong(code) }))).toBe(
        "not_found",
      );
    }
    // A still has all three attempts: two wrong, then right.
    expect(await codeOf(otp.verify({ subject: "user_a", code: wrong(code) }))).toBe("invalid_code");
    expect(await codeOf(otp.verify({ subject: "user_a", code: wrong(code) }))).toBe("invalid_code");
    expect(await codeOf(otp.verify({ id: sent.id, subject: "user_a", code }))).toBe("approved");
  });

  it("keeps one pending code per subject and purpose, independent of other users' codes for the same phone", async () => {
    const { otp, sms } = setup();
    await otp.send({ phone, subject: "user_a" });
    const first = sms.lastCode(phone)!;
    await otp.send({ phone: "+14155551299", subject: "user_a" });
    const second = sms.lastCode("+14155551299")!;
    await otp.send({ phone, subject: "user_b" });
    const forB = sms.lastCode(phone)!;
    expect(await codeOf(otp.verify({ subject: "user_a", code: first }))).not.toBe("approved");
    expect(await codeOf(otp.verify({ subject: "user_b", code: forB }))).toBe("approved");
    await expect(otp.verify({ subject: "user_a", code: second })).resolves.toMatchObject({
      phone: "+14155551299",
    });
  });

  it("an unbound code is not found by a subject, and subject plus phone is refused as input", async () => {
    const { otp, sms } = setup();
    const sent = await otp.send({ phone });
    const code = sms.lastCode(phone)!;
    expect(await codeOf(otp.verify({ id: sent.id, subject: "user_a", code }))).toBe("not_found");
    expect(await codeOf(otp.verify({ subject: "user_a", code }))).toBe("not_found");
    await expect(otp.verify({ subject: "user_a", phone, code })).rejects.toMatchObject({
      code: "invalid_request",
      field: "phone",
    });
    expect(await codeOf(otp.verify({ id: sent.id, code }))).toBe("approved");
  });

  it("subjects share the phone's ceiling: a fresh user id buys no fresh SMS budget beyond it", async () => {
    const { otp } = setup();
    for (let user = 1; user <= 10; user++) await otp.send({ phone, subject: `u${user}` });
    expect(await codeOf(otp.send({ phone, subject: "u11" }))).toBe("rate_limited");
  });

  it("refuses malformed subjects", async () => {
    const { otp } = setup();
    for (const subject of ["", "x".repeat(257), 42]) {
      await expect(otp.send({ phone, subject: subject as string })).rejects.toMatchObject({
        code: "invalid_request",
        field: "subject",
      });
    }
  });
});
