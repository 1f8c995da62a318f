import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createOtp, type Otp, OtpError, outbox } from "@otpkit/otp-core";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createPagesSendHandler, createSendRoute } from "./routes.js";

const secret = "test-secret-that-is-at-least-32-bytes-long";

function setup(perIp = 10) {
  const sms = outbox();
  const otp = createOtp({
    secret,
    sender: sms,
    production: false,
    limits: { perIp: [{ limit: perIp, windowSeconds: 600 }] },
  });
  return { sms, otp };
}

const post = (body: unknown, headers: Record<string, string> = {}, url = "http://app.test/api/otp/send") =>
  new Request(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

describe("createSendRoute (App Router)", () => {
  it("sends a code and answers the send reply, wherever the route is mounted", async () => {
    const { otp, sms } = setup();
    const { POST } = createSendRoute(otp);
    const response = await POST(post({ phone: "+1 415 555 0123" }, {}, "http://app.test/anywhere/send"));
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const body = await response.json();
    expect(body).toMatchObject({ phone: "+14155550123", status: "sent", masked_phone: "+1 ***-***-0123" });
    expect(Date.parse(body.resend_available_at) - Date.now()).toBeGreaterThan(55_000);
    expect(sms.lastCode("+14155550123")).toMatch(/^\d{6}$/);
  });

  it("keeps code length, lifetime and purpose the server's decision", async () => {
    const { otp, sms } = setup();
    const { POST } = createSendRoute(otp, { purpose: "signup" });
    for (const weakening of [{ code_length: 4 }, { expiry_minutes: 60 }]) {
      const refused = await POST(post({ phone: "+14155550123", ...weakening }));
      expect(refused.status).toBe(400);
      expect((await refused.json()).error.field).toBe(Object.keys(weakening)[0]);
    }
    expect(sms.messages).toHaveLength(0);
    const response = await POST(post({ phone: "+14155550123", purpose: "password_reset" }));
    const body = await response.json();
    expect(response.status).toBe(200);
    expect(Date.parse(body.expires_at) - Date.now()).toBeLessThanOrEqual(10 * 60_000);
    expect(sms.lastCode("+14155550123")).toMatch(/^\d{6}$/);
    expect(sms.last()!.body).toMatch(/^Welcome!/); // the signup template, not password reset
    await expect(
      otp.verify({ phone: "+14155550123", purpose: "signup", code: sms.lastCode("+14155550123")! }),
    ).resolves.toMatchObject({ status: "approved" });
  });

  it("answers the fraud guard's refusals with 403 blocked and its reason", async () => {
    const sms = outbox();
    const otp = createOtp({ secret, sender: sms, guard: { blockList: ["+14155550123"] } });
    const { POST } = createSendRoute(otp, { onWarning: () => {} });
    const refused = await POST(post({ phone: "+1 415 555 0123" }));
    expect(refused.status).toBe(403);
    expect((await refused.json()).error).toMatchObject({ code: "blocked", reason: "block_list" });
    expect(sms.messages).toHaveLength(0);
  });

  it("answers refusals with the stable error JSON, status and Retry-After", async () => {
    const { otp } = setup();
    const { POST } = createSendRoute(otp);
    const invalid = await POST(post({ phone: "12" }));
    expect(invalid.status).toBe(400);
    expect((await invalid.json()).error.code).toBe("invalid_phone");
    await POST(post({ phone: "+14155550123" }));
    const again = await POST(post({ phone: "+14155550123" }));
    expect(again.status).toBe(429);
    expect(Number(again.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await again.json()).error).toMatchObject({ code: "rate_limited" });
    expect((await POST(post("{nope"))).status).toBe(400);
  });

  it("applies per-IP limits with the IP from getClientIp, or from X-Forwarded-For with trustProxy", async () => {
    const viaGetter = createSendRoute(setup(1).otp, {
      getClientIp: (r) => r.headers.get("x-real-ip") ?? undefined,
    });
    expect(
      (await viaGetter.POST(post({ phone: "+14155550101" }, { "x-real-ip": "203.0.113.9" }))).status,
    ).toBe(200);
    expect(
      (await viaGetter.POST(post({ phone: "+14155550102" }, { "x-real-ip": "203.0.113.9" }))).status,
    ).toBe(429);
    expect(
      (await viaGetter.POST(post({ phone: "+14155550103" }, { "x-real-ip": "203.0.113.10" }))).status,
    ).toBe(200);

    const viaProxy = createSendRoute(setup(1).otp, { trustProxy: 1 });
    const from = (chain: string, phone: string) =>
      viaProxy.POST(post({ phone }, { "x-forwarded-for": chain }));
    expect((await from("1.1.1.1, 198.51.100.7", "+14155550104")).status).toBe(200);
    // The client rewrote the left part of the header; the hop our proxy appended still counts.
    expect((await from("2.2.2.2, 198.51.100.7", "+14155550105")).status).toBe(429);
  });

  it("ignores X-Forwarded-For by default: a client cannot pick its IP", async () => {
    const { POST } = createSendRoute(setup(1).otp, { onWarning: () => {} });
    const first = await POST(post({ phone: "+14155550106" }, { "x-forwarded-for": "203.0.113.1" }));
    const second = await POST(post({ phone: "+14155550107" }, { "x-forwarded-for": "203.0.113.1" }));
    expect([first.status, second.status]).toEqual([200, 200]); // no trusted IP → the per-IP rule is skipped
  });

  it("without an IP source, sends from anywhere share a conservative budget, and it says so once at start", async () => {
    const warnings: string[] = [];
    // (Sequential numbers nobody verifies would also trip the pumping tripwire: off here.)
    const otp = createOtp({
      secret,
      sender: outbox(),
      limits: { perPrefix: false },
      guard: { tripwire: false },
    });
    const { POST } = createSendRoute(otp, { onWarning: (message) => warnings.push(message) });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/no client IP source.*getClientIp or trustProxy/);
    const statuses: number[] = [];
    // 25 clients, 25 numbers: the SMS-pumping pattern that the missing per-IP limit let through.
    for (let i = 0; i < 31; i++) {
      const headers = { "x-forwarded-for": `203.0.113.${i}` };
      statuses.push((await POST(post({ phone: `+1415555${String(2000 + i)}` }, headers))).status);
    }
    expect(statuses.filter((status) => status === 200)).toHaveLength(30);
    expect(statuses[30]).toBe(429);
    expect(warnings).toHaveLength(1);
    const tighter = createSendRoute(otp, {
      onWarning: () => {},
      withoutIpLimit: [{ limit: 2, windowSeconds: 60 }],
    });
    expect((await tighter.POST(post({ phone: "+14155553001" }))).status).toBe(200);
  });

  it("creates the otp instance on first request and answers 500 (without details) when that fails", async () => {
    const onError = vi.fn();
    let attempts = 0;
    const { otp } = setup();
    const { POST } = createSendRoute(
      () => {
        if (++attempts === 1) throw new OtpError("invalid_config", "OTP_SECRET is not set.");
        return otp;
      },
      { onError },
    );
    const failed = await POST(post({ phone: "+14155550123" }));
    expect(failed.status).toBe(500);
    expect(await failed.json()).toEqual({
      error: { code: "internal_error", message: "Something went wrong." },
    });
    expect(onError).toHaveBeenCalledOnce();
    expect((await POST(post({ phone: "+14155550123" }))).status).toBe(200);
  });
});

describe("createPagesSendHandler (Pages Router)", () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  /** A real Node server, with Next's JSON body parser imitated when `parseBody` is on. */
  async function serve(otp: Otp, parseBody: boolean) {
    const handler = createPagesSendHandler(otp);
    server = createServer(async (req: IncomingMessage & { body?: unknown }, res) => {
      if (parseBody) {
        let text = "";
        for await (const chunk of req) text += chunk;
        req.body = req.headers["content-type"]?.includes("json") ? JSON.parse(text) : text;
      }
      await handler(req, res);
    });
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    return (body: unknown) =>
      fetch(`http://127.0.0.1:${port}/api/otp/send`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
  }

  for (const parseBody of [true, false]) {
    it(`sends, refuses with the error JSON and limits by socket IP (body parser ${parseBody ? "on" : "off"})`, async () => {
      const { otp, sms } = setup(2);
      const send = await serve(otp, parseBody);
      const ok = await send({ phone: "+14155550123" });
      expect(ok.status).toBe(200);
      expect(await ok.json()).toMatchObject({ phone: "+14155550123", masked_phone: "+1 ***-***-0123" });
      expect(sms.lastCode("+14155550123")).toMatch(/^\d{6}$/);
      const bad = await send({ phone: "0" });
      expect(bad.status).toBe(400);
      expect((await bad.json()).error.code).toBe("invalid_phone");
      expect((await send({ phone: "+14155550124" })).status).toBe(200);
      const limited = await send({ phone: "+14155550125" }); // third send from 127.0.0.1
      expect(limited.status).toBe(429);
      expect(limited.headers.get("retry-after")).toBeTruthy();
      const url = limited.url;
      for (const method of ["GET", "HEAD"]) expect((await fetch(url, { method })).status).toBe(405);
      const wrongType = await fetch(url, {
        method: "POST",
        headers: { "content-type": "text/plain" },
        body: "x",
      });
      expect(wrongType.status).toBe(415);
    });
  }
});
