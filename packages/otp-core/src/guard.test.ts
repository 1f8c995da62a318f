/**
 * The fraud guard, rule by rule, in enforce and in monitor mode (memory store here; the store
 * conformance suite runs the concurrent ones on every store).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { turnstile } from "./challenge.js";
import type { OtpOptions } from "./config.js";
import { countryPolicy } from "./env.js";
import { OtpError } from "./errors.js";
import type { OtpEvent } from "./events.js";
import { createOtpHandler } from "./http.js";
import { formatFindings, lintConfig } from "./lint.js";
import { memoryStore } from "./memory-store.js";
import { createOtp } from "./otp.js";
import { outbox } from "./senders.js";

const secret = "guard-test-secret-guard-test-secret-guard";

function setup(options: Partial<OtpOptions> = {}) {
  const clock = { now: 1_700_000_000_000 };
  const sms = outbox();
  const events: OtpEvent[] = [];
  const otp = createOtp({
    secret,
    store: memoryStore(),
    sender: sms,
    clock: () => clock.now,
    onEvent: (event) => events.push(event),
    limits: { perIp: [{ limit: 10_000, windowSeconds: 600 }], perPrefix: false, ...options.limits },
    ...options,
  } as OtpOptions);
  return { otp, sms, events, advance: (seconds: number) => (clock.now += seconds * 1000) };
}

const outcome = (promise: Promise<unknown>) =>
  promise.then(
    () => "sent",
    (error: unknown) => {
      if (!(error instanceof OtpError)) throw error;
      return error.reason ? `${error.code}:${error.reason}` : error.code;
    },
  );

describe("number types and lists", () => {
  it("refuses VoIP and personal numbers by default, as premium and landlines", async () => {
    const { otp, sms, events } = setup();
    for (const number of ["+445612345678", "+447012345678", "+19005550100", "+33123456789"])
      expect(await outcome(otp.send({ phone: number }))).toBe("invalid_phone:not_mobile");
    expect(sms.messages).toHaveLength(0);
    expect(events.filter((event) => event.type === "blocked" && event.reason === "number_type")).toHaveLength(
      4,
    );
    const allowing = setup({ phone: { refusedTypes: ["PREMIUM_RATE"] } });
    expect(await outcome(allowing.otp.send({ phone: "+445612345678" }))).toBe("sent");
  });

  it("block list refuses; safe list skips the guard (but not the per-phone limits)", async () => {
    const { otp, events } = setup({
      guard: {
        blockList: ["+14155550123"],
        safeList: ["+33123456789", "+14155550199"],
        perCountry: [{ limit: 1, windowSeconds: 60 }],
      },
    });
    expect(await outcome(otp.send({ phone: "+14155550123" }))).toBe("blocked:block_list");
    expect(events.at(-1)).toMatchObject({ type: "blocked", reason: "block_list", phone: "+1 ***-***-0123" });
    expect(await outcome(otp.send({ phone: "+33123456789" }))).toBe("sent"); // a landline, on the safe list
    await otp.send({ phone: "+14155550101" });
    expect(await outcome(otp.send({ phone: "+14155550102" }))).toBe("rate_limited"); // US velocity: 1 per minute
    expect(await outcome(otp.send({ phone: "+14155550199" }))).toBe("sent"); // safe: no velocity
  });

  it("monitor mode reports and sends anyway", async () => {
    const { otp, sms, events } = setup({
      phone: { allowedCountries: ["US"] },
      guard: {
        modes: { country: "monitor", number_type: "monitor", block_list: "monitor" },
        blockList: ["+14155550123"],
      },
    });
    for (const number of ["+447400123456", "+33123456789", "+14155550123"])
      expect(await outcome(otp.send({ phone: number }))).toBe("sent");
    expect(sms.messages).toHaveLength(3);
    expect(
      events
        .filter((event) => event.type === "blocked")
        .map((event) => [
          event.type === "blocked" && event.reason,
          event.type === "blocked" && event.monitor,
        ]),
    ).toEqual([
      ["country", true],
      ["number_type", true],
      ["block_list", true],
    ]);
  });
});

describe("countries", () => {
  it("OTP_COUNTRIES: a list, all, or all with exclusions", () => {
    expect(countryPolicy("US, ca")).toEqual({ allowedCountries: ["US", "CA"] });
    expect(countryPolicy("all")).toEqual({ allowedCountries: "all" });
    expect(countryPolicy("all,!RU,!KP")).toEqual({ allowedCountries: "all", blockedCountries: ["RU", "KP"] });
    for (const bad of ["", "USA", "!RU", "U1"]) expect(() => countryPolicy(bad)).toThrow(/OTP_COUNTRIES/);
  });

  it('production refuses to start without a country policy, says how in one line, and takes "all"', () => {
    const strong = "pQ3xV8rT1zL6wN0bK5mC9sD2fH7jG4aE-Xy";
    expect(() => createOtp({ secret: strong, sender: outbox(), production: true })).toThrow(
      /phone\.allowedCountries.*OTP_COUNTRIES/,
    );
    expect(() =>
      createOtp({ secret: strong, sender: outbox(), production: true, phone: { allowedCountries: "all" } }),
    ).not.toThrow();
  });
});

describe("velocity and the conversion tripwire", () => {
  it("pauses a number range whose codes nobody verifies, and an event says so", async () => {
    const { otp, sms, events, advance } = setup();
    const range = (i: number) => `+1415555${String(1000 + i)}`;
    for (let i = 0; i < 10; i++) expect(await outcome(otp.send({ phone: range(i) }))).toBe("sent");
    const paused = await otp.send({ phone: range(10) }).catch((error: OtpError) => error);
    expect(paused).toMatchObject({ code: "blocked", reason: "tripwire", status: 403 });
    expect((paused as OtpError).retryAfter).toBeGreaterThan(3500);
    expect(events.at(-1)).toMatchObject({ type: "blocked", reason: "tripwire" });
    // Another range is not affected; the paused one reopens once its unverified sends age out.
    expect(await outcome(otp.send({ phone: "+14155761000" }))).toBe("sent");
    advance(3601);
    expect(await outcome(otp.send({ phone: range(11) }))).toBe("sent");
    expect(sms.messages).toHaveLength(12);
  });

  it("a range whose codes are verified keeps sending", async () => {
    const { otp, sms } = setup();
    for (let i = 0; i < 30; i++) {
      const phone = `+1415555${String(2000 + i)}`;
      const { id } = await otp.send({ phone });
      if (i % 3 === 0) await otp.verify({ id, code: sms.lastCode(phone)! }); // a third of them: well above 10%
    }
    expect(sms.messages).toHaveLength(30);
  });

  it("deliver: monitor-only unless the platform reports verifications", async () => {
    const { otp, sms, events } = setup();
    for (let i = 0; i < 12; i++)
      expect(await outcome(otp.deliver({ phone: `+1415555${3000 + i}`, code: "123456" }))).toBe("sent");
    expect(
      events.some((event) => event.type === "blocked" && event.reason === "tripwire" && event.monitor),
    ).toBe(true);
    const enforcing = setup({ guard: { tripwire: { onDeliver: "enforce" } } });
    for (let i = 0; i < 10; i++) {
      await enforcing.otp.deliver({ phone: `+1415555${4000 + i}`, code: "123456" });
      if (i % 2) await enforcing.otp.reportVerified({ phone: `+1415555${4000 + i}` });
    }
    expect(await outcome(enforcing.otp.deliver({ phone: "+14155554011", code: "123456" }))).toBe("sent");
    expect(sms.messages).toHaveLength(12);
  });
});

describe("monitor mode for the counted rules", () => {
  it("velocity, tripwire and spend in monitor: every SMS goes out, each would-be refusal is an event", async () => {
    const { otp, sms, events } = setup({
      guard: {
        perCountry: [{ limit: 3, windowSeconds: 3600 }],
        spend: { perHour: 4 },
        modes: { velocity: "monitor", tripwire: "monitor", spend: "monitor" },
      },
    });
    for (let i = 0; i < 12; i++)
      expect(await outcome(otp.send({ phone: `+1415555${String(5000 + i)}` }))).toBe("sent");
    expect(sms.messages).toHaveLength(12);
    const flagged = new Set(
      events.flatMap((event) => (event.type === "blocked" && event.monitor ? [event.reason] : [])),
    );
    expect([...flagged].sort()).toEqual(["spend", "tripwire", "velocity"]);
    // Enforced, the same traffic stops at the first rule that refuses (velocity: 3 per country).
    const enforced = setup({ guard: { perCountry: [{ limit: 3, windowSeconds: 3600 }] } });
    const results = [];
    for (let i = 0; i < 5; i++)
      results.push(await outcome(enforced.otp.send({ phone: `+1415555${String(6000 + i)}` })));
    expect(results).toEqual(["sent", "sent", "sent", "rate_limited", "rate_limited"]);
    expect(
      enforced.events.filter((event) => event.type === "blocked" && event.reason === "velocity"),
    ).toHaveLength(2);
  });
});

describe("spend budget", () => {
  it("weighs messages by destination price and refuses with quota_exceeded", async () => {
    const { otp, sms } = setup({
      guard: { spend: { perHour: 10, prices: { GB: 4 }, defaultPrice: 1 }, tripwire: false },
    });
    expect(await outcome(otp.send({ phone: "+447400123456" }))).toBe("sent"); // 4
    expect(await outcome(otp.send({ phone: "+447400123457" }))).toBe("sent"); // 8
    expect(await outcome(otp.send({ phone: "+447400123458" }))).toBe("quota_exceeded:spend"); // 12 > 10
    expect(await outcome(otp.send({ phone: "+14155550101" }))).toBe("sent"); // 9
    expect(await outcome(otp.send({ phone: "+14155550102" }))).toBe("sent"); // 10
    expect(await outcome(otp.send({ phone: "+14155550103" }))).toBe("quota_exceeded:spend");
    expect(sms.messages).toHaveLength(4);
  });

  it("across tenants, too", async () => {
    const { otp } = setup({ guard: { spend: { perHour: 2, scope: "all" }, tripwire: false } });
    await otp.send({ phone: "+14155550101", tenant: "a" });
    await otp.send({ phone: "+14155550102", tenant: "b" });
    expect(await outcome(otp.send({ phone: "+14155550103", tenant: "c" }))).toBe("quota_exceeded:spend");
  });
});

describe("bot challenge", () => {
  const servers: Server[] = [];
  afterEach(async () => {
    for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
  });
  /** A siteverify endpoint as Cloudflare documents it: form-encoded in, `{ success }` out. */
  async function siteverify() {
    const seen: URLSearchParams[] = [];
    const server = createServer((req, res) => {
      let body = "";
      req.on("data", (chunk) => (body += chunk));
      req.on("end", () => {
        const form = new URLSearchParams(body);
        seen.push(form);
        res.writeHead(200, { "content-type": "application/json" });
        res.end(
          JSON.stringify({ success: form.get("response") === "human" && form.get("secret") === "s3cret" }),
        );
      });
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/siteverify`, seen };
  }

  it("risk: three sends per IP pass, then a genuine token is needed; a forged one never passes", async () => {
    const { url, seen } = await siteverify();
    const { otp } = setup({
      guard: { tripwire: false, challenge: { verifier: turnstile({ secret: "s3cret", url }) } },
    });
    const ip = "203.0.113.5";
    for (let i = 0; i < 3; i++)
      expect(await outcome(otp.send({ phone: `+1415555010${i}`, ip }))).toBe("sent");
    expect(await outcome(otp.send({ phone: "+14155550109", ip }))).toBe("challenge_required");
    expect(await outcome(otp.send({ phone: "+14155550109", ip, challengeToken: "bot" }))).toBe(
      "challenge_required:invalid_token",
    );
    expect(await outcome(otp.send({ phone: "+14155550109", ip, challengeToken: "human" }))).toBe("sent");
    expect(seen.at(-1)?.get("remoteip")).toBe(ip);
    // Without an IP there is nothing to count: a token is needed at once.
    expect(await outcome(otp.send({ phone: "+14155550110" }))).toBe("challenge_required");
  });

  it("over HTTP: 428 challenge_required, then captcha_token in the body", async () => {
    const { url } = await siteverify();
    const { otp } = setup({
      guard: { challenge: { verifier: turnstile({ secret: "s3cret", url }), when: "always" } },
    });
    const handler = createOtpHandler(otp, { onWarning: () => {} });
    const post = (body: unknown) =>
      handler.send(
        new Request("http://app.test/x", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        }),
        { ip: "203.0.113.9" },
      );
    const first = await post({ phone: "+14155550101" });
    expect(first.status).toBe(428);
    expect((await first.json()).error).toMatchObject({ code: "challenge_required", field: "captcha_token" });
    expect((await post({ phone: "+14155550101", captcha_token: "human" })).status).toBe(200);
  });
});

describe("idempotent sends", () => {
  it("the same key and request answer the first result again; another request is refused; a failed send frees the key", async () => {
    const { otp, sms } = setup({ limits: { resendCooldownSeconds: 0 } });
    const first = await otp.send({ phone: "+14155550101", idempotencyKey: "k1" });
    const again = await otp.send({ phone: "+1 415 555 0101", idempotencyKey: "k1" });
    expect(again).toEqual(first);
    expect(sms.messages).toHaveLength(1);
    expect(await outcome(otp.send({ phone: "+14155550102", idempotencyKey: "k1" }))).toBe(
      "idempotency_mismatch",
    );
    const concurrent = await Promise.all(
      Array.from({ length: 10 }, () => outcome(otp.send({ phone: "+14155550103", idempotencyKey: "k2" }))),
    );
    expect(
      concurrent.filter((result) => result === "sent").length +
        concurrent.filter((result) => result === "rate_limited").length,
    ).toBe(10);
    expect(sms.messages.filter((message) => message.to === "+14155550103")).toHaveLength(1);
  });

  it("over HTTP, the Idempotency-Key header", async () => {
    const { otp, sms } = setup();
    const handler = createOtpHandler(otp, { onWarning: () => {} });
    const post = () =>
      handler.send(
        new Request("http://app.test/x", {
          method: "POST",
          headers: { "content-type": "application/json", "idempotency-key": "abc" },
          body: JSON.stringify({ phone: "+14155550101" }),
        }),
        { ip: "203.0.113.9" },
      );
    const [a, b] = [await (await post()).json(), await (await post()).json()];
    expect(b).toEqual(a);
    expect(sms.messages).toHaveLength(1);
  });
});

describe("resend policy", () => {
  it("carry: a resend sends a new code that inherits the attempts and expiry; rotate gives fresh ones", async () => {
    const { otp, sms, advance } = setup({ resendPolicy: "carry", limits: { resendCooldownSeconds: 0 } });
    const phone = "+14155550101";
    const first = await otp.send({ phone });
    const wrong = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, "0");
    await otp.verify({ id: first.id, code: wrong(sms.lastCode(phone)!) }).catch(() => {});
    await otp.verify({ id: first.id, code: wrong(sms.lastCode(phone)!) }).catch(() => {});
    advance(60);
    const second = await otp.send({ phone });
    const code = sms.lastCode(phone)!;
    // One guess left (carried), and the first code's expiry: 5 minutes from the first send.
    expect(await outcome(otp.verify({ id: second.id, code: wrong(code) }))).toBe("too_many_attempts");
    const rotate = setup({ limits: { resendCooldownSeconds: 0 } });
    const a = await rotate.otp.send({ phone });
    await rotate.otp.verify({ id: a.id, code: wrong(rotate.sms.lastCode(phone)!) }).catch(() => {});
    await rotate.otp.verify({ id: a.id, code: wrong(rotate.sms.lastCode(phone)!) }).catch(() => {});
    const b = await rotate.otp.send({ phone });
    await expect(
      rotate.otp.verify({ id: b.id, code: wrong(rotate.sms.lastCode(phone)!) }),
    ).rejects.toMatchObject({ attemptsLeft: 2 });
  });
});

describe("presets and the linter", () => {
  it("nist-800-63b caps every expiry at 10 minutes", () => {
    const otp = createOtp({ secret, sender: outbox(), preset: "nist-800-63b" });
    expect(otp.config.expiryMinutes.password_reset).toBe(10);
    expect(Math.max(...Object.values(otp.config.expiryMinutes))).toBeLessThanOrEqual(10);
  });

  it("reports each departure with its section, one line each", () => {
    const findings = lintConfig({
      secret,
      codeLength: 4,
      expiryMinutes: { password_reset: 30 },
      limits: { failures: { perPhone: false } },
    });
    const bySetting = Object.fromEntries(findings.map((finding) => [finding.setting, finding]));
    expect(bySetting.codeLength).toMatchObject({ level: "error", reference: "NIST SP 800-63B §5.1.3.2" });
    expect(bySetting["expiryMinutes.password_reset"]).toMatchObject({ level: "error" });
    expect(bySetting["limits.failures.perPhone"]).toMatchObject({
      level: "error",
      reference: "NIST SP 800-63B §5.2.2",
    });
    expect(bySetting["phone.allowedCountries"]).toMatchObject({ level: "warning" });
    expect(bySetting.channel).toMatchObject({ level: "notice", reference: "NIST SP 800-63B §5.1.3.3" });
    expect(formatFindings(findings).split("\n")).toHaveLength(findings.length);
    const clean = lintConfig({ secret, phone: { allowedCountries: ["US"] } }).filter(
      (finding) => finding.level !== "notice",
    );
    expect(clean).toEqual([]);
  });
});
