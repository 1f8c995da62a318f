import { describe, expect, it } from "vitest";
import {
  errorCodes,
  errorStatus,
  isOtpErrorCode,
  parseCheckReply,
  parseError,
  parseSendReply,
} from "./protocol.js";

describe("protocol", () => {
  it("lists every code once, each with a 4xx or 5xx status", () => {
    expect(new Set(errorCodes).size).toBe(errorCodes.length);
    for (const code of errorCodes) expect(errorStatus[code]).toBeGreaterThanOrEqual(400);
    expect(isOtpErrorCode("invalid_code")).toBe(true);
    expect(isOtpErrorCode("server_error")).toBe(false);
    expect(isOtpErrorCode("toString")).toBe(false);
  });

  it("parses send and check replies, refusing other shapes", () => {
    const sent = parseSendReply({
      id: "ver_x",
      phone: "+14155550123",
      status: "sent",
      expires_at: "2030-01-01T00:05:00.000Z",
      masked_phone: "+1 ***-***-0123",
      resend_available_at: "2030-01-01T00:01:00.000Z",
    });
    expect(sent).toMatchObject({ id: "ver_x", masked_phone: "+1 ***-***-0123" });
    expect(parseSendReply({ phone: "+1" })).toBeUndefined();
    expect(parseSendReply("nope")).toBeUndefined();
    expect(parseSendReply({ id: "a", phone: "b" })?.masked_phone).toBe("b");
    expect(parseCheckReply({ id: "ver_x", phone: "+1", status: "approved", ticket: "t" })).toMatchObject({
      ticket: "t",
      metadata: {},
    });
    expect(parseCheckReply({ id: "ver_x", status: "pending" })).toBeUndefined();
  });

  it("parses errors, falling back on the status and the Retry-After header", () => {
    expect(parseError({ error: { code: "invalid_code", message: "No.", attempts_left: 2 } }, 422)).toEqual({
      code: "invalid_code",
      message: "No.",
      attempts_left: 2,
    });
    expect(parseError("<html>", 429, "17")).toMatchObject({ code: "rate_limited", retry_after: 17 });
    expect(parseError(null, 413).code).toBe("payload_too_large");
    expect(parseError(null, 502).code).toBe("internal_error"); // two codes share 502: no guess
    expect(parseError({ error: { code: "made_up" } }).code).toBe("internal_error");
  });
});
