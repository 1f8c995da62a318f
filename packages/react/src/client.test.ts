import { describe, expect, it } from "vitest";
import { OtpClientError, requestCode, toErrorInfo } from "./client.js";

const reply = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  (async () =>
    new Response(typeof body === "string" ? body : JSON.stringify(body), {
      status,
      headers: { "content-type": "application/json", ...headers },
    })) as typeof fetch;

describe("requestCode", () => {
  it("posts the phone with extra fields and parses the answer", async () => {
    let sent: RequestInit | undefined;
    const fetch = (async (_url: string, init: RequestInit) => {
      sent = init;
      return new Response(
        JSON.stringify({
          id: "ver_x",
          phone: "+14155550123",
          status: "sent",
          masked_phone: "+1 ***-***-0123",
          expires_at: "2030-01-01T00:05:00.000Z",
          resend_available_at: "2030-01-01T00:01:00.000Z",
        }),
      );
    }) as typeof globalThis.fetch;
    const result = await requestCode("/api/otp/send", "+1 415 555 0123", {
      fetch,
      body: { purpose: "signup" },
    });
    expect(JSON.parse(sent!.body as string)).toEqual({ purpose: "signup", phone: "+1 415 555 0123" });
    expect(result).toEqual({
      id: "ver_x",
      phone: "+14155550123",
      maskedPhone: "+1 ***-***-0123",
      expiresAt: new Date("2030-01-01T00:05:00.000Z"),
      resendAvailableAt: new Date("2030-01-01T00:01:00.000Z"),
    });
  });

  it("turns otpkit's error JSON into an OtpClientError with its details", async () => {
    const fetch = reply(429, { error: { code: "rate_limited", message: "Too many.", retry_after: 30 } });
    const error = await requestCode("/x", "+1", { fetch }).catch((e) => e);
    expect(error).toBeInstanceOf(OtpClientError);
    expect(error).toMatchObject({ code: "rate_limited", retryAfter: 30, message: "Too many." });
  });

  it("reads Retry-After when the body has no retry_after", async () => {
    const fetch = reply(429, { error: { code: "rate_limited", message: "x" } }, { "retry-after": "12" });
    await expect(requestCode("/x", "+1", { fetch })).rejects.toMatchObject({ retryAfter: 12 });
  });

  it("reports network failures and foreign answers by code", async () => {
    const down = (async () => {
      throw new TypeError("fetch failed");
    }) as typeof fetch;
    await expect(requestCode("/x", "+1", { fetch: down })).rejects.toMatchObject({ code: "network_error" });
    await expect(
      requestCode("/x", "+1", { fetch: reply(502, "<html>Bad gateway</html>") }),
    ).rejects.toMatchObject({
      code: "unknown",
    });
    await expect(requestCode("/x", "+1", { fetch: reply(200, { ok: true }) })).rejects.toMatchObject({
      code: "unknown",
    });
  });
});

describe("toErrorInfo", () => {
  it("accepts errors with a code, NextAuth results with an error, and bare codes", () => {
    expect(toErrorInfo(new OtpClientError({ code: "expired" })).code).toBe("expired");
    expect(toErrorInfo({ error: "too_many_attempts", ok: false, status: 401 })).toEqual({
      code: "too_many_attempts",
    });
    expect(toErrorInfo("invalid_code")).toEqual({ code: "invalid_code" });
    expect(toErrorInfo(new Error("boom"))).toEqual({ code: "unknown" });
    expect(toErrorInfo(undefined)).toEqual({ code: "unknown" });
  });
});

describe("the causes on the wire", () => {
  it("keeps reason and source of otpkit's errors", async () => {
    const fetch = reply(429, {
      error: { code: "rate_limited", message: "x", retry_after: 7, source: "provider" },
    });
    await expect(requestCode("/x", "+1", { fetch })).rejects.toMatchObject({
      source: "provider",
      retryAfter: 7,
    });
    const landline = reply(400, { error: { code: "invalid_phone", message: "x", reason: "not_mobile" } });
    await expect(requestCode("/x", "+1", { fetch: landline })).rejects.toMatchObject({
      code: "invalid_phone",
      reason: "not_mobile",
    });
  });

  it("reads the details @otpkit/next-auth puts after the code in NextAuth's error", () => {
    expect(toErrorInfo({ error: "invalid_code;attempts_left=2", ok: false })).toEqual({
      code: "invalid_code",
      attemptsLeft: 2,
    });
    expect(toErrorInfo("too_many_attempts;retry_after=30")).toEqual({
      code: "too_many_attempts",
      retryAfter: 30,
    });
    expect(toErrorInfo("invalid_code;attempts_left=x;other=1")).toEqual({ code: "invalid_code" });
  });
});
