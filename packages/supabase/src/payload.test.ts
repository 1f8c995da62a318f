import { describe, expect, it } from "vitest";
import { e164, parseSendSmsPayload } from "./payload.js";

/** The body GoTrue documents (SendSMSInput), with the user object's always-present fields. */
const documented = () => ({
  metadata: {
    uuid: "8a3c6b1e-4f0d-4b8e-9a55-0c9a1f7e2d11",
    time: "2026-08-20T10:00:00Z",
    name: "send-sms",
    ip_address: "203.0.113.7",
  },
  user: {
    id: "0c7e1a5e-1d8f-4a39-9b2e-6a0e3c2b8f44",
    aud: "authenticated",
    role: "authenticated",
    email: "",
    phone: "+14155550123",
    app_metadata: {},
    user_metadata: {},
    identities: [],
    created_at: "2026-08-20T10:00:00Z",
    updated_at: "2026-08-20T10:00:00Z",
    is_anonymous: false,
  },
  sms: { otp: "123456", phone: "14155550123" },
});

const refusal = (body: unknown) => {
  try {
    parseSendSmsPayload(body);
  } catch (error) {
    return { code: (error as { code?: string }).code, field: (error as { field?: string }).field };
  }
  return "accepted";
};

describe("parseSendSmsPayload", () => {
  it("reads the documented payload", () => {
    const payload = parseSendSmsPayload(documented());
    expect(payload.metadata).toEqual(documented().metadata);
    expect(payload.sms).toEqual({ otp: "123456", phone: "14155550123" });
    expect(payload.user.id).toBe(documented().user.id);
  });

  it("reads an MFA payload and one without metadata (GoTrue before 2026-02-05)", () => {
    const mfa = parseSendSmsPayload({ ...documented(), sms: { ...documented().sms, sms_type: "mfa" } });
    expect(mfa.sms.sms_type).toBe("mfa");
    const { metadata: _, ...old } = documented();
    expect(parseSendSmsPayload(old).metadata).toBeUndefined();
    expect(parseSendSmsPayload({ ...old, metadata: null }).metadata).toBeUndefined();
  });

  it("treats an empty ip_address as none, and keeps only the fields it reads", () => {
    const body = documented();
    const payload = parseSendSmsPayload({
      ...body,
      metadata: { ...body.metadata, ip_address: "", extra: 1 },
    });
    expect(payload.metadata).toEqual({
      uuid: body.metadata.uuid,
      time: body.metadata.time,
      name: "send-sms",
    });
  });

  it.each([
    ["not an object", "text", "body"],
    ["an array", [], "body"],
    ["no user", { ...documented(), user: undefined }, "user"],
    ["user without id", { ...documented(), user: { phone: "1" } }, "user.id"],
    ["numeric user id", { ...documented(), user: { id: 5 } }, "user.id"],
    ["no sms", { ...documented(), sms: undefined }, "sms"],
    ["code with letters", { ...documented(), sms: { otp: "12a456", phone: "14155550123" } }, "sms.otp"],
    ["code too short", { ...documented(), sms: { otp: "123", phone: "14155550123" } }, "sms.otp"],
    ["code too long", { ...documented(), sms: { otp: "12345678901", phone: "14155550123" } }, "sms.otp"],
    ["numeric code", { ...documented(), sms: { otp: 123456, phone: "14155550123" } }, "sms.otp"],
    ["no sms.phone (GoTrue before 2025-09)", { ...documented(), sms: { otp: "123456" } }, "sms.phone"],
    [
      "phone with a leading zero",
      { ...documented(), sms: { otp: "123456", phone: "0415555012" } },
      "sms.phone",
    ],
    ["phone with spaces", { ...documented(), sms: { otp: "123456", phone: "1 415 555 0123" } }, "sms.phone"],
    ["phone too long", { ...documented(), sms: { otp: "123456", phone: "1234567890123456" } }, "sms.phone"],
    ["non-text sms_type", { ...documented(), sms: { ...documented().sms, sms_type: 1 } }, "sms.sms_type"],
    ["metadata not an object", { ...documented(), metadata: "x" }, "metadata"],
    ["metadata without uuid", { ...documented(), metadata: { name: "send-sms" } }, "metadata.uuid"],
    [
      "another hook's metadata",
      { ...documented(), metadata: { ...documented().metadata, name: "send-email" } },
      "metadata.name",
    ],
    [
      "non-text ip",
      { ...documented(), metadata: { ...documented().metadata, ip_address: 7 } },
      "metadata.ip_address",
    ],
  ])("refuses %s as invalid_request naming the field", (_, body, field) => {
    expect(refusal(body)).toEqual({ code: "invalid_request", field });
  });

  it("adds back the + GoTrue strips, and keeps one that is there", () => {
    expect(e164("14155550123")).toBe("+14155550123");
    expect(e164("+14155550123")).toBe("+14155550123");
  });
});
