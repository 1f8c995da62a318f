import { errorCodes } from "@otpkit/otp-core/protocol";
import { describe, expect, it } from "vitest";
import { defaultMessages, errorMessage, formatWait, liveWait } from "./messages.js";

describe("errorMessage", () => {
  it("has an English message for every stable error code otp-core reports, and the client's own", () => {
    for (const code of [...errorCodes, "network_error", "CredentialsSignin", "unknown"]) {
      const message = errorMessage({ code, retryAfter: 5, attemptsLeft: 1 });
      expect(message, code).toMatch(/\w/);
      expect(defaultMessages[code as keyof typeof defaultMessages], code).toBeDefined();
    }
  });

  it("uses the details of the error", () => {
    expect(errorMessage({ code: "invalid_code", attemptsLeft: 1 })).toBe(
      "That code isn't right. 1 attempt left.",
    );
    expect(errorMessage({ code: "invalid_code", attemptsLeft: 2 })).toContain("2 attempts left");
    expect(errorMessage({ code: "invalid_code" })).toContain("Check the text message");
    expect(errorMessage({ code: "rate_limited", retryAfter: 42 })).toContain("42 seconds");
    expect(errorMessage({ code: "too_many_attempts" })).toMatch(/locked/);
  });

  it("lets the app override or localize any message, keeping defaults for the rest", () => {
    const messages = { invalid_code: "Code incorrect.", rate_limited: () => "Trop de demandes." };
    expect(errorMessage({ code: "invalid_code" }, messages)).toBe("Code incorrect.");
    expect(errorMessage({ code: "rate_limited", retryAfter: 3 }, messages)).toBe("Trop de demandes.");
    expect(errorMessage({ code: "expired" }, messages)).toBe(defaultMessages.expired);
  });

  it("falls back to the app's, then the default, unknown message for codes it does not know", () => {
    expect(errorMessage({ code: "weird", message: "internal detail" })).toBe(defaultMessages.unknown);
    expect(errorMessage({ code: "weird" }, { unknown: "Oups." })).toBe("Oups.");
  });
});

describe("formatWait", () => {
  it("rounds up and pluralizes", () => {
    expect(formatWait(1)).toBe("1 second");
    expect(formatWait(0.2)).toBe("1 second");
    expect(formatWait(59)).toBe("59 seconds");
    expect(formatWait(61)).toBe("2 minutes");
    expect(formatWait(3600)).toBe("1 hour");
  });
});

describe("errorMessage: one honest text per cause", () => {
  it("tells an invalid number from one that is not a mobile, and a country not allowed", () => {
    expect(errorMessage({ code: "invalid_phone", reason: "invalid" })).toMatch(/valid phone number/);
    expect(errorMessage({ code: "invalid_phone", reason: "not_mobile" })).toMatch(
      /can't receive text messages/,
    );
    expect(errorMessage({ code: "blocked", reason: "country" })).toMatch(/numbers in this country/);
    expect(errorMessage({ code: "blocked", reason: "block_list" })).toMatch(/this number/);
  });

  it("tells the app's limit from its resend cooldown and from the provider limiting", () => {
    const app = errorMessage({ code: "rate_limited", source: "app", retryAfter: 300 });
    const cooldown = errorMessage({
      code: "rate_limited",
      source: "app",
      reason: "cooldown",
      retryAfter: 42,
    });
    const provider = errorMessage({ code: "rate_limited", source: "provider", retryAfter: 7 });
    expect(app).toBe("Too many codes requested. Try again in 5:00.");
    expect(cooldown).toBe("A code was just sent. You can request another in 42 seconds.");
    expect(provider).toMatch(/^Our text message service is busy.*not something you did.*7 seconds/);
    expect(new Set([app, cooldown, provider]).size).toBe(3);
  });

  it("says the provider is down or out of quota, not that the person erred", () => {
    expect(errorMessage({ code: "send_failed" })).toMatch(/isn't responding, so no code was sent/);
    expect(errorMessage({ code: "quota_exceeded" })).toMatch(/quota is used up/);
  });

  it("words the lockout by the resend state", () => {
    expect(errorMessage({ code: "too_many_attempts", resendIn: 42 })).toBe(
      "Too many wrong codes: this code is locked. You can request a new one in 42 seconds.",
    );
    expect(errorMessage({ code: "too_many_attempts", resendIn: 0 })).toMatch(/Request a new one\.$/);
    expect(errorMessage({ code: "incomplete_code", codeLength: 6 })).toBe("Enter all 6 digits.");
  });
});

describe("liveWait", () => {
  it("counts seconds, then a clock, then hours, never rounding down", () => {
    const unit = (count: number, kind: string) => `${count}${kind[0]}`;
    expect(liveWait(0.2, unit)).toBe("1s");
    expect(liveWait(59, unit)).toBe("59s");
    expect(liveWait(61, unit)).toBe("1:01");
    expect(liveWait(3599, unit)).toBe("59:59");
    expect(liveWait(3601, unit)).toBe("2h");
  });
});
