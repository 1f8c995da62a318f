/**
 * Property: nothing a client can send makes the handler answer 5xx, leak a code, or make the store
 * hold something it should not. 10^4 random and hostile requests (methods, paths, headers, bodies),
 * against one long-lived handler and store, so state carries across requests: real codes get
 * checked, sends run into their limits, the clock moves.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createOtpHandler } from "./http.js";
import { memoryStore } from "./memory-store.js";
import { purposes } from "./message.js";
import { createOtp } from "./otp.js";
import { outbox } from "./senders.js";
import type { Store } from "./store.js";

const send = "/v1/sms/verify/send";
const check = "/v1/sms/verify/check";
const apiKey = "property-key-0123456789";
const validPhones = ["+14155551234", "+447911123456", "+4915112345678", "+33612345678", "+819012345678"];
/** Numbers the core may accept or refuse (toll-free, premium, unassigned-looking). */
const edgePhones = ["+18005551234", "+19005551234", "+14155550000"];
const errorCodes = new Set([
  "invalid_request",
  "invalid_phone",
  "unauthorized",
  "blocked",
  "not_found",
  "method_not_allowed",
  "expired",
  "payload_too_large",
  "unsupported_media_type",
  "invalid_code",
  "rate_limited",
  "too_many_attempts",
]);

/** Values resolved against live state at request time: real ids and codes from earlier sends. */
const REAL_ID = Symbol("real id");
const REAL_CODE = Symbol("real code");
const REAL_PHONE = Symbol("real phone");
const REAL_PURPOSE = Symbol("real purpose");

const hostileString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 20 }),
  fc.constantFrom(
    "__proto__",
    "constructor",
    "toString",
    "{code}",
    "Your code {code} {minutes} {app} {link}",
    "\u0000",
    "\ud800",
    "%00",
    "<script>alert(1)</script>",
    "'; DROP TABLE otp; --",
    "x".repeat(700),
    "+1 (415) 555-1234",
    "+999999999999999999999",
    "NaN",
    "123456",
  ),
);

const hostileNumber = fc.oneof(
  fc.integer({ min: -10, max: 100 }),
  fc.double({ noNaN: true }),
  fc.constantFrom(0, -0, 4, 8, 1, 60, 1e308, Number.MAX_SAFE_INTEGER + 2, 4.0000001),
);

const anyValue = fc.oneof(
  { weight: 3, arbitrary: hostileString },
  { weight: 2, arbitrary: hostileNumber },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false, [], {}, [1, 2]) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);

const maybe = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined, freq: 2 });
/** Present in about one request in `oneIn`: hostile headers, but not so often that nothing else runs. */
const rarely = <T>(arbitrary: fc.Arbitrary<T>, oneIn = 8) =>
  fc.oneof({ weight: oneIn - 1, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary });

const phoneValue = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...validPhones) },
  { weight: 2, arbitrary: anyValue },
  { weight: 1, arbitrary: fc.constantFrom(...edgePhones) },
);

const metadataValue = fc.oneof(
  fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 5 }),
  // JSON.parse, because an object literal's `__proto__` would set the prototype, not a key.
  fc.constantFrom(
    JSON.parse('{"__proto__":{"polluted":true}}'),
    JSON.parse('{"constructor":{"prototype":{"polluted":true}}}'),
  ),
  anyValue,
);

const sendBody = fc.record(
  {
    phone: phoneValue,
    template: maybe(fc.oneof(hostileString, fc.constant("Your Acme login code: {code}"))),
    code_length: maybe(fc.oneof(fc.integer({ min: 4, max: 8 }), hostileNumber, anyValue)),
    expiry_minutes: maybe(fc.oneof(fc.integer({ min: 1, max: 60 }), hostileNumber, anyValue)),
    metadata: maybe(metadataValue),
    purpose: maybe(fc.oneof(fc.constantFrom(...purposes), anyValue)),
    channel: maybe(fc.oneof(fc.constantFrom("sms", "whatsapp"), anyValue)),
    extra: maybe(anyValue),
  },
  { requiredKeys: [] },
);

const checkBody = fc.record(
  {
    id: maybe(
      fc.oneof(fc.constant(REAL_ID), anyValue, fc.constant("ver_l6aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")),
    ),
    phone: maybe(phoneValue),
    purpose: maybe(fc.oneof(fc.constantFrom(...purposes), anyValue)),
    code: maybe(
      fc.oneof(
        { weight: 3, arbitrary: fc.constant(REAL_CODE) },
        { weight: 3, arbitrary: fc.stringMatching(/^\d{4,8}$/) },
        { weight: 2, arbitrary: anyValue },
      ),
    ),
    token: maybe(anyValue),
  },
  { requiredKeys: [] },
);

/** A check that could succeed: a recent verification's id or phone+purpose, with its real code. */
const realCheckBody = fc.oneof(
  fc.constant({ id: REAL_ID, code: REAL_CODE }),
  fc.constant({ phone: REAL_PHONE, purpose: REAL_PURPOSE, code: REAL_CODE }),
  fc.record({ id: fc.constant(REAL_ID), code: fc.stringMatching(/^\d{4,8}$/) }),
);

/** Body encodings: JSON of a shaped object, raw hostile text, bytes that are not UTF-8, nothing. */
const body = fc.oneof(
  { weight: 8, arbitrary: fc.oneof(sendBody, checkBody).map((value) => ({ json: value })) },
  { weight: 3, arbitrary: realCheckBody.map((value) => ({ json: value as Record<string, unknown> })) },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }).map((raw) => ({ raw })) },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(
        '{"phone":"+14155551234","__proto__":{"polluted":true}}',
        '{"phone":"+14155551234","metadata":{"__proto__":{"polluted":true}}}',
        '{"constructor":{"prototype":{"polluted":true}},"phone":"+14155551234"}',
        `{"phone":"+14155551234","metadata":${"[".repeat(3000)}${"]".repeat(3000)}}`,
        `{"phone":"+14155551234","metadata":{"a":"${"x".repeat(5000)}"}}`,
        "[]",
        "null",
        '"str"',
        "1e999",
        '{"phone":"+14155551234"',
        "\ufeff{}",
      )
      .map((raw) => ({ raw })),
  },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((bytes) => ({ bytes })) },
  { weight: 1, arbitrary: fc.constant({}) },
);

const request = fc.record({
  method: fc.oneof(
    { weight: 10, arbitrary: fc.constant("POST") },
    { weight: 1, arbitrary: fc.constantFrom("GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "FOO") },
  ),
  path: fc.oneof(
    { weight: 10, arbitrary: fc.constantFrom(send, check) },
    {
      weight: 1,
      arbitrary: fc.oneof(
        fc.constantFrom(`${send}/`, "/v1/sms/verify/%73end", "//v1/sms/verify/send", "/", `${check}?x=1`),
        fc.webPath(),
      ),
    },
  ),
  contentType: fc.oneof(
    { weight: 20, arbitrary: fc.constant("application/json") },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        "application/json; charset=utf-8",
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/json; charset=latin1",
        "APPLICATION/JSON",
        "multipart/form-data; boundary=x",
      ),
    },
    { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
  ),
  keyed: fc.boolean(),
  authorization: fc.oneof(
    { weight: 12, arbitrary: fc.constant(`Bearer ${apiKey}`) },
    { weight: 1, arbitrary: fc.constantFrom("Bearer wrong", "Bearer ", "Basic eDp5", `bearer ${apiKey}x`) },
    { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
  ),
  forwardedFor: rarely(fc.oneof(fc.ipV4(), fc.ipV6(), fc.string({ maxLength: 40 })), 3),
  forwarded: rarely(fc.string({ maxLength: 60 })),
  origin: rarely(fc.oneof(fc.constant("https://app.example"), fc.webUrl()), 4),
  contentLength: rarely(fc.oneof(fc.nat(), fc.constantFrom("-1", "abc", "99999999999999999999")), 12),
  socketIp: maybe(fc.oneof(fc.ipV4(), fc.ipV6(), fc.string({ maxLength: 20 }))),
  advanceMs: fc.oneof(
    { weight: 8, arbitrary: fc.constant(0) },
    { weight: 3, arbitrary: fc.integer({ min: 0, max: 5_000 }) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 20 * 60_000 }) },
  ),
  body,
});

/** A store that records which operations ran, so the property can say who touched it. */
function recording(inner: ReturnType<typeof memoryStore>) {
  const calls: string[] = [];
  const store: Store = {
    name: inner.name,
    put: async (...args) => {
      const result = await inner.put(...args);
      calls.push(result.ok ? "put" : "put-refused");
      return result;
    },
    check: async (...args) => {
      const result = await inner.check(...args);
      calls.push(`check-${result.status}`);
      return result;
    },
    hit: async (...args) => {
      calls.push("hit");
      return inner.hit(...args);
    },
    release: async (...args) => {
      calls.push("release");
      return inner.release(...args);
    },
    read: async (...args) => {
      calls.push("read");
      return inner.read(...args);
    },
    delete: async (...args) => {
      calls.push("delete");
      return inner.delete(...args);
    },
  };
  return { store, calls };
}

function encodeHeaderValue(value: string): string | undefined {
  // Request refuses header values that no HTTP client could send; those are not inputs.
  return /^[\t\x20-\x7e\x80-\xff]*$/.test(value) ? value.trim() : undefined;
}

/**
 * The part of a response that must never carry a code: everything except the echoed phone
 * numbers, timestamps, the random id and the caller's own metadata; numbers with a unit in error
 * messages (limits, sizes, waits) are fine too.
 */
function textThatMustNotHoldDigits(json: Record<string, any>): string {
  const {
    phone: _p,
    masked_phone: _m,
    expires_at: _e,
    resend_available_at: _r,
    id: _i,
    metadata: _d,
    ...rest
  } = json;
  // A wait in seconds is a number by nature (it may have four digits): not a place a code could hide.
  const error = rest.error ? { ...rest.error, retry_after: undefined } : undefined;
  return JSON.stringify({ ...rest, ...(error ? { error } : {}) }).replace(
    /\d+ (?:seconds?|bytes|attempts?|digits|minutes|characters)|\d+ to \d+|\+\d+/g,
    "",
  );
}

describe("createOtpHandler under 10^4 random and hostile requests", () => {
  it("never answers 5xx, always answers JSON, never leaks a code, and stores only what it should", async () => {
    let now = Date.parse("2030-01-01T00:00:00Z");
    const inner = memoryStore();
    const { store, calls } = recording(inner);
    const sms = outbox();
    const otp = createOtp({
      secret: "property-secret-property-secret-property",
      store,
      sender: sms,
      clock: () => now,
      limits: {
        perPhone: [{ limit: 6, windowSeconds: 3600 }],
        perIp: [{ limit: 40, windowSeconds: 600 }],
        resendCooldownSeconds: 20,
      },
    });
    const serverErrors: unknown[] = [];
    const options = {
      onError: (error: unknown) => serverErrors.push(error),
      cors: { origins: ["https://app.example"] },
    };
    const publicHandler = createOtpHandler(otp, options);
    // The public endpoint finds codes by id only; the keyed (server-side) one also by phone.
    const keyedHandler = createOtpHandler(otp, {
      ...options,
      apiKeys: { [apiKey]: "acme" },
      verifyBy: "phone",
    });
    /** Every accepted send: its code, and who may check it (the keyed tenant or the public app). */
    const issued = new Map<string, { code: string; keyed: boolean; phone: string; purpose: string }>();
    const approved = new Set<string>();
    const statuses = new Map<number, number>();
    const prototypeKeys = Object.getOwnPropertyNames(Object.prototype).sort();

    await fc.assert(
      fc.asyncProperty(request, async (input) => {
        now += input.advanceMs;
        const mine = [...issued].filter(([, entry]) => entry.keyed === input.keyed);
        const [realId, real] = mine[
          mine.length - 1 - (input.advanceMs % Math.max(1, Math.min(mine.length, 3)))
        ] ?? ["ver_none", { code: "000000", phone: validPhones[0]!, purpose: "login" }];
        const resolve = (value: unknown): unknown => {
          if (value === REAL_ID) return realId;
          if (value === REAL_CODE) return real.code;
          if (value === REAL_PHONE) return real.phone;
          if (value === REAL_PURPOSE) return real.purpose;
          if (Array.isArray(value)) return value.map(resolve);
          return value;
        };
        const headers = new Headers();
        const set = (name: string, value: string | number | undefined) => {
          const safe = value === undefined ? undefined : encodeHeaderValue(String(value));
          if (safe !== undefined) headers.set(name, safe);
        };
        set("content-type", input.contentType);
        if (input.keyed) set("authorization", input.authorization);
        set("x-forwarded-for", input.forwardedFor);
        set("forwarded", input.forwarded);
        set("origin", input.origin);
        set("content-length", input.contentLength);
        let payload: BodyInit | undefined;
        if ("json" in input.body) {
          const value = Object.fromEntries(
            Object.entries(input.body.json)
              .filter(([, v]) => v !== undefined)
              .map(([k, v]) => [k, resolve(v)]),
          );
          payload = JSON.stringify(value);
        } else if ("raw" in input.body) payload = input.body.raw;
        else if ("bytes" in input.body) payload = input.body.bytes;
        const hasBody = payload !== undefined && input.method !== "GET" && input.method !== "HEAD";
        const req = new Request(`http://localhost${input.path}`, {
          method: input.method,
          headers,
          ...(hasBody ? { body: payload } : {}),
        });

        const recordsBefore = inner.dump().records;
        calls.length = 0;
        const handler = input.keyed ? keyedHandler : publicHandler;
        const response = await handler(
          req,
          input.socketIp === undefined ? undefined : { ip: input.socketIp },
        );
        const text = await response.text();
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);

        // 1. Never a 5xx; a 204 only as a CORS preflight; everything else is JSON.
        expect(serverErrors).toEqual([]);
        expect(response.status, text).toBeLessThan(500);
        if (response.status === 204) {
          expect(input.method).toBe("OPTIONS");
          return;
        }
        expect(response.headers.get("content-type")).toBe("application/json; charset=utf-8");
        const json = JSON.parse(text);

        if (response.status >= 400) {
          expect(response.status).toBeGreaterThanOrEqual(400);
          expect(Object.keys(json)).toEqual(["error"]);
          expect(errorCodes).toContain(json.error.code);
          expect(typeof json.error.message).toBe("string");
          if (response.status === 429) expect(Number(response.headers.get("retry-after"))).toBeGreaterThan(0);
        } else {
          expect(response.status).toBe(200);
          expect(input.method).toBe("POST");
        }

        // 2. No code anywhere it does not belong.
        expect(textThatMustNotHoldDigits(json)).not.toMatch(/\d{4,}/);
        for (const [name, value] of response.headers)
          if (name !== "retry-after" && name !== "content-length") expect(value).not.toMatch(/\d{4,}/);

        // 3. The store: who touched it, and how, must fit the answer. (A check from a known IP first
        // counts one verification for that IP: a `hit`.)
        const counted = calls.filter((call) => call !== "hit");
        const touched = counted.join(",");
        const wrote = calls.includes("put");
        if (response.status === 200 && "expires_at" in json) {
          expect(Object.keys(json).sort()).toEqual(
            ["expires_at", "id", "masked_phone", "phone", "resend_available_at", "status"].sort(),
          );
          expect([...validPhones, ...edgePhones]).toContain(json.phone);
          expect(wrote).toBe(true);
          const sent = sms.messages.at(-1)!;
          expect(sent.metadata?.verification_id).toBe(json.id);
          issued.set(json.id, {
            code: sms.lastCode(json.phone)!,
            keyed: input.keyed,
            phone: json.phone,
            purpose: String(sent.metadata?.type),
          });
        } else if (response.status === 200) {
          expect(Object.keys(json).sort()).toEqual(["id", "metadata", "phone", "status"]);
          expect(json.status).toBe("approved");
          expect(counted).toEqual(["check-approved"]);
          expect(approved.has(json.id)).toBe(false);
          approved.add(json.id);
          expect(json.metadata).toEqual(JSON.parse(JSON.stringify(json.metadata)));
        } else if ([400, 401, 404, 405, 413, 415, 422].includes(response.status) && calls.length === 0) {
          // Refused before the store: nothing can have changed.
          expect(inner.dump().records).toEqual(recordsBefore);
        } else {
          // Refused by the store itself: a check that found nothing, or counted one wrong guess;
          // a send over a limit, which writes nothing.
          expect(wrote, touched).toBe(false);
          if (counted.length === 0) {
            // The per-IP verification budget refused before the check.
            expect(response.status).toBe(429);
            expect(calls).toEqual(["hit"]);
          } else {
            expect(counted.length).toBe(1);
            expect(counted[0]).toMatch(
              /^(check-(not_found|expired|invalid|too_many_attempts|locked)|put-refused)$/,
            );
          }
        }
        // Bad input never reaches the store at all.
        if (
          response.status === 400 ||
          response.status === 401 ||
          response.status === 413 ||
          response.status === 415
        )
          expect(touched).toBe("");

        // 4. No prototype was polluted.
        expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeKeys);
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      }),
      { numRuns: 10_000 },
    );

    // 5. Whatever is left in the store came from an accepted send and holds no code.
    const codes = new Set([...issued.values()].map((entry) => entry.code));
    for (const [, record] of inner.dump().records) {
      expect(issued.has(record.id)).toBe(true);
      expect(approved.has(record.id)).toBe(false);
      expect(record.hash).toMatch(/^[\w-]{43}$/);
      expect(codes.has(record.hash)).toBe(false);
      // The record's data is sealed (AES-GCM): neither the number nor the code can be read in it.
      expect(record.data).toMatch(/^e1\.[\w-]+\.[\w-]+$/);
      for (const text of [record.id, record.hash, record.linkHash ?? "", record.data])
        expect(text).not.toContain(issued.get(record.id)!.code);
      for (const number of [...validPhones, ...edgePhones])
        expect(record.data).not.toContain(number.slice(1));
    }
    // The run must have exercised the interesting paths, or it proves little.
    expect(issued.size).toBeGreaterThan(50);
    expect(approved.size).toBeGreaterThan(10);
    for (const status of [200, 204, 400, 401, 404, 405, 410, 413, 415, 422, 429])
      expect(statuses.get(status)).toBeGreaterThan(0);
  }, 120_000);
});
