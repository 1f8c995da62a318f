import { OtpError } from "@otpkit/otp-core";
import { afterEach, describe, expect, it, vi } from "vitest";
import { signInError } from "./errors.js";

describe("signInError: core's errors on NextAuth's one channel", () => {
  afterEach(() => vi.restoreAllMocks());

  it("puts the bare code first, then the numbers a page needs", () => {
    const wrong = signInError(new OtpError("invalid_code", "The code is not right.", { attemptsLeft: 2 }));
    expect(wrong.message).toBe("invalid_code;attempts_left=2");
    const locked = signInError(new OtpError("too_many_attempts", "Locked.", { retryAfter: 30 }));
    expect(locked.message).toBe("too_many_attempts;retry_after=30");
    expect(signInError(new OtpError("expired", "The code has expired.")).message).toBe("expired");
  });

  it("turns anything that is not an OtpError into internal_error, keeping its text out of the message", () => {
    const log = vi.spyOn(console, "error").mockImplementation(() => {});
    const failure = signInError(new Error("connect ECONNREFUSED 10.0.0.7:5432 (password=hunter2)"));
    expect(failure.message).toBe("internal_error");
    expect(failure.cause).toBeInstanceOf(Error);
    // The operator still sees what happened; the page never does.
    expect(log).toHaveBeenCalledTimes(1);
  });

  it("logs nothing for a refusal the user caused", () => {
    const log = vi.spyOn(console, "error").mockImplementation(() => {});
    signInError(new OtpError("invalid_code", "The code is not right.", { attemptsLeft: 1 }));
    expect(log).not.toHaveBeenCalled();
  });
});
