/**
 * End to end, as a user runs it: `otpkit serve` (startServer, configured only through env) →
 * the sandbox as its SMS provider → the code read back from the sandbox → check approved.
 */

import { tcpProxy } from "@otpkit/otp-core/testing/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CliError } from "../src/node-http.js";
import { type Sandbox, startSandbox } from "../src/sandbox.js";
import { type OtpServer, parseApiKeys, startServer } from "../src/serve.js";
import { request, wrongCode } from "./helpers.js";

const secret = "serve-test-secret-serve-test-secret-0123";
const apiKey = "un_your_api_key_0000";
const auth = { authorization: `Bearer ${apiKey}` };

describe("otpkit serve → sandbox, end to end", () => {
  let sandbox: Sandbox;
  let server: OtpServer;
  const api = (action: "send" | "check", body: unknown, headers = auth) =>
    request(`${server.url}/v1/sms/verify/${action}`, { body, headers });
  const lastCode = async (phone: string) =>
    (await request(`${sandbox.url}/api/sandbox/last-code?to=${encodeURIComponent(phone)}`)).json
      .code as string;

  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0 });
    server = await startServer({
      port: 0,
      env: {
        OTP_SECRET: secret,
        UNOSEND_API_URL: sandbox.apiUrl,
        UNOSEND_API_KEY: "un_test_key",
        OTPKIT_API_KEYS: `${apiKey}:acme,un_other_api_key_000:globex`,
        SMS_RESEND_COOLDOWN_SECONDS: "0",
        SMS_RATE_LIMIT_HOUR: "3",
        // Every request comes from 127.0.0.1: lift the per-IP limit so it does not mask the others.
        SMS_RATE_LIMIT_IP: "1000",
        SMS_RATE_LIMIT_VERIFY_IP: "1000",
      },
    });
  });
  afterAll(async () => {
    await server.close();
    await sandbox.close();
  });

  it("serves /healthz (liveness) and /readyz (readiness: the store answers)", async () => {
    const health = await request(`${server.url}/healthz`);
    expect(health.status).toBe(200);
    expect(health.json).toEqual({ status: "ok" });
    const ready = await request(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(ready.json).toEqual({ status: "ready" });
  });

  it("seed 001, basic OTP: send, read the SMS from the sandbox, check → approved", async () => {
    const phone = "+14155551234";
    const started = Date.now();
    const sent = await api("send", { phone });
    expect(sent.status).toBe(200);
    expect(sent.json).toMatchObject({ phone, status: "sent", masked_phone: "+1 ***-***-1234" });
    // Seed 001's defaults: 10 minutes and the generic template.
    const expiresIn = Date.parse(sent.json.expires_at) - started;
    expect(expiresIn).toBeGreaterThan(10 * 60_000 - 5000);
    expect(expiresIn).toBeLessThanOrEqual(10 * 60_000 + 5000);
    const [message] = (await request(`${sandbox.url}/api/sandbox/messages?to=${encodeURIComponent(phone)}`))
      .json.messages;
    expect(message.body).toMatch(/^Your verification code is: \d{6}\. Valid for 10 minutes\.$/);
    expect(message.metadata).toEqual({
      type: "phone_verification",
      verification_id: sent.json.id,
      expires_at: sent.json.expires_at,
    });
    const checked = await api("check", { id: sent.json.id, code: await lastCode(phone) });
    expect(checked.status).toBe(200);
    expect(checked.json).toEqual({ id: sent.json.id, phone, status: "approved", metadata: {} });
  });

  it('seed 001, custom template: "Your Acme login code: {code}", code_length 4, expiry_minutes 5', async () => {
    const phone = "+447911123456";
    const started = Date.now();
    const sent = await api("send", {
      phone,
      template: "Your Acme login code: {code}",
      code_length: 4,
      expiry_minutes: 5,
    });
    expect(sent.status).toBe(200);
    const expiresIn = Date.parse(sent.json.expires_at) - started;
    expect(Math.abs(expiresIn - 5 * 60_000)).toBeLessThan(5000);
    const code = await lastCode(phone);
    expect(code).toMatch(/^\d{4}$/);
    expect(sandbox.messages[0]!.body).toBe(`Your Acme login code: ${code}`);
    const checked = await api("check", { phone, code });
    expect(checked.json.status).toBe("approved");
  });

  it("expiry_minutes 5 on another purpose overrides its default", async () => {
    const phone = "+4915112345678";
    const started = Date.now();
    const sent = await api("send", { phone, purpose: "password_reset", expiry_minutes: 5 });
    expect(Math.abs(Date.parse(sent.json.expires_at) - started - 5 * 60_000)).toBeLessThan(5000);
    expect(sandbox.messages[0]!.body).toMatch(/Valid for 5 minutes/);
    const checked = await api("check", { phone, purpose: "password_reset", code: await lastCode(phone) });
    expect(checked.json.status).toBe("approved");
  });

  it("a re-send invalidates the first code", async () => {
    const phone = "+33612345678";
    const first = await api("send", { phone });
    const firstCode = await lastCode(phone);
    const second = await api("send", { phone });
    let secondCode = await lastCode(phone);
    // One time in 10^6 the new code equals the old one; the id still tells them apart.
    expect(second.json.id).not.toBe(first.json.id);
    const stale = await api("check", { id: first.json.id, code: firstCode });
    expect(stale.status).toBe(404);
    expect(stale.json.error.code).toBe("not_found");
    if (secondCode === firstCode) secondCode = await lastCode(phone);
    const fresh = await api("check", { id: second.json.id, code: secondCode });
    expect(fresh.json.status).toBe("approved");
  });

  it("429 with Retry-After after the per-phone limit (SMS_RATE_LIMIT_HOUR=3)", async () => {
    const phone = "+819012345678";
    for (let i = 0; i < 3; i++) expect((await api("send", { phone })).status).toBe(200);
    const before = sandbox.messages.length;
    const limited = await api("send", { phone });
    expect(limited.status).toBe(429);
    expect(limited.json.error.code).toBe("rate_limited");
    const retryAfter = Number(limited.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(3500);
    expect(retryAfter).toBeLessThanOrEqual(3600);
    expect(limited.json.error.retry_after).toBe(retryAfter);
    expect(sandbox.messages.length).toBe(before);
  });

  it("keeps tenants apart: one tenant's send does not touch another's code", async () => {
    const phone = "+14155550123";
    const acme = await api("send", { phone });
    const acmeCode = await lastCode(phone);
    const other = { authorization: "Bearer un_other_api_key_000" };
    expect((await api("send", { phone }, other)).status).toBe(200);
    expect((await api("check", { id: acme.json.id, code: acmeCode }, other)).status).toBe(404);
    expect((await api("check", { id: acme.json.id, code: acmeCode })).json.status).toBe("approved");
  });

  it("race: 100 concurrent checks with the right code over HTTP → exactly one 200", async () => {
    const phone = "+14155550199";
    const sent = await api("send", { phone });
    const code = await lastCode(phone);
    const answers = await Promise.all(
      Array.from({ length: 100 }, () => api("check", { id: sent.json.id, code })),
    );
    const statuses = answers.map((answer) => answer.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    expect(statuses.filter((status) => status === 404)).toHaveLength(99);
  });

  it("race: 100 concurrent wrong guesses are all counted; the code dies after 3", async () => {
    const phone = "+14155550198";
    const sent = await api("send", { phone });
    const code = await lastCode(phone);
    const answers = await Promise.all(
      Array.from({ length: 100 }, () => api("check", { id: sent.json.id, code: wrongCode(code) })),
    );
    const statuses = answers.map((answer) => answer.status);
    expect(statuses.filter((status) => status === 422)).toHaveLength(2);
    expect(statuses.filter((status) => status === 429)).toHaveLength(98);
    expect((await api("check", { id: sent.json.id, code })).status).toBe(429);
  });

  it("maps sandbox faults to the documented statuses", async () => {
    for (const [fault, status, code] of [
      [429, 429, "rate_limited"],
      [402, 402, "quota_exceeded"],
      [500, 502, "send_failed"],
    ] as const) {
      sandbox.setFaults({ status: fault, count: 1 });
      const answer = await api("send", { phone: "+14155550177" });
      expect(answer.status).toBe(status);
      expect(answer.json.error.code).toBe(code);
      if (status === 429) expect(answer.headers.get("retry-after")).toBe("1");
    }
  });
});

describe("otpkit serve configuration", () => {
  it("runs the embedded default with no configuration: memory store, ephemeral secret, sandbox", async () => {
    const lines: string[] = [];
    const server = await startServer({
      port: 0,
      env: { OTPKIT_SANDBOX_PORT: "0" },
      log: (level, line) => lines.push(`${level}: ${line}`),
    });
    try {
      expect(server.sandbox).toBeDefined();
      expect(lines.join("\n")).toMatch(/warn: OTP_SECRET is not set/);
      expect(lines.join("\n")).toContain(`listening on ${server.url}`);
      const sent = await request(`${server.url}/v1/sms/verify/send`, { body: { phone: "+14155551234" } });
      expect(sent.status).toBe(200);
      const code = server.sandbox!.lastCode("+14155551234")!;
      expect(lines.join("\n")).not.toContain(code);
      const checked = await request(`${server.url}/v1/sms/verify/check`, {
        body: { id: sent.json.id, code },
      });
      expect(checked.json.status).toBe("approved");
      // Without API keys the endpoint is public, so callers may not choose the SMS text.
      const template = await request(`${server.url}/v1/sms/verify/send`, {
        body: { phone: "+14155550100", template: "Call us {code}" },
      });
      expect(template.status).toBe(400);
    } finally {
      await server.close();
    }
  });

  it("limits sends per client IP: the socket's, or X-Forwarded-For's only with TRUST_PROXY", async () => {
    const env = { OTP_SECRET: secret, OTPKIT_SANDBOX_PORT: "0", SMS_RATE_LIMIT_IP: "2" };
    const sendFrom = (server: OtpServer, forwardedFor: string, n: number) =>
      request(`${server.url}/v1/sms/verify/send`, {
        body: { phone: `+1415555${String(1000 + n)}` },
        headers: { "x-forwarded-for": forwardedFor },
      });
    const direct = await startServer({ port: 0, env });
    try {
      expect((await sendFrom(direct, "1.1.1.1", 1)).status).toBe(200);
      expect((await sendFrom(direct, "2.2.2.2", 2)).status).toBe(200);
      // A client-written header does not buy a fresh limit: all three come from 127.0.0.1.
      const third = await sendFrom(direct, "3.3.3.3", 3);
      expect(third.status).toBe(429);
      expect(third.json.error.code).toBe("rate_limited");
    } finally {
      await direct.close();
    }
    const proxied = await startServer({ port: 0, env: { ...env, TRUST_PROXY: "1" } });
    try {
      for (let n = 1; n <= 3; n++) expect((await sendFrom(proxied, `10.0.0.${n}`, n)).status).toBe(200);
      expect((await sendFrom(proxied, "6.6.6.6, 10.0.0.9", 4)).status).toBe(200);
      expect((await sendFrom(proxied, "7.7.7.7, 10.0.0.9", 5)).status).toBe(200);
      expect((await sendFrom(proxied, "8.8.8.8, 10.0.0.9", 6)).status).toBe(429);
    } finally {
      await proxied.close();
    }
  });

  it("reuses a sandbox already running on the sandbox port", async () => {
    const sandbox = await startSandbox({ port: 0 });
    const server = await startServer({
      port: 0,
      env: { OTPKIT_SANDBOX_PORT: String(sandbox.port), OTP_SECRET: secret },
    });
    try {
      expect(server.sandbox).toBeUndefined();
      await request(`${server.url}/v1/sms/verify/send`, { body: { phone: "+14155551234" } });
      expect(sandbox.lastCode("+14155551234")).toMatch(/^\d{6}$/);
    } finally {
      await server.close();
      await sandbox.close();
    }
  });

  it.each([
    [{ NODE_ENV: "production", UNOSEND_API_KEY: "k" }, /OTP_SECRET is required when NODE_ENV=production/],
    [{ NODE_ENV: "production", OTP_SECRET: secret }, /UNOSEND_API_KEY is required/],
    [{ OTP_SECRET: "short" }, /at least 32 bytes/],
    [{ OTP_SECRET: secret, TRUST_PROXY: "yes" }, /TRUST_PROXY must be a whole number/],
    [{ OTP_SECRET: secret, SMS_RATE_LIMIT_HOUR: "0" }, /SMS_RATE_LIMIT_HOUR/],
    [{ OTP_SECRET: secret, SMS_RATE_LIMIT_IP: "0" }, /SMS_RATE_LIMIT_IP/],
    [{ OTP_SECRET: secret, OTPKIT_API_KEYS: "short:acme" }, /at least 16 characters/],
    [{ OTP_SECRET: secret, OTPKIT_API_KEYS: "a-long-enough-key-123:bad tenant" }, /tenant/],
    [{ OTP_SECRET: secret, OTPKIT_ALLOW_CUSTOM_TEMPLATES: "maybe" }, /true or false/],
  ])("refuses bad configuration %j with a one-line error", async (env, message) => {
    const error = await startServer({ port: 0, env: { OTPKIT_SANDBOX_PORT: "0", ...env } }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(CliError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain("\n");
  });

  it("says so when the port is taken", async () => {
    const first = await startServer({
      port: 0,
      env: { OTP_SECRET: secret, UNOSEND_API_URL: "http://127.0.0.1:9/api/v1" },
    });
    try {
      const error = await startServer({
        port: first.port,
        env: { OTP_SECRET: secret, OTPKIT_SANDBOX_PORT: "0" },
      }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(CliError);
      expect((error as Error).message).toMatch(
        new RegExp(`port ${first.port} on 127.0.0.1 is already in use`),
      );
    } finally {
      await first.close();
    }
  });

  it("parses OTPKIT_API_KEYS", () => {
    expect(parseApiKeys("key-aaaaaaaaaaaaaaaa:acme, key-bbbbbbbbbbbbbbbb")).toEqual({
      "key-aaaaaaaaaaaaaaaa": "acme",
      "key-bbbbbbbbbbbbbbbb": "",
    });
  });
});

describe("readiness follows the store", () => {
  it("/readyz answers 503 within its bound while Redis stalls, and /healthz stays 200", async () => {
    const proxy = await tcpProxy(
      Number(new URL(process.env.REDIS_URL ?? "redis://127.0.0.1:6379").port || 6379),
    );
    const server = await startServer({
      port: 0,
      env: {
        OTP_SECRET: secret,
        UNOSEND_API_URL: "http://127.0.0.1:9/api/v1",
        REDIS_URL: `redis://127.0.0.1:${proxy.port}`,
      },
    });
    try {
      expect((await request(`${server.url}/readyz`)).status).toBe(200);
      proxy.refuse();
      const started = performance.now();
      const stalled = await request(`${server.url}/readyz`);
      expect(stalled.status).toBe(503);
      expect(stalled.json).toEqual({ status: "store_unavailable" });
      expect(performance.now() - started).toBeLessThan(5000);
      expect((await request(`${server.url}/healthz`)).status).toBe(200);
    } finally {
      await server.close(100);
      await proxy.close();
    }
  });
});
