/**
 * Unit tests of the handler's own logic (parsing, keys, IPs, CORS), calling it with Request objects.
 * The full contract over real HTTP — every route and every status — lives in
 * packages/cli/test/http-contract.test.ts.
 */
import { describe, expect, it, vi } from "vitest";
import type { OtpOptions } from "./config.js";
import { OtpError } from "./errors.js";
import type { OtpEvent } from "./events.js";
import { createOtpHandler, type OtpHandlerOptions } from "./http.js";
import { normalizeIp } from "./ip.js";
import { memoryStore } from "./memory-store.js";
import { createOtp } from "./otp.js";
import { outbox, unosend } from "./senders.js";

const secret = "test-secret-test-secret-test-secret!";
const phone = "+14155551234";

function setup(handlerOptions: OtpHandlerOptions = {}, otpOptions: Partial<OtpOptions> = {}) {
  const sms = outbox();
  const store = memoryStore();
  const events: OtpEvent[] = [];
  const otp = createOtp({
    secret,
    sender: sms,
    store,
    limits: { resendCooldownSeconds: 0, perPhone: [{ limit: 50, windowSeconds: 3600 }] },
    onEvent: (event) => events.push(event),
    ...otpOptions,
  });
  const onError = vi.fn();
  const handler = createOtpHandler(otp, { onError, ...handlerOptions });
  const call = async (
    path: string,
    body?: unknown,
    init: { method?: string; headers?: Record<string, string>; ip?: string; raw?: BodyInit } = {},
  ) => {
    const request = new Request(`http://localhost${path}`, {
      method: init.method ?? "POST",
      headers: { "content-type": "application/json", ...init.headers },
      ...(init.raw !== undefined
        ? { body: init.raw, duplex: "half" }
        : body !== undefined
          ? { body: JSON.stringify(body) }
          : {}),
    } as RequestInit);
    const response = await handler(request, init.ip ? { ip: init.ip } : undefined);
    const text = await response.text();
    return { status: response.status, headers: response.headers, text, json: text ? JSON.parse(text) : null };
  };
  return { sms, store, events, otp, handler, call, onError };
}

const send = "/v1/sms/verify/send";
const check = "/v1/sms/verify/check";

describe("createOtpHandler: routes", () => {
  it("sends and approves by id, answering in the seed-001 shapes", async () => {
    const { call, sms } = setup();
    const sent = await call(send, { phone, metadata: { user: "u1" } });
    expect(sent.status).toBe(200);
    expect(Object.keys(sent.json).sort()).toEqual(
      ["expires_at", "id", "masked_phone", "phone", "resend_available_at", "status"].sort(),
    );
    expect(sent.json).toMatchObject({ phone, status: "sent", masked_phone: "+1 ***-***-1234" });
    const code = sms.lastCode(phone)!;
    expect(sent.text).not.toContain(code);
    const checked = await call(check, { id: sent.json.id, code });
    expect(checked.status).toBe(200);
    expect(checked.json).toEqual({ id: sent.json.id, phone, status: "approved", metadata: { user: "u1" } });
  });

  it("approves by phone and purpose where the app allows it (verifyBy: phone)", async () => {
    const { call, sms } = setup({ verifyBy: "phone" });
    await call(send, { phone, purpose: "password_reset" });
    const code = sms.lastCode(phone)!;
    // Another purpose finds nothing, and says so exactly as a wrong code would.
    expect((await call(check, { phone, code })).status).toBe(422);
    const checked = await call(check, { phone, purpose: "password_reset", code });
    expect(checked.json.status).toBe("approved");
  });

  it("serves under basePath only", async () => {
    const { call } = setup({ basePath: "/api/otp/" });
    expect((await call(`/api/otp${send}`, { phone })).status).toBe(200);
    expect((await call(send, { phone })).status).toBe(404);
  });

  it("answers unknown paths 404 and other methods 405 with Allow, in JSON", async () => {
    const { call } = setup();
    const missing = await call("/v1/sms/verify/sendx", { phone });
    expect(missing.status).toBe(404);
    expect(missing.json.error.code).toBe("not_found");
    const get = await call(send, undefined, { method: "GET" });
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST");
    expect(get.json.error.code).toBe("method_not_allowed");
  });

  it("marks every answer uncacheable and not sniffable", async () => {
    const { call } = setup();
    const sent = await call(send, { phone });
    expect(sent.headers.get("cache-control")).toBe("no-store");
    expect(sent.headers.get("x-content-type-options")).toBe("nosniff");
    expect(sent.headers.get("content-type")).toBe("application/json; charset=utf-8");
  });
});

describe("createOtpHandler: body parsing", () => {
  it.each([
    ["text/plain", 415],
    ["", 415],
    ["application/x-www-form-urlencoded", 415],
    ["application/json; charset=iso-8859-1", 415],
    ["application/json; charset=UTF-8", 200],
    ["application/vnd.api+json", 200],
  ])("content-type %j → %i", async (contentType, status) => {
    const { call } = setup();
    expect((await call(send, { phone }, { headers: { "content-type": contentType } })).status).toBe(status);
  });

  it("refuses a declared oversized body before reading it, and a streamed one at the cap", async () => {
    const { call } = setup({ maxBodyBytes: 100 });
    const big = { phone, metadata: { pad: "x".repeat(200) } };
    const declared = await call(send, big);
    expect(declared.status).toBe(413);
    expect(declared.json.error.code).toBe("payload_too_large");
    let pulled = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(new TextEncoder().encode(`{"pad":"${"x".repeat(64)}`));
      },
    });
    const streamed = await call(send, undefined, { raw: endless });
    expect(streamed.status).toBe(413);
    expect(pulled).toBeLessThan(10);
  });

  it.each([
    ["not JSON", "{phone:", "body"],
    ["an array", "[1,2]", "body"],
    ["a string", '"+14155551234"', "body"],
    ["null", "null", "body"],
    ["empty", "", "body"],
  ])("refuses a body that is %s", async (_, raw, field) => {
    const { call, store } = setup();
    const answer = await call(send, undefined, { raw });
    expect(answer.status).toBe(400);
    expect(answer.json.error).toMatchObject({ code: "invalid_request", field });
    expect(store.dump().records).toEqual([]);
  });

  it("refuses invalid UTF-8 instead of guessing", async () => {
    const { call } = setup();
    const bytes = new Uint8Array([...new TextEncoder().encode('{"phone":"'), 0xff, 0xfe, 0x22, 0x7d]);
    expect((await call(send, undefined, { raw: bytes })).status).toBe(400);
  });

  it.each([
    [{ phone, code_length: "6" }, "code_length"],
    [{ phone, code_length: 9 }, "code_length"],
    [{ phone, code_length: 4.5 }, "code_length"],
    [{ phone, expiry_minutes: 0 }, "expiry_minutes"],
    [{ phone, expiry_minutes: 61 }, "expiry_minutes"],
    [{ phone, metadata: [1, 2] }, "metadata"],
    [{ phone, metadata: "x" }, "metadata"],
    [{ phone, metadata: { big: "x".repeat(2000) } }, "metadata"],
    [{ phone, purpose: "toString" }, "purpose"],
    [{ phone, channel: 7 }, "channel"],
    [{ phone: 14155551234 }, "phone"],
    [{ phone: "+1415" }, "phone"],
  ])("refuses %j with field %s and stores nothing", async (body, field) => {
    const { call, store, sms } = setup({}, {});
    const answer = await call(send, body);
    expect(answer.status).toBe(400);
    expect(answer.json.error.field).toBe(field);
    expect(store.dump()).toEqual({ records: [], windows: [], failures: [] });
    expect(sms.messages).toHaveLength(0);
  });

  it("treats null as an absent optional field and ignores unknown fields", async () => {
    const { call } = setup();
    const answer = await call(send, { phone, code_length: null, metadata: null, extra: { deep: true } });
    expect(answer.status).toBe(200);
  });

  it("refuses a code sent as a number (leading zeros would be lost)", async () => {
    const { call } = setup();
    const sent = await call(send, { phone });
    const answer = await call(check, { id: sent.json.id, code: 123456 });
    expect(answer.status).toBe(400);
    expect(answer.json.error.field).toBe("code");
  });

  it("asks for an id or a phone on check", async () => {
    const { call } = setup();
    const answer = await call(check, { code: "123456" });
    expect(answer.status).toBe(400);
    expect(answer.json.error.field).toBe("id");
  });

  it("drops __proto__, constructor and prototype keys at every depth", async () => {
    const { call, sms } = setup();
    const raw = `{"phone":"${phone}","__proto__":{"polluted":1},"metadata":{"a":1,"__proto__":{"polluted":2},"constructor":{"prototype":{"polluted":3}},"nested":{"__proto__":{"polluted":4}}}}`;
    const sent = await call(send, undefined, { raw });
    expect(sent.status).toBe(200);
    const checked = await call(check, { id: sent.json.id, code: sms.lastCode(phone) });
    expect(checked.json.metadata).toEqual({ a: 1, nested: {} });
    expect(Object.hasOwn(checked.json.metadata, "__proto__")).toBe(false);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe("createOtpHandler: templates", () => {
  it("refuses caller-chosen SMS text on a public endpoint (phishing)", async () => {
    const { call, sms } = setup();
    const answer = await call(send, { phone, template: "Your bank: call +1 555 0100 now. {code}" });
    expect(answer.status).toBe(400);
    expect(answer.json.error.field).toBe("template");
    expect(sms.messages).toHaveLength(0);
  });

  it("accepts templates with API keys, or when explicitly allowed", async () => {
    const keyed = setup({ apiKeys: { "key-aaaaaaaaaaaaaaaa": "acme" } });
    const answer = await keyed.call(
      send,
      { phone, template: "Your Acme login code: {code}", code_length: 4 },
      { headers: { authorization: "Bearer key-aaaaaaaaaaaaaaaa" } },
    );
    expect(answer.status).toBe(200);
    expect(keyed.sms.last(phone)!.body).toMatch(/^Your Acme login code: \d{4}$/);
    const open = setup({ allowCustomTemplates: true });
    expect((await open.call(send, { phone, template: "Code {code}" })).status).toBe(200);
    const closed = setup({ apiKeys: { "key-aaaaaaaaaaaaaaaa": "" }, allowCustomTemplates: false });
    const refused = await closed.call(
      send,
      { phone, template: "Code {code}" },
      { headers: { authorization: "Bearer key-aaaaaaaaaaaaaaaa" } },
    );
    expect(refused.status).toBe(400);
  });

  it("refuses code_length and expiry_minutes from anonymous callers, sending nothing", async () => {
    const anonymous = setup();
    for (const body of [
      { phone, code_length: 4 },
      { phone, expiry_minutes: 60 },
    ]) {
      const answer = await anonymous.call(send, body);
      expect(answer.status).toBe(400);
      expect(answer.json.error.field).toBe(Object.keys(body)[1]);
    }
    expect(anonymous.sms.messages).toHaveLength(0);
    const opened = setup({ allowCodeOptions: true });
    expect((await opened.call(send, { phone, code_length: 4, expiry_minutes: 5 })).status).toBe(200);
    expect(opened.sms.last(phone)!.body).toMatch(/\b\d{4}\b/);
  });
});

describe("createOtpHandler: API keys and tenants", () => {
  const keys = { "key-aaaaaaaaaaaaaaaa": "acme", "key-bbbbbbbbbbbbbbbb": "globex" };
  const as = (key: string) => ({ headers: { authorization: `Bearer ${key}` } });

  it.each([
    ["no header", {}],
    ["a wrong key", as("key-cccccccccccccccc")],
    ["a prefix of a key", as("key-aaaaaaaa")],
    ["another scheme", { headers: { authorization: "Basic a2V5LWFhYWFhYWFhYWFhYWFhYWE=" } }],
  ])("answers 401 with WWW-Authenticate for %s, before reading the body", async (_, init) => {
    const { call, store } = setup({ apiKeys: keys });
    const answer = await call(send, { phone }, init);
    expect(answer.status).toBe(401);
    expect(answer.json.error.code).toBe("unauthorized");
    expect(answer.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect(store.dump().windows).toEqual([]);
  });

  it("keeps one pending verification per phone per tenant", async () => {
    const { call, sms } = setup({ apiKeys: keys });
    const acme = await call(send, { phone }, as("key-aaaaaaaaaaaaaaaa"));
    const acmeCode = sms.lastCode(phone)!;
    const globex = await call(send, { phone }, as("key-bbbbbbbbbbbbbbbb"));
    const globexCode = sms.lastCode(phone)!;
    // Globex's send did not invalidate Acme's code, and neither tenant can check the other's.
    expect((await call(check, { id: acme.json.id, code: acmeCode }, as("key-bbbbbbbbbbbbbbbb"))).status).toBe(
      404,
    );
    expect((await call(check, { id: acme.json.id, code: acmeCode }, as("key-aaaaaaaaaaaaaaaa"))).status).toBe(
      200,
    );
    expect(
      (await call(check, { id: globex.json.id, code: globexCode }, as("key-bbbbbbbbbbbbbbbb"))).status,
    ).toBe(200);
  });

  it("accepts a resolver function", async () => {
    const { call } = setup({ apiKeys: async (key) => (key === "dynamic-key-0000000" ? "t1" : undefined) });
    expect((await call(send, { phone }, as("dynamic-key-0000000"))).status).toBe(200);
    expect((await call(send, { phone }, as("other"))).status).toBe(401);
  });

  it("refuses bad configuration at construction", () => {
    const otp = createOtp({ secret, sender: outbox() });
    expect(() => createOtpHandler(otp, { apiKeys: {} })).toThrow(OtpError);
    expect(() => createOtpHandler(otp, { apiKeys: { k: "bad tenant!" } })).toThrow(/tenant/);
    expect(() => createOtpHandler(otp, { trustProxy: -1 })).toThrow(/trustProxy/);
    expect(() => createOtpHandler(otp, { maxBodyBytes: 10 })).toThrow(/maxBodyBytes/);
    expect(() => createOtpHandler(otp, { basePath: "api" })).toThrow(/basePath/);
  });
});

describe("createOtpHandler: client IP", () => {
  const ipOf = async (options: OtpHandlerOptions, headers: Record<string, string>, ip = "10.0.0.9") => {
    const { call, events } = setup(options);
    expect((await call(send, { phone }, { headers, ip })).status).toBe(200);
    return (events.find((event) => event.type === "sent") as { ip?: string }).ip;
  };

  it("ignores forwarding headers unless proxies are trusted", async () => {
    expect(await ipOf({}, { "x-forwarded-for": "1.1.1.1" })).toBe("10.0.0.9");
    expect(await ipOf({}, {}, "::ffff:10.0.0.9")).toBe("10.0.0.9");
  });

  it("counts trusted hops from the right of X-Forwarded-For", async () => {
    const xff = { "x-forwarded-for": "6.6.6.6, 1.1.1.1, 2.2.2.2" };
    expect(await ipOf({ trustProxy: 1 }, xff)).toBe("2.2.2.2");
    expect(await ipOf({ trustProxy: 2 }, xff)).toBe("1.1.1.1");
    expect(await ipOf({ trustProxy: 5 }, xff)).toBe("6.6.6.6");
    expect(await ipOf({ trustProxy: 1 }, { "x-forwarded-for": "garbage" })).toBe("10.0.0.9");
    expect(await ipOf({ trustProxy: 1 }, {})).toBe("10.0.0.9");
  });

  it("reads only the configured header, so a client cannot slip in the other", async () => {
    const headers = { forwarded: 'for="[2001:db8:1:2::7]:4711", for=3.3.3.3', "x-forwarded-for": "9.9.9.9" };
    expect(await ipOf({ trustProxy: 1, proxyHeader: "forwarded" }, headers)).toBe("3.3.3.3");
    expect(await ipOf({ trustProxy: 2, proxyHeader: "forwarded" }, headers)).toBe("2001:db8:1:2::/64");
    expect(await ipOf({ trustProxy: 1 }, headers)).toBe("9.9.9.9");
  });

  it.each([
    ["1.2.3.4", "1.2.3.4"],
    [" 1.2.3.4:8080 ", "1.2.3.4"],
    ["256.1.1.1", undefined],
    ["::1", "0:0:0:0::/64"],
    ["[2001:DB8::1]", "2001:db8:0:0::/64"],
    ["2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff", "2001:db8:aaaa:bbbb::/64"],
    ["::ffff:192.0.2.1", "192.0.2.1"],
    ["64:ff9b::192.0.2.1", "64:ff9b:0:0::/64"],
    ["1::2::3", undefined],
    ["fe80::1%eth0", undefined],
    ["unknown", undefined],
    ["_hidden", undefined],
  ])("normalizeIp(%j) → %j", (raw, expected) => {
    expect(normalizeIp(raw)).toBe(expected);
  });
});

describe("createOtpHandler: CORS", () => {
  const origin = "https://app.example";

  it("is off by default: no headers, preflight refused", async () => {
    const { call } = setup();
    const answer = await call(send, { phone }, { headers: { origin } });
    expect(answer.headers.get("access-control-allow-origin")).toBeNull();
    expect((await call(send, undefined, { method: "OPTIONS", headers: { origin } })).status).toBe(405);
  });

  it("allows the configured origins only, on answers and errors alike", async () => {
    const { call } = setup({ cors: { origins: [origin] } });
    const preflight = await call(send, undefined, { method: "OPTIONS", headers: { origin } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe(origin);
    expect(preflight.headers.get("access-control-allow-headers")).toContain("authorization");
    const error = await call(send, { phone: "nope" }, { headers: { origin } });
    expect(error.status).toBe(400);
    expect(error.headers.get("access-control-allow-origin")).toBe(origin);
    expect(error.headers.get("access-control-expose-headers")).toBe("retry-after");
    const stranger = await call(send, undefined, {
      method: "OPTIONS",
      headers: { origin: "https://evil.example" },
    });
    expect(stranger.headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("createOtpHandler: failures", () => {
  it("turns an unexpected exception into a generic 500 and reports it to onError", async () => {
    const { otp, onError } = setup();
    const broken = { ...otp, send: async () => Promise.reject(new TypeError("secret internals at line 42")) };
    const handler = createOtpHandler(broken, { onError });
    const response = await handler(
      new Request(`http://localhost${send}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ phone }),
      }),
    );
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({ error: { code: "internal_error", message: "Something went wrong." } });
    expect(text).not.toContain("internals");
    expect(onError).toHaveBeenCalledOnce();
  });

  it("gives every 429 a Retry-After, falling back to the resend cooldown", async () => {
    const { call, sms } = setup({}, { limits: { resendCooldownSeconds: 45 } });
    const sent = await call(send, { phone });
    const again = await call(send, { phone });
    expect(again.status).toBe(429);
    expect(Number(again.headers.get("retry-after"))).toBe(again.json.error.retry_after);
    const code = sms.lastCode(phone)!;
    const wrong = code === "000000" ? "111111" : "000000";
    for (let i = 0; i < 3; i++) await call(check, { id: sent.json.id, code: wrong });
    const dead = await call(check, { id: sent.json.id, code });
    expect(dead.status).toBe(429);
    expect(dead.json.error.code).toBe("too_many_attempts");
    expect(dead.headers.get("retry-after")).toBe("45");
  });
});

describe("createOtpHandler: the causes a UI tells apart, on the wire", () => {
  const errorOf = (reply: { json: { error: Record<string, unknown> } }) => reply.json.error;

  it("names why a number is refused: invalid, not a mobile, or a country not allowed", async () => {
    const { call } = setup({}, { phone: { allowedCountries: ["US", "GB"] } });
    const invalid = await call(send, { phone: "+1 415 555" });
    expect(invalid.status).toBe(400);
    expect(errorOf(invalid)).toMatchObject({ code: "invalid_phone", reason: "invalid", field: "phone" });
    // A London landline: valid, but it cannot receive a text.
    const landline = await call(send, { phone: "+44 20 7946 0018" });
    expect(landline.status).toBe(400);
    expect(errorOf(landline)).toMatchObject({ code: "invalid_phone", reason: "not_mobile" });
    const country = await call(send, { phone: "+33 6 12 34 56 78" });
    expect(country.status).toBe(403);
    expect(errorOf(country)).toMatchObject({ code: "blocked", reason: "country" });
  });

  it("says whether a rate limit is the app's (the cooldown named) or the provider's", async () => {
    const { call } = setup(
      {},
      { limits: { resendCooldownSeconds: 60, perPhone: [{ limit: 50, windowSeconds: 3600 }] } },
    );
    expect((await call(send, { phone })).status).toBe(200);
    const cooldown = await call(send, { phone });
    expect(cooldown.status).toBe(429);
    expect(errorOf(cooldown)).toMatchObject({ code: "rate_limited", source: "app", reason: "cooldown" });
    expect(Number(errorOf(cooldown).retry_after)).toBeGreaterThan(50);
    expect(cooldown.headers.get("retry-after")).toBe(String(errorOf(cooldown).retry_after));

    const budget = setup(
      {},
      { limits: { resendCooldownSeconds: 0, perPhone: [{ limit: 1, windowSeconds: 3600 }] } },
    );
    expect((await budget.call(send, { phone })).status).toBe(200);
    const limited = errorOf(await budget.call(send, { phone }));
    expect(limited).toMatchObject({ code: "rate_limited", source: "app" });
    expect(limited.reason).toBeUndefined();
  });

  it("carries the provider's 429 (with its Retry-After) as source provider, and its 402 as quota_exceeded", async () => {
    let answer = new Response("{}", { status: 429, headers: { "retry-after": "7" } });
    const sender = unosend({ apiKey: "k", apiUrl: "http://provider.test", fetch: async () => answer });
    const { call } = setup({}, { sender });
    const limited = await call(send, { phone });
    expect(limited.status).toBe(429);
    expect(errorOf(limited)).toMatchObject({ code: "rate_limited", source: "provider", retry_after: 7 });
    answer = new Response("{}", { status: 402 });
    const quota = await call(send, { phone });
    expect(quota.status).toBe(402);
    expect(errorOf(quota)).toMatchObject({ code: "quota_exceeded" });
    answer = new Response("{}", { status: 500 });
    expect(errorOf(await call(send, { phone }))).toMatchObject({ code: "send_failed" });
  });
});
