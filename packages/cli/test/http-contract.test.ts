/**
 * The verify API's contract over real HTTP on loopback: every route and every status issue 3
 * names (400, 401, 402, 404, 405, 410, 413, 415, 422, 429, 502, 503), through the same
 * node:http bridge `otpkit serve` uses.
 */
import { connect } from "node:net";
import {
  createOtp,
  memoryStore,
  OtpError,
  type OtpOptions,
  outbox,
  type Sender,
  type Store,
} from "@otpkit/otp-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Listening } from "../src/node-http.js";
import { request, serveHandler, wrongCode } from "./helpers.js";

const phone = "+14155551234";
const apiKey = "contract-key-aaaaaaaaaaaa";

/** A sender whose next behaviour the test chooses. */
function switchableSender() {
  const sms = outbox();
  let mode: "ok" | "quota" | "down" | "limited" = "ok";
  const sender: Sender = {
    name: "switchable",
    async send(message) {
      if (mode === "quota") throw new OtpError("quota_exceeded", "The SMS quota is exhausted.");
      if (mode === "limited") throw new OtpError("rate_limited", "The provider is rate limiting.");
      if (mode === "down") throw new Error("ECONNREFUSED 10.1.2.3:443 with api key sk_live_secret");
      return sms.send(message);
    },
  };
  const set = (next: typeof mode) => {
    mode = next;
  };
  return { sender, sms, set };
}

/** A store that can be switched off, like a Redis that went away. */
function switchableStore() {
  const inner = memoryStore();
  let down = false;
  const fail = () => {
    throw new Error("connect ECONNREFUSED 127.0.0.1:6379 password=hunter2");
  };
  const store: Store = {
    name: "switchable",
    put: async (...args) => (down ? fail() : inner.put(...args)),
    check: async (...args) => (down ? fail() : inner.check(...args)),
    hit: async (...args) => (down ? fail() : inner.hit(...args)),
    release: async (...args) => (down ? fail() : inner.release(...args)),
    read: async (...args) => (down ? fail() : inner.read(...args)),
    delete: async (...args) => (down ? fail() : inner.delete(...args)),
  };
  const set = (value: boolean) => {
    down = value;
  };
  return { store, inner, set };
}

describe("verify API over HTTP", () => {
  let server: Listening;
  let now = Date.now();
  const sender = switchableSender();
  const storage = switchableStore();
  const options: Partial<OtpOptions> = {
    limits: { resendCooldownSeconds: 0, perPhone: [{ limit: 100, windowSeconds: 3600 }] },
  };
  const url = (path: string) => `${server.url}${path}`;
  const send = (body: unknown, headers: Record<string, string> = {}) =>
    request(url("/v1/sms/verify/send"), { body, headers });
  const check = (body: unknown, headers: Record<string, string> = {}) =>
    request(url("/v1/sms/verify/check"), { body, headers });

  beforeAll(async () => {
    const otp = createOtp({
      secret: "contract-secret-contract-secret-contract",
      sender: sender.sender,
      store: storage.store,
      clock: () => now,
      ...options,
    });
    server = await serveHandler(otp, { maxBodyBytes: 2048 });
  });
  afterAll(() => server.close());

  describe("POST /v1/sms/verify/send", () => {
    it("200: {id, phone, status, expires_at, masked_phone, resend_available_at}, and the SMS goes out", async () => {
      const answer = await send({ phone: "+1 415 555 1234".replaceAll(" ", "") });
      expect(answer.status).toBe(200);
      expect(answer.json).toEqual({
        id: expect.stringMatching(/^ver_/),
        phone,
        status: "sent",
        expires_at: new Date(now + 10 * 60_000).toISOString(),
        masked_phone: "+1 ***-***-1234",
        resend_available_at: new Date(now).toISOString(),
      });
      // Seed 001's defaults when no purpose is named: the generic template, 10 minutes.
      expect(sender.sms.last(phone)!.body).toMatch(
        /^Your verification code is: \d{6}\. Valid for 10 minutes\.$/,
      );
      expect(answer.text).not.toContain(sender.sms.lastCode(phone)!);
    });

    it("400 for bad input, with the field, and nothing sent", async () => {
      const before = sender.sms.messages.length;
      for (const [body, field] of [
        [{ phone: "not a phone" }, "phone"],
        [{ phone, code_length: 3 }, "code_length"],
        [{ phone, code_length: 9 }, "code_length"],
        [{ phone, expiry_minutes: 0 }, "expiry_minutes"],
        [{ phone, expiry_minutes: 61 }, "expiry_minutes"],
        [{ phone, metadata: [] }, "metadata"],
        [{ phone, purpose: "root" }, "purpose"],
        [{ phone, template: "Hi {code}" }, "template"],
      ] as const) {
        const answer = await send(body);
        expect(answer.status, JSON.stringify(body)).toBe(400);
        expect(answer.json.error.field).toBe(field);
        expect(answer.json.error.message).toEqual(expect.any(String));
      }
      const broken = await request(url("/v1/sms/verify/send"), { raw: '{"phone": "+1415' });
      expect(broken.status).toBe(400);
      expect(broken.json.error.code).toBe("invalid_request");
      expect(sender.sms.messages.length).toBe(before);
    });

    it("402 when the provider's quota is exhausted", async () => {
      sender.set("quota");
      const answer = await send({ phone: "+14155550101" });
      sender.set("ok");
      expect(answer.status).toBe(402);
      expect(answer.json.error.code).toBe("quota_exceeded");
    });

    it("502 when the provider fails, without its details", async () => {
      sender.set("down");
      const answer = await send({ phone: "+14155550102" });
      sender.set("ok");
      expect(answer.status).toBe(502);
      expect(answer.json.error).toEqual({ code: "send_failed", message: "The SMS could not be sent." });
      expect(answer.text).not.toMatch(/ECONNREFUSED|sk_live|stack/);
    });

    it("429 with Retry-After when the provider rate limits", async () => {
      sender.set("limited");
      const answer = await send({ phone: "+14155550103" });
      sender.set("ok");
      expect(answer.status).toBe(429);
      expect(Number(answer.headers.get("retry-after"))).toBeGreaterThan(0);
    });

    it("503 when the store is down, without its details", async () => {
      storage.set(true);
      const answer = await send({ phone: "+14155550104" });
      storage.set(false);
      expect(answer.status).toBe(503);
      expect(answer.json.error.code).toBe("store_unavailable");
      expect(answer.text).not.toMatch(/ECONNREFUSED|hunter2|6379/);
    });

    it("413 for a body over the cap, 415 for anything but JSON", async () => {
      const big = await send({ phone, metadata: { pad: "x".repeat(4000) } });
      expect(big.status).toBe(413);
      expect(big.json.error.code).toBe("payload_too_large");
      const form = await request(url("/v1/sms/verify/send"), {
        raw: "phone=%2B14155551234",
        headers: { "content-type": "application/x-www-form-urlencoded" },
      });
      expect(form.status).toBe(415);
      expect(form.json.error.code).toBe("unsupported_media_type");
    });

    it("405 for other methods, 404 for other paths", async () => {
      const get = await request(url("/v1/sms/verify/send"));
      expect(get.status).toBe(405);
      expect(get.headers.get("allow")).toBe("POST");
      const put = await request(url("/v1/sms/verify/check"), { method: "PUT", body: {} });
      expect(put.status).toBe(405);
      const missing = await request(url("/v1/sms/verify/resend"), { body: { phone } });
      expect(missing.status).toBe(404);
      expect(missing.json.error.code).toBe("not_found");
    });
  });

  describe("POST /v1/sms/verify/check", () => {
    it("200 approved with the metadata, once; then 404", async () => {
      const sent = await send({ phone: "+14155550110", metadata: { order: 42 } });
      const code = sender.sms.lastCode("+14155550110")!;
      const approved = await check({ id: sent.json.id, code });
      expect(approved.status).toBe(200);
      expect(approved.json).toEqual({
        id: sent.json.id,
        phone: "+14155550110",
        status: "approved",
        metadata: { order: 42 },
      });
      const replay = await check({ id: sent.json.id, code });
      expect(replay.status).toBe(404);
      expect(replay.json.error.code).toBe("not_found");
    });

    it("422 with attempts_left for a wrong code, then 429 too_many_attempts with Retry-After", async () => {
      const sent = await send({ phone: "+14155550111" });
      const code = sender.sms.lastCode("+14155550111")!;
      const first = await check({ id: sent.json.id, code: wrongCode(code) });
      expect(first.status).toBe(422);
      expect(first.json.error).toMatchObject({ code: "invalid_code", attempts_left: 2 });
      await check({ id: sent.json.id, code: wrongCode(code) });
      await check({ id: sent.json.id, code: wrongCode(code) });
      const dead = await check({ id: sent.json.id, code });
      expect(dead.status).toBe(429);
      expect(dead.json.error.code).toBe("too_many_attempts");
      expect(Number(dead.headers.get("retry-after"))).toBeGreaterThan(0);
    });

    it("410 once the code has expired", async () => {
      // Anonymous callers cannot choose expiry_minutes: wait out the default 10 minutes.
      const sent = await send({ phone: "+14155550112" });
      const code = sender.sms.lastCode("+14155550112")!;
      now += 10 * 60_000 + 1000;
      const answer = await check({ id: sent.json.id, code });
      expect(answer.status).toBe(410);
      expect(answer.json.error.code).toBe("expired");
    });

    it("400 for a malformed code, 404 for an unknown id", async () => {
      const bad = await check({ id: "ver_x", code: "12ab" });
      expect(bad.status).toBe(400);
      expect(bad.json.error.field).toBe("code");
      const unknown = await check({ id: "ver_l6aaaaaaaaaaaaaaaabbbbbbbbbbbbbbbb", code: "123456" });
      expect(unknown.status).toBe(404);
    });

    it("503 when the store is down", async () => {
      const sent = await send({ phone: "+14155550113" });
      storage.set(true);
      const answer = await check({ id: sent.json.id, code: sender.sms.lastCode("+14155550113")! });
      storage.set(false);
      expect(answer.status).toBe(503);
    });
  });

  it("answers garbage on the wire with a 400, not a crash", async () => {
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect(server.port, "127.0.0.1", () =>
        socket.write("POST /v1 HTTP/1.1\r\nHost: x\r\nContent-Length: zz\r\n\r\n"),
      );
      let data = "";
      socket.on("data", (chunk) => (data += chunk));
      socket.on("end", () => resolve(data));
      socket.on("error", reject);
      socket.setTimeout(5000, () => reject(new Error("no answer")));
    });
    expect(reply).toMatch(/^HTTP\/1\.1 400/);
    expect(JSON.parse(reply.slice(reply.indexOf("\r\n\r\n") + 4)).error.code).toBe("invalid_request");
  });
});

describe("verify API over HTTP with API keys", () => {
  let server: Listening;
  const sms = outbox();

  beforeAll(async () => {
    const otp = createOtp({ secret: "contract-secret-contract-secret-contract", sender: sms });
    server = await serveHandler(otp, { apiKeys: { [apiKey]: "acme" } });
  });
  afterAll(() => server.close());

  it("401 without a key or with a wrong one; 200 with the right one", async () => {
    const path = `${server.url}/v1/sms/verify/send`;
    const none = await request(path, { body: { phone } });
    expect(none.status).toBe(401);
    expect(none.json.error.code).toBe("unauthorized");
    expect(none.headers.get("www-authenticate")).toMatch(/^Bearer/);
    const wrong = await request(path, { body: { phone }, headers: { authorization: "Bearer nope" } });
    expect(wrong.status).toBe(401);
    const right = await request(path, { body: { phone }, headers: { authorization: `Bearer ${apiKey}` } });
    expect(right.status).toBe(200);
    expect(sms.messages).toHaveLength(1);
  });
});
