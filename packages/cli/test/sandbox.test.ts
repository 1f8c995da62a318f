/**
 * The sandbox over real HTTP: the Unosend-compatible send API, the JSON endpoints, the inbox
 * page and its live updates, and fault injection as the core's own `unosend()` sender sees it.
 */
import { request as httpRequest } from "node:http";
import { createOtp, isOtpError, type OtpEvent, unosend } from "@otpkit/otp-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { hostAllowed, type Sandbox, startSandbox } from "../src/sandbox.js";
import { request, wrongCode } from "./helpers.js";

const to = "+14155551234";
const bearer = { authorization: "Bearer test-key" };

describe("otpkit sandbox", () => {
  let sandbox: Sandbox;
  const url = (path: string) => `${sandbox.url}${path}`;
  const sms = (body: unknown, headers: Record<string, string> = bearer) =>
    request(url("/api/v1/sms"), { body, headers });

  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0 });
  });
  afterAll(() => sandbox.close());
  afterEach(() => {
    sandbox.clear();
    sandbox.setFaults(undefined);
  });

  describe("POST /api/v1/sms (Unosend send API)", () => {
    it("accepts the seed's request and answers {data: [{id, to, status}]}", async () => {
      const answer = await sms({
        to,
        body: "Your login code is 123456. Valid for 5 minutes.",
        metadata: { type: "login" },
      });
      expect(answer.status).toBe(200);
      expect(answer.json).toEqual({
        data: [{ id: expect.stringMatching(/^sms_/), to, status: "queued", created_at: expect.any(String) }],
      });
      expect(sandbox.messages[0]).toMatchObject({ id: answer.json.data[0].id, to, code: "123456" });
    });

    it("requires a Bearer key, and only the configured one when given", async () => {
      expect((await sms({ to, body: "x 1234" }, {})).status).toBe(401);
      expect((await sms({ to, body: "x 1234" }, { authorization: "Bearer " })).status).toBe(401);
      const strict = await startSandbox({ port: 0, apiKey: "only-this" });
      try {
        const path = `${strict.url}/api/v1/sms`;
        expect((await request(path, { body: { to, body: "x" }, headers: bearer })).status).toBe(401);
        expect(
          (await request(path, { body: { to, body: "x" }, headers: { authorization: "Bearer only-this" } }))
            .status,
        ).toBe(200);
      } finally {
        await strict.close();
      }
    });

    it("validates the body", async () => {
      for (const body of [
        { to: "4155551234", body: "x" },
        { to, body: "" },
        { to, body: 5 },
        { to, body: "x", metadata: [1] },
        { to, body: "x", tags: "login" },
      ]) {
        const answer = await sms(body);
        expect(answer.status, JSON.stringify(body)).toBe(400);
        expect(answer.json.error.code).toBe("validation_error");
      }
      const text = await request(url("/api/v1/sms"), {
        raw: "to=x",
        headers: { ...bearer, "content-type": "text/plain" },
      });
      expect(text.status).toBe(415);
      expect(sandbox.messages).toHaveLength(0);
    });

    it("works as the endpoint of the core's unosend() sender, unchanged", async () => {
      const sender = unosend({ apiUrl: sandbox.apiUrl, apiKey: "sandbox" });
      const { id } = await sender.send({ to, body: "Your code is 424242", channel: "sms", tags: ["login"] });
      expect(sandbox.messages[0]).toMatchObject({ id, to, code: "424242", tags: ["login"] });
    });
  });

  describe("JSON for tests", () => {
    it("lists messages newest first, filtered by ?to (with or without an encoded +)", async () => {
      await sms({ to, body: "first 111111" });
      await sms({ to: "+447911123456", body: "other 222222" });
      await sms({ to, body: "second 333333", tags: ["login"] });
      const all = await request(url("/api/sandbox/messages"));
      expect(all.json.messages.map((m: { code: string }) => m.code)).toEqual(["333333", "222222", "111111"]);
      const mine = await request(url(`/api/sandbox/messages?to=${encodeURIComponent(to)}`));
      expect(mine.json.messages.map((m: { body: string }) => m.body)).toEqual([
        "second 333333",
        "first 111111",
      ]);
      expect(Object.keys(mine.json.messages[0]).sort()).toEqual(
        ["body", "code", "id", "metadata", "receivedAt", "tags", "to"].sort(),
      );
      const raw = await request(url(`/api/sandbox/messages?to=${to}`));
      expect(raw.json.messages).toHaveLength(2);
    });

    it("returns the last code for a number, or 404", async () => {
      expect((await request(url(`/api/sandbox/last-code?to=${encodeURIComponent(to)}`))).status).toBe(404);
      await sms({ to, body: "code 555555" });
      await sms({ to, body: "code 666666" });
      const last = await request(url(`/api/sandbox/last-code?to=${encodeURIComponent(to)}`));
      expect(last.json).toEqual({ code: "666666" });
      expect(sandbox.lastCode(to)).toBe("666666");
    });

    it("clears with DELETE", async () => {
      await sms({ to, body: "code 777777" });
      const cleared = await request(url("/api/sandbox/messages"), { method: "DELETE" });
      expect(cleared.json).toEqual({ deleted: 1 });
      expect((await request(url("/api/sandbox/messages"))).json.messages).toEqual([]);
    });
  });

  describe("inbox page", () => {
    it("shows a message just sent, newest first, grouped by phone, code highlighted and body escaped", async () => {
      await sms({ to: "+447911123456", body: "Your code is 121212" });
      await sms({ to, body: "<script>alert(1)</script> Your login code is 987654." });
      const page = await request(url("/"));
      expect(page.status).toBe(200);
      expect(page.headers.get("content-type")).toMatch(/^text\/html/);
      expect(page.headers.get("content-security-policy")).toMatch(/script-src 'nonce-/);
      expect(page.text).toContain('<mark class="code">987654</mark>');
      expect(page.text).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
      expect(page.text).not.toContain("<script>alert(1)");
      // The group of the newest message comes first.
      expect(page.text.indexOf(to)).toBeLessThan(page.text.indexOf("+447911123456"));
      expect(page.text).toContain("EventSource");
    });

    it("pushes a change over Server-Sent Events when a message arrives", async () => {
      const controller = new AbortController();
      const events = await fetch(url("/api/sandbox/events"), { signal: controller.signal });
      expect(events.headers.get("content-type")).toMatch(/^text\/event-stream/);
      const reader = events.body!.getReader();
      const decoder = new TextDecoder();
      let received = decoder.decode((await reader.read()).value);
      expect(received).toContain("retry:");
      await sms({ to, body: "live 434343" });
      const timeout = setTimeout(() => controller.abort(), 5000);
      while (!received.includes("data: changed")) received += decoder.decode((await reader.read()).value);
      clearTimeout(timeout);
      controller.abort();
      // The stream says only that something changed: no bodies, no codes.
      expect(received).not.toContain("434343");
      const list = await request(url("/inbox/list"));
      expect(list.text).toContain("434343");
    });

    it("refuses requests addressed to other host names (DNS rebinding)", async () => {
      const status = await new Promise<number>((resolve, reject) => {
        const req = httpRequest(
          {
            host: "127.0.0.1",
            port: sandbox.port,
            path: "/api/sandbox/messages",
            headers: { host: "evil.example" },
          },
          (res) => {
            res.resume();
            resolve(res.statusCode!);
          },
        );
        req.on("error", reject);
        req.end();
      });
      expect(status).toBe(403);
    });
  });

  describe("the Host allow-list holds on every bind address", () => {
    it("bound to an address that is not exactly 127.0.0.1: a rebinding name is refused, loopback, the address and --allowed-host names answer", async () => {
      // 127.0.0.2 is loopback (tests stay on loopback) but not one of the names the old check knew.
      const other = await startSandbox({ port: 0, host: "127.0.0.2", allowedHosts: ["sandbox"] });
      const statusAt = (host: string) =>
        new Promise<number>((resolve, reject) => {
          const req = httpRequest(
            { host: "127.0.0.2", port: other.port, path: "/api/sandbox/messages", headers: { host } },
            (res) => {
              res.resume();
              resolve(res.statusCode!);
            },
          );
          req.on("error", reject);
          req.end();
        });
      try {
        expect(await statusAt("evil.example")).toBe(403);
        expect(await statusAt(`127.0.0.2:${other.port}`)).toBe(200);
        expect(await statusAt(`localhost:${other.port}`)).toBe(200);
        expect(await statusAt("app.localhost")).toBe(200);
        expect(await statusAt(`sandbox:${other.port}`)).toBe(200);
        expect(await statusAt("SANDBOX")).toBe(200);
      } finally {
        await other.close();
      }
    });

    it("bound to 0.0.0.0 (as Docker needs), the wildcard itself is no allowed name", () => {
      const allowed = new Set(["sandbox"]);
      expect(hostAllowed("evil.example", "0.0.0.0", allowed)).toBe(false);
      expect(hostAllowed("0.0.0.0:4025", "0.0.0.0", allowed)).toBe(false);
      expect(hostAllowed(undefined, "0.0.0.0", allowed)).toBe(false);
      expect(hostAllowed("localhost:4025", "0.0.0.0", allowed)).toBe(true);
      expect(hostAllowed("sandbox", "0.0.0.0", allowed)).toBe(true);
    });
  });

  describe("which code is live: core's metadata and the app's events", () => {
    /** A real core texting this sandbox, with `onEvent` posting to it as the example app does. */
    function app(clock?: () => number) {
      const posted: Promise<unknown>[] = [];
      const otp = createOtp({
        secret: "sandbox-test-secret-sandbox-test-secret",
        sender: unosend({ apiUrl: sandbox.apiUrl, apiKey: "k" }),
        limits: { resendCooldownSeconds: 0 },
        ...(clock ? { clock } : {}),
        onEvent: (event: OtpEvent) =>
          posted.push(request(url("/api/sandbox/events"), { body: event }).then((answer) => answer.status)),
      });
      return { otp, settled: async () => Promise.all(posted.splice(0)) };
    }
    const statusOf = async () =>
      (await request(url("/inbox/list"))).text
        .match(/data-status="[a-z]+"/g)
        ?.map((attribute) => attribute.slice(13, -1));

    it("live, superseded, used and locked, over real sends and verifies", async () => {
      const { otp, settled } = app();
      const first = await otp.send({ phone: to, purpose: "login", ip: "127.0.0.1" });
      const second = await otp.send({ phone: to, purpose: "login", ip: "127.0.0.1" });
      expect(sandbox.messages[0]!.metadata).toMatchObject({
        verification_id: second.id,
        expires_at: second.expiresAt.toISOString(),
      });
      expect(sandbox.states().map((state) => state.status)).toEqual(["live", "superseded"]);
      expect(first.id).not.toBe(second.id);

      await otp.verify({ id: second.id, code: sandbox.lastCode(to)! });
      expect(await settled()).toEqual([200, 200, 200]); // sent, sent, verified
      expect(sandbox.states().map((state) => state.status)).toEqual(["used", "superseded"]);

      const other = "+14155550142";
      const third = await otp.send({ phone: other, purpose: "login", ip: "127.0.0.1" });
      const code = sandbox.lastCode(other)!;
      for (let attempt = 0; attempt < 3; attempt++)
        await otp.verify({ id: third.id, code: wrongCode(code) }).catch(() => undefined);
      await otp.verify({ id: third.id, code }).catch(() => undefined);
      await settled();
      const [locked] = sandbox.states();
      expect(locked).toMatchObject({ to: other, status: "locked", wrongAttempts: 2 });
      expect(await statusOf()).toEqual(["locked", "used", "superseded"]);
      const page = (await request(url("/"))).text;
      expect(page).toContain(">Locked</span>");
      expect(page).toContain("2 wrong attempts");
    });

    it("expired: from the expires_at core passes", async () => {
      // The app's clock runs 10 minutes behind: its code's expiry is already past for the sandbox.
      const { otp } = app(() => Date.now() - 10 * 60_000);
      await otp.send({ phone: to, purpose: "login", ip: "127.0.0.1" });
      expect(sandbox.states().map((state) => state.status)).toEqual(["expired"]);
      expect((await request(url("/"))).text).toContain(">Expired</span>");
    });

    it("POST /api/sandbox/events validates its input and never takes or shows a code", async () => {
      const { otp } = app();
      const sent = await otp.send({ phone: to, purpose: "login", ip: "127.0.0.1" });
      const code = sandbox.lastCode(to)!;
      const events = url("/api/sandbox/events");
      for (const body of [
        { type: "verified" },
        { type: "nonsense", id: sent.id },
        { type: "failed", id: sent.id },
        { type: "verified", id: sent.id, code },
        { type: "verified", id: `${sent.id}<img>` },
      ]) {
        const answer = await request(events, { body });
        expect(answer.status, JSON.stringify(body)).toBe(400);
        expect(answer.json.error.code).toBe("validation_error");
        expect(answer.text).not.toContain(code);
      }
      expect((await request(events, { raw: "[]" })).status).toBe(400);
      expect(
        (await request(events, { raw: "type=verified", headers: { "content-type": "text/plain" } })).status,
      ).toBe(415);
      // Nothing changed, and a code smuggled into an event is nowhere on the page.
      expect(sandbox.states()[0]!.status).toBe("live");
      const stranger = "987650";
      await request(events, {
        body: { type: "failed", id: sent.id, reason: "invalid_code", code: stranger },
      });
      expect((await request(url("/"))).text).not.toContain(stranger);
      expect((await request(events, { body: { type: "verified", id: "ver_nobody1" } })).json).toEqual({
        matched: 0,
      });
      // In process (what `otpkit serve` does with its embedded sandbox): the same rules.
      expect(sandbox.report({ type: "failed", id: sent.id, reason: "invalid_code", code })).toBe(0);
      expect(sandbox.report({ type: "failed", id: sent.id, reason: "invalid_code" })).toBe(1);
      expect(sandbox.states()[0]!.wrongAttempts).toBe(1);
      expect((await request(events, { body: { type: "verified", id: sent.id } })).json).toEqual({
        matched: 1,
      });
      expect(sandbox.states()[0]!.status).toBe("used");
    });

    it("the events endpoint answers only loopback names (the Host allow-list)", async () => {
      const status = await new Promise<number>((resolve, reject) => {
        const req = httpRequest(
          {
            host: "127.0.0.1",
            port: sandbox.port,
            method: "POST",
            path: "/api/sandbox/events",
            headers: { host: "evil.example", "content-type": "application/json" },
          },
          (res) => {
            res.resume();
            resolve(res.statusCode!);
          },
        );
        req.on("error", reject);
        req.end(JSON.stringify({ type: "verified", id: "ver_abcdef" }));
      });
      expect(status).toBe(403);
    });
  });

  describe("search and delete", () => {
    it("?q= finds numbers by their digits, on the page and in JSON", async () => {
      await sms({ to, body: "code 111111" });
      await sms({ to: "+447700900123", body: "code 222222" });
      const page = await request(url(`/?q=${encodeURIComponent("(415) 555")}`));
      expect(page.text).toContain("111111");
      expect(page.text).not.toContain("222222");
      expect(page.text).toContain('value="(415) 555"');
      const list = await request(url("/inbox/list?q=7700"));
      expect(list.text).toContain("222222");
      expect(list.text).not.toContain("111111");
      expect((await request(url("/inbox/list?q=999"))).text).toContain("No number matches");
      const json = await request(url("/api/sandbox/messages?q=44"));
      expect(json.json.messages.map((message: { to: string }) => message.to)).toEqual(["+447700900123"]);
    });

    it("DELETE /api/sandbox/messages/:id deletes one message; 404 when it is gone", async () => {
      await sms({ to, body: "code 111111" });
      await sms({ to, body: "code 222222" });
      const [newest] = sandbox.messages;
      const deleted = await request(url(`/api/sandbox/messages/${newest!.id}`), { method: "DELETE" });
      expect(deleted.json).toEqual({ deleted: 1 });
      expect(sandbox.messages.map((message) => message.code)).toEqual(["111111"]);
      // The older code is the newest now: live again.
      expect(sandbox.states()[0]!.status).toBe("live");
      expect((await request(url(`/api/sandbox/messages/${newest!.id}`), { method: "DELETE" })).status).toBe(
        404,
      );
      expect((await request(url("/api/sandbox/messages/..%2Fx"), { method: "DELETE" })).status).toBe(404);
    });
  });

  describe("fault injection", () => {
    const sender = () => unosend({ apiUrl: sandbox.apiUrl, apiKey: "sandbox", timeoutMs: 300 });
    const failure = async () => {
      try {
        await sender().send({ to, body: "Your code is 123456", channel: "sms" });
      } catch (error) {
        return error;
      }
      throw new Error("the send succeeded");
    };

    it.each([
      [429, "rate_limited", 429],
      [402, "quota_exceeded", 402],
      [500, "send_failed", 502],
    ])("--fail %i makes unosend() report %s", async (status, code, httpStatus) => {
      await request(url("/api/sandbox/faults"), { body: { status } });
      const error = await failure();
      expect(isOtpError(error) && error.code).toBe(code);
      expect(isOtpError(error) && error.status).toBe(httpStatus);
      expect(sandbox.messages).toHaveLength(0);
    });

    it("a 429 carries Retry-After through to the core's error", async () => {
      sandbox.setFaults({ status: 429, retryAfter: 7 });
      const error = await failure();
      expect(isOtpError(error) && error.retryAfter).toBe(7);
    });

    it("a hang makes unosend() time out with send_failed", async () => {
      await request(url("/api/sandbox/faults"), { body: { hang: true } });
      const started = Date.now();
      const error = await failure();
      expect(isOtpError(error) && error.code).toBe("send_failed");
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
      expect(Date.now() - started).toBeLessThan(5000);
    });

    it("latency delays the answer; count limits the fault; DELETE clears it", async () => {
      await request(url("/api/sandbox/faults"), { body: { latencyMs: 200 } });
      const started = Date.now();
      await sms({ to, body: "slow 101010" });
      expect(Date.now() - started).toBeGreaterThanOrEqual(190);

      await request(url("/api/sandbox/faults"), { body: { status: 500, count: 2 } });
      expect((await sms({ to, body: "a 1111" })).status).toBe(500);
      expect((await sms({ to, body: "b 2222" })).status).toBe(500);
      expect((await sms({ to, body: "c 3333" })).status).toBe(200);

      await request(url("/api/sandbox/faults"), { body: { status: 402 } });
      expect((await request(url("/api/sandbox/faults"))).json.faults).toEqual({ status: 402 });
      await request(url("/api/sandbox/faults"), { method: "DELETE" });
      expect((await sms({ to, body: "d 4444" })).status).toBe(200);
    });

    it("refuses nonsense faults", async () => {
      for (const body of [{ status: 200 }, { latencyMs: -1 }, { hang: "yes" }, { count: 0 }]) {
        const answer = await request(url("/api/sandbox/faults"), { body });
        expect(answer.status, JSON.stringify(body)).toBe(400);
      }
    });

    it("takes faults at startup (the --fail flag)", async () => {
      const failing = await startSandbox({ port: 0, faults: { status: 402 } });
      try {
        const error = await unosend({ apiUrl: failing.apiUrl, apiKey: "k" })
          .send({ to, body: "x 1234", channel: "sms" })
          .catch((caught: unknown) => caught);
        expect(isOtpError(error) && error.code).toBe("quota_exceeded");
      } finally {
        await failing.close();
      }
    });
  });
});
