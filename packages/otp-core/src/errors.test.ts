import { describe, expect, it } from "vitest";
import { isOtpError, OtpError, publicError } from "./errors.js";
import { errorCodes, errorStatus } from "./protocol.js";

describe("OtpError", () => {
  it("takes its status from the protocol table, for every code", () => {
    for (const code of errorCodes) expect(new OtpError(code, "x").status).toBe(errorStatus[code]);
  });

  it("serialises only what a client may see, without undefined keys", () => {
    const error = new OtpError("rate_limited", "Slow down.", {
      retryAfter: 30,
      cause: new Error("secret host"),
      notDelivered: true,
    });
    expect(error.toJSON()).toEqual({ code: "rate_limited", message: "Slow down.", retry_after: 30 });
    expect(Object.keys(new OtpError("not_found", "Gone.").toJSON())).toEqual(["code", "message"]);
    expect(JSON.stringify(error)).not.toContain("secret host");
  });

  it("is recognised across installed copies of otp-core (a registered symbol, not instanceof)", () => {
    const foreign = new (class extends Error {})("from another copy");
    Object.defineProperty(foreign, Symbol.for("otpkit.OtpError"), { value: true });
    expect(isOtpError(foreign)).toBe(true);
    expect(isOtpError(new OtpError("expired", "x"))).toBe(true);
    expect(isOtpError(new Error("plain"))).toBe(false);
    expect(isOtpError({ code: "expired" })).toBe(false);
    expect(isOtpError(null)).toBe(false);
  });
});

describe("publicError", () => {
  it("passes an OtpError through and turns anything else into internal_error, keeping the cause", () => {
    const known = new OtpError("blocked", "No.");
    expect(publicError(known)).toBe(known);
    const cause = new Error("connect ECONNREFUSED 10.0.0.7:5432 password=hunter2");
    const hidden = publicError(cause);
    expect(hidden).toMatchObject({ code: "internal_error", status: 500, message: "Something went wrong." });
    expect(hidden.cause).toBe(cause);
    expect(JSON.stringify(hidden)).not.toContain("hunter2");
    expect(publicError("a string").code).toBe("internal_error");
  });
});
