import { errorCodes } from "@otpkit/otp-core/protocol";
import { describe, expect, it } from "vitest";
import { defaultMessages, errorMessage, formatWait } from "./messages.js";

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
