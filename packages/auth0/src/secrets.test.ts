import { outbox } from "@otpkit/otp-core";
import { describe, expect, it } from "vitest";
import { otpFromSecrets, templateFromSecrets } from "./secrets.js";

const base = {
  OTP_SECRET: "secrets-unit-test-secret-of-32-bytes-long",
  UNOSEND_API_KEY: "key",
  OTP_COUNTRIES: "US,CA",
};

describe("otpFromSecrets", () => {
  it("is production unless OTP_PRODUCTION=false, and reads otp-core's limits from the secrets", async () => {
    const allowMemory = { ...base, OTP_ALLOW_MEMORY_STORE: "true" };
    expect((await otpFromSecrets(allowMemory)).config.production).toBe(true);
    expect((await otpFromSecrets({ ...base, OTP_PRODUCTION: "false" })).config.production).toBe(false);
    const tuned = await otpFromSecrets({
      ...allowMemory,
      SMS_RATE_LIMIT_HOUR: "5",
      SMS_RESEND_COOLDOWN_SECONDS: "30",
    });
    expect(tuned.config.limits.perPhone[0]).toEqual({ limit: 5, windowSeconds: 3600 });
    expect(tuned.config.limits.resendCooldownSeconds).toBe(30);
  });

  it("refuses what it cannot honour with invalid_config, before connecting to anything", async () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ ...base, OTP_PRODUCTION: "yes" }, /OTP_PRODUCTION must be true or false/],
      [{ OTP_SECRET: base.OTP_SECRET, OTP_PRODUCTION: "false" }, /UNOSEND_API_KEY is not set/],
      [{ ...base, OTP_SECRET: "short", OTP_PRODUCTION: "false" }, /at least 32 bytes/],
      // Test numbers bypass the SMS: refused in production, where a deployed Action runs.
    ];
    for (const [secrets, message] of cases)
      await expect(otpFromSecrets({ ...secrets, REDIS_URL: "redis://127.0.0.1:1" })).rejects.toMatchObject({
        code: "invalid_config",
        message: expect.stringMatching(message),
      });
    await expect(
      otpFromSecrets(
        { ...base, OTP_ALLOW_MEMORY_STORE: "true" },
        { testNumbers: { "+14255550123": "123456" } },
      ),
    ).rejects.toMatchObject({ code: "invalid_config" });
  });

  it("lets overrides win (a sender of your own)", async () => {
    const sms = outbox();
    const otp = await otpFromSecrets(
      { OTP_SECRET: base.OTP_SECRET, OTP_PRODUCTION: "false" },
      { sender: sms },
    );
    expect(otp.sender).toBe(sms);
  });

  it("reads SMS_TEMPLATE_<MESSAGE_TYPE>", () => {
    const notification = { message_type: "otp_verify" } as Parameters<typeof templateFromSecrets>[1];
    expect(templateFromSecrets({ SMS_TEMPLATE_OTP_VERIFY: "{code}" }, notification)).toBe("{code}");
    expect(templateFromSecrets({ SMS_TEMPLATE_OTP_VERIFY: "" }, notification)).toBeUndefined();
  });
});
