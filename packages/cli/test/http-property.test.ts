/**
 * The same property as otp-core's http.property.test.ts, but over real HTTP through the node:http
 * bridge: methods, paths, headers and bodies a raw client can send (including bodies that lie
 * about their length) never produce a 5xx or a non-JSON answer, and the store only ever holds
 * what accepted sends put there. Fewer runs than the in-process test: each is a real request.
 */
import { request as httpRequest } from "node:http";
import { createOtp, memoryStore, outbox } from "@otpkit/otp-core";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Listening } from "../src/node-http.js";
import { serveHandler } from "./helpers.js";

interface Raw {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Uint8Array | undefined;
}

function send(
  port: number,
  raw: Raw,
): Promise<{ status: number; headers: Record<string, unknown>; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: "127.0.0.1", port, method: raw.method, path: raw.path, headers: raw.headers, agent: false },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk) => (text += chunk));
        res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, text }));
        res.on("error", reject);
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error("no answer within 10 s")));
    // A server may answer (413, 401) before reading a body and close; that is not a failure.
    req.on("error", (error: NodeJS.ErrnoException) =>
      error.code === "EPIPE" || error.code === "ECONNRESET" ? undefined : reject(error),
    );
    req.end(raw.body);
  });
}

const phones = ["+14155551234", "+447911123456", "+33612345678"];
const jsonBody = fc
  .record(
    {
      phone: fc.oneof(fc.constantFrom(...phones), fc.string(), fc.integer()),
      code: fc.oneof(fc.stringMatching(/^\d{6}$/), fc.string()),
      id: fc.oneof(fc.string(), fc.constant("ver_l6aaaaaaaaaaaaaaaabbbbbbbbbbbbbbbb")),
      code_length: fc.oneof(fc.integer({ min: -2, max: 12 }), fc.string()),
      expiry_minutes: fc.oneof(fc.integer({ min: -2, max: 100 }), fc.double()),
      metadata: fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constant(JSON.parse('{"__proto__":{"x":1}}'))),
      purpose: fc.oneof(fc.constantFrom("login", "signup", "__proto__"), fc.string()),
    },
    { requiredKeys: [] },
  )
  .map((value) => new TextEncoder().encode(JSON.stringify(value)));

const raw: fc.Arbitrary<Raw> = fc.record({
  method: fc.oneof(
    { weight: 6, arbitrary: fc.constant("POST") },
    {
      weight: 1,
      arbitrary: fc.constantFrom("GET", "PUT", "DELETE", "OPTIONS", "PATCH", "HEAD", "PROPFIND", "M-SEARCH"),
    },
  ),
  path: fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom("/v1/sms/verify/send", "/v1/sms/verify/check") },
    {
      weight: 1,
      arbitrary: fc.oneof(
        fc.webPath().map((path) => encodeURI(path || "/")),
        fc.constantFrom("/v1/sms/verify/send?x=%ZZ", "//v1/sms/verify/send", "/%2e%2e/etc/passwd", "*"),
      ),
    },
  ),
  headers: fc
    .record(
      {
        "content-type": fc.oneof(
          { weight: 5, arbitrary: fc.constant("application/json") },
          { weight: 1, arbitrary: fc.constantFrom("text/plain", "application/json; charset=latin1", "") },
        ),
        // A length shorter than the body: the rest arrives as a garbage second request. (A longer
        // one just waits for bytes that never come, until the server's request timeout.)
        "content-length": fc.nat({ max: 64 }).map(String),
        "x-forwarded-for": fc.oneof(fc.ipV4(), fc.string()),
        authorization: fc.oneof(fc.constant("Bearer k"), fc.string()),
        "x-random": fc.string(),
      },
      { requiredKeys: ["content-type"] },
    )
    // Only values a real client can put on the wire (Node refuses the others before sending).
    .map((headers) =>
      Object.fromEntries(Object.entries(headers).filter(([, value]) => /^[\t\x20-\x7e]*$/.test(value))),
    ),
  body: fc.oneof(
    { weight: 5, arbitrary: jsonBody },
    {
      weight: 2,
      arbitrary: fc
        // code_length is refused from anonymous callers, so only some of these are accepted.
        .record(
          { phone: fc.constantFrom(...phones), code_length: fc.integer({ min: 4, max: 8 }) },
          { requiredKeys: ["phone"] },
        )
        .map((value) => new TextEncoder().encode(JSON.stringify(value))),
    },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 6000 }) },
    { weight: 1, arbitrary: fc.constant(undefined) },
  ),
});

/** Drops a declared length longer than the body (see above); keeps honest and shorter ones. */
const plausible = (input: Raw): Raw => {
  // A body on HEAD reads as a second, garbage request, which confuses the client's parser, not ours.
  if (input.method === "HEAD") return { ...input, body: undefined, headers: {} };
  const declared = input.headers["content-length"];
  if (declared === undefined || Number(declared) <= (input.body?.byteLength ?? 0)) return input;
  const { "content-length": _, ...headers } = input.headers;
  return { ...input, headers };
};

describe("verify API over real HTTP under random and hostile requests", () => {
  let server: Listening;
  const store = memoryStore();
  const sms = outbox();
  const accepted = new Set<string>();
  const serverErrors: unknown[] = [];

  beforeAll(async () => {
    const otp = createOtp({ secret: "http-property-secret-http-property-secret", store, sender: sms });
    server = await serveHandler(otp, { onError: (error) => serverErrors.push(error) });
  });
  afterAll(() => server.close());

  it("answers every request with JSON 2xx/4xx, never 5xx, and stores only accepted sends", async () => {
    await fc.assert(
      fc.asyncProperty(raw, async (input) => {
        const answer = await send(server.port, plausible(input));
        expect(answer.status, answer.text).toBeLessThan(500);
        expect(serverErrors).toEqual([]);
        if (input.method === "HEAD" || answer.status === 204) return;
        expect(answer.headers["content-type"]).toBe("application/json; charset=utf-8");
        const json = JSON.parse(answer.text);
        if (answer.status === 200 && "expires_at" in json) accepted.add(json.id);
        if (answer.status >= 400) expect(json.error.code).toEqual(expect.any(String));
      }),
      { numRuns: 1000 },
    );
    expect(accepted.size).toBeGreaterThan(0);
    for (const [, record] of store.dump().records) expect(accepted.has(record.id)).toBe(true);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  }, 120_000);
});
