import { OtpError, type OtpErrorCode } from "@otpkit/otp-core";
import { errorCodes } from "@otpkit/otp-core/protocol";
import { describe, expect, it } from "vitest";
import { hookErrors, toHookError } from "./errors.js";

describe("the answer map", () => {
  it.each([
    ["rate_limited", 429],
    ["too_many_attempts", 429],
    ["blocked", 403],
    ["invalid_phone", 400],
    ["invalid_request", 400],
    ["send_failed", 502],
    ["quota_exceeded", 503],
    ["store_unavailable", 503],
    ["invalid_config", 500],
    ["internal_error", 500],
  ] as Array<[OtpErrorCode, number]>)("%s → http_code %i", (code, httpCode) => {
    expect(toHookError(new OtpError(code, "core text")).http_code).toBe(httpCode);
  });

  it("maps every core code, always with a non-empty message (GoTrue treats an empty one as success)", () => {
    for (const code of errorCodes) {
      const answer = toHookError(new OtpError(code, ""));
      expect(answer.message, code).toMatch(/\S/);
      expect(Object.hasOwn(hookErrors, code)).toBe(true);
    }
  });

  it("shows the core's text for what the person can act on, a fixed text for the operator's trouble", () => {
    const limited = new OtpError("rate_limited", "Too many codes. Try again in 42 seconds.", {
      retryAfter: 42,
    });
    expect(toHookError(limited)).toEqual({
      http_code: 429,
      message: "Too many codes. Try again in 42 seconds.",
    });
    const provider = new OtpError("send_failed", "Unosend refused the message (HTTP 500).");
    expect(toHookError(provider).message).not.toContain("Unosend");
  });

  it("never passes an unexpected error's text on", () => {
    const answer = toHookError(new Error("connection to 10.0.0.5:5432 failed for user admin"));
    expect(answer.http_code).toBe(500);
    expect(answer.message).not.toMatch(/10\.0\.0\.5|admin/);
  });
});
