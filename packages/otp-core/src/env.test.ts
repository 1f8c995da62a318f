import { describe, expect, it } from "vitest";
import { createOtpFromEnv, otpOptionsFromEnv } from "./env.js";
import { OtpError } from "./errors.js";
import { outbox } from "./senders.js";

const OTP_SECRET = "env-secret-env-secret-env-secret-env!";

describe("configuration from the environment", () => {
  it("reads the seed's variables", () => {
    const options = otpOptionsFromEnv({
      OTP_SECRET: `${OTP_SECRET}, older-secret-older-secret-older-secret`,
      UNOSEND_API_KEY: "un_key",
      UNOSEND_API_URL: "http://127.0.0.1:4025/api/v1",
      SMS_RATE_LIMIT_HOUR: "5",
      SMS_RATE_LIMIT_DAY: "20",
      SMS_RATE_LIMIT_IP: "7",
      SMS_RESEND_COOLDOWN_SECONDS: "0",
      OTP_EXPIRY_MINUTES: "4",
      MAGIC_LINK_EXPIRY_MINUTES: "12",
      PASSWORD_RESET_EXPIRY_MINUTES: "30",
    });
    expect(options.secret).toEqual([OTP_SECRET, "older-secret-older-secret-older-secret"]);
    expect(options.sender?.name).toBe("unosend");
    expect(options.limits).toEqual({
      perPhone: [
        { limit: 5, windowSeconds: 3600 },
        { limit: 20, windowSeconds: 86_400 },
      ],
      perIp: [{ limit: 7, windowSeconds: 600 }],
      resendCooldownSeconds: 0,
    });
    expect(options.expiryMinutes).toEqual({
      login: 4,
      signup: 4,
      two_factor: 4,
      transaction: 4,
      magic_link: 12,
      password_reset: 30,
    });
  });

  it("uses the seed's limits when unset", () => {
    expect(otpOptionsFromEnv({ OTP_SECRET }).limits?.perPhone).toEqual([
      { limit: 3, windowSeconds: 3600 },
      { limit: 10, windowSeconds: 86_400 },
    ]);
  });

  it("fails at startup on a missing or short secret, or a bad number", () => {
    expect(() => createOtpFromEnv({ sender: outbox() }, {})).toThrow(/OTP_SECRET is not set/);
    expect(() => createOtpFromEnv({ sender: outbox() }, { OTP_SECRET: "too-short" })).toThrow(
      /at least 32 bytes/,
    );
    expect(() => otpOptionsFromEnv({ OTP_SECRET, SMS_RATE_LIMIT_HOUR: "lots" })).toThrow(OtpError);
    expect(() => createOtpFromEnv({ sender: outbox() }, { OTP_SECRET, OTP_EXPIRY_MINUTES: "90" })).toThrow(
      /expiryMinutes.login/,
    );
  });

  it("lets explicit options win", async () => {
    const box = outbox();
    const otp = createOtpFromEnv(
      { sender: box, limits: { resendCooldownSeconds: 5 } },
      { OTP_SECRET, SMS_RATE_LIMIT_HOUR: "1" },
    );
    const sent = await otp.send({ phone: "+14155551234" });
    expect(sent.resendAvailableAt.getTime() - Date.now()).toBeLessThanOrEqual(5000);
    expect(box.messages).toHaveLength(1);
    expect((await otp.send({ phone: "+14155551234" }).catch((error) => error)).code).toBe("rate_limited");
  });
});
