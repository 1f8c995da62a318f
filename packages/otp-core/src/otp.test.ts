import { afterEach, describe, expect, it, vi } from "vitest";
import type { OtpOptions } from "./config.js";
import { OtpError } from "./errors.js";
import type { OtpEvent } from "./events.js";
import { memoryStore } from "./memory-store.js";
import { createOtp } from "./otp.js";
import { outbox, type Sender } from "./senders.js";
import type { Store } from "./store.js";

const secret = "test-secret-test-secret-test-secret!";
/** Random-looking enough for production's entropy check. */
const strongSecret = "k3Vq9Zr2Lx7Pw0Ns5Dt8Hy4Bm6Jc1Gf-_Ae";
const phone = "+14155551234";
const start = 1_700_000_000_000;

/** An engine on the memory store and an outbox, with a clock the test moves by hand. */
function setup(options: Partial<OtpOptions> = {}) {
  const clock = { now: start };
  const store = memoryStore();
  const messages = outbox();
  const events: OtpEvent[] = [];
  const otp = createOtp({
    secret,
    store,
    sender: messages,
    clock: () => clock.now,
    onEvent: (event) => events.push(event),
    ...options,
  });
  const advance = (seconds: number) => {
    clock.now += seconds * 1000;
  };
  return { otp, store, messages, events, clock, advance };
}

async function failure(promise: Promise<unknown>): Promise<OtpError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof OtpError) return error;
    throw error;
  }
  throw new Error("expected an OtpError, got success");
}

describe("send and verify", () => {
  it("sends a 6-digit code and approves it once, by id", async () => {
    const { otp, messages } = setup();
    const sent = await otp.send({ phone: "+1 415 555 1234" });
    expect(sent).toMatchObject({ phone, maskedPhone: "+1 ***-***-1234", purpose: "login", status: "sent" });
    expect(sent.id).toMatch(/^ver_l6[\w-]{32}$/);
    expect(sent.expiresAt.getTime()).toBe(start + 5 * 60_000);
    expect(sent.resendAvailableAt.getTime()).toBe(start + 60_000);
    expect(sent.messageId).toBe(messages.last()!.id);
    const code = messages.lastCode(phone)!;
    expect(code).toMatch(/^\d{6}$/);
    expect(messages.last()!.body).toBe(`Your login code is ${code}. Valid for 5 minutes.`);
    expect(await otp.verify({ id: sent.id, code })).toEqual({
      id: sent.id,
      phone,
      purpose: "login",
      status: "approved",
      metadata: {},
    });
    expect((await failure(otp.verify({ id: sent.id, code }))).code).toBe("not_found");
  });

  it("approves by phone and purpose", async () => {
    const { otp, messages } = setup();
    await otp.send({ phone, purpose: "password_reset", metadata: { userId: "u1" } });
    const code = messages.lastCode(phone)!;
    expect((await failure(otp.verify({ phone, code }))).code).toBe("not_found");
    const result = await otp.verify({ phone, purpose: "password_reset", code });
    expect(result).toMatchObject({
      status: "approved",
      purpose: "password_reset",
      metadata: { userId: "u1" },
    });
  });

  it("uses the seed-001 custom template with a 4-digit code and 5-minute expiry", async () => {
    const { otp, messages } = setup();
    const sent = await otp.send({
      phone,
      template: "Your Acme login code: {code}",
      codeLength: 4,
      expiryMinutes: 5,
    });
    expect(messages.last()!.body).toMatch(/^Your Acme login code: \d{4}$/);
    expect(sent.expiresAt.getTime()).toBe(start + 5 * 60_000);
    expect(sent.id).toMatch(/^ver_l4/);
    expect((await otp.verify({ id: sent.id, code: messages.lastCode(phone)! })).status).toBe("approved");
  });

  it("sets expiry per purpose from the seed's defaults", async () => {
    const { otp } = setup({ limits: { perPhone: [{ limit: 100, windowSeconds: 3600 }] } });
    const expected = {
      login: 5,
      signup: 10,
      two_factor: 5,
      phone_verification: 10,
      password_reset: 15,
      transaction: 5,
    } as const;
    for (const [purpose, minutes] of Object.entries(expected)) {
      const sent = await otp.send({ phone, purpose: purpose as keyof typeof expected });
      expect(sent.expiresAt.getTime() - start).toBe(minutes * 60_000);
    }
  });

  it("counts wrong codes: 2 left, 1 left, then dead — even for the right code", async () => {
    const { otp, messages } = setup();
    const sent = await otp.send({ phone });
    const code = messages.lastCode(phone)!;
    const wrong = code === "000000" ? "111111" : "000000";
    const first = await failure(otp.verify({ id: sent.id, code: wrong }));
    expect([first.code, first.status, first.attemptsLeft]).toEqual(["invalid_code", 422, 2]);
    expect((await failure(otp.verify({ phone, code: wrong }))).attemptsLeft).toBe(1);
    const third = await failure(otp.verify({ id: sent.id, code: wrong }));
    expect([third.code, third.status]).toEqual(["too_many_attempts", 429]);
    expect((await failure(otp.verify({ id: sent.id, code }))).code).toBe("too_many_attempts");
  });

  it("honours maxAttempts", async () => {
    const { otp, messages } = setup({ maxAttempts: 1 });
    const sent = await otp.send({ phone });
    const code = messages.lastCode(phone)!;
    const wrong = code === "000000" ? "111111" : "000000";
    expect((await failure(otp.verify({ id: sent.id, code: wrong }))).code).toBe("too_many_attempts");
  });

  it("expires exactly at expiresAt", async () => {
    const { otp, messages, advance } = setup();
    const sent = await otp.send({ phone });
    const code = messages.lastCode(phone)!;
    advance(5 * 60);
    const expired = await failure(otp.verify({ id: sent.id, code }));
    expect([expired.code, expired.status]).toEqual(["expired", 410]);

    const again = setup();
    const second = await again.otp.send({ phone });
    again.advance(5 * 60 - 0.001);
    expect((await again.otp.verify({ id: second.id, code: again.messages.lastCode(phone)! })).status).toBe(
      "approved",
    );
  });

  it("a new send invalidates the pending code", async () => {
    const { otp, messages, advance } = setup();
    const first = await otp.send({ phone });
    const firstCode = messages.lastCode(phone)!;
    advance(61);
    const second = await otp.send({ phone });
    const secondCode = messages.lastCode(phone)!;
    expect((await failure(otp.verify({ id: first.id, code: firstCode }))).code).toBe("not_found");
    if (firstCode !== secondCode)
      expect((await failure(otp.verify({ phone, code: firstCode }))).code).toBe("invalid_code");
    expect((await otp.verify({ id: second.id, code: secondCode })).status).toBe("approved");
  });

  it("a failed send keeps the previous code alive and stores nothing new", async () => {
    const { otp, messages, advance, store } = setup();
    let fail = false;
    const flaky: Sender = {
      name: "flaky",
      send: (message) => (fail ? Promise.reject(new Error("provider down")) : messages.send(message)),
    };
    const engine = createOtp({ secret, store, sender: flaky, clock: () => start + (fail ? 61_000 : 0) });
    const first = await engine.send({ phone });
    const code = messages.lastCode(phone)!;
    fail = true;
    advance(61);
    const error = await failure(engine.send({ phone }));
    expect([error.code, error.status]).toEqual(["send_failed", 502]);
    expect(store.dump().records.map(([, record]) => record.id)).toEqual([first.id]);
    expect((await engine.verify({ id: first.id, code })).status).toBe("approved");
    void otp;
  });

  it("a failed first send leaves no record behind", async () => {
    const store = memoryStore();
    const engine = createOtp({
      secret,
      store,
      sender: { name: "down", send: () => Promise.reject(new Error("down")) },
    });
    expect((await failure(engine.send({ phone }))).code).toBe("send_failed");
    expect(store.dump().records).toEqual([]);
  });

  it("passes the sender's own error codes through (quota, rate limit)", async () => {
    const quota: Sender = { name: "q", send: () => Promise.reject(new OtpError("quota_exceeded", "quota")) };
    const engine = createOtp({ secret, sender: quota });
    const error = await failure(engine.send({ phone }));
    expect([error.code, error.status]).toEqual(["quota_exceeded", 402]);
  });

  it("keeps tenants apart", async () => {
    const { otp, messages } = setup();
    const a = await otp.send({ phone, tenant: "acme" });
    const codeA = messages.lastCode(phone)!;
    const b = await otp.send({ phone, tenant: "globex" });
    const codeB = messages.lastCode(phone)!;
    expect((await failure(otp.verify({ id: a.id, code: codeA, tenant: "globex" }))).code).toBe("not_found");
    expect((await otp.verify({ id: a.id, code: codeA, tenant: "acme" })).status).toBe("approved");
    expect((await otp.verify({ phone, code: codeB, tenant: "globex" })).id).toBe(b.id);
  });

  it("sends on WhatsApp when the sender can, and refuses when it cannot, storing nothing", async () => {
    const { otp, messages } = setup();
    await otp.send({ phone, channel: "whatsapp" });
    expect(messages.last()!.channel).toBe("whatsapp");
    const store = memoryStore();
    const smsOnly = createOtp({ secret, store, sender: { name: "sms", send: async () => ({ id: "m" }) } });
    const error = await failure(smsOnly.send({ phone, channel: "whatsapp" }));
    expect([error.code, error.field]).toEqual(["invalid_request", "channel"]);
    expect(store.dump()).toEqual({ records: [], windows: [], failures: [] });
  });

  it("adds the WebOTP line and app name", async () => {
    const { otp, messages } = setup({
      webOtpDomain: "example.com",
      appName: "Acme",
      templates: { login: "{app} code {code}" },
    });
    await otp.send({ phone });
    const code = messages.lastCode(phone)!;
    expect(messages.last()!.body).toBe(`Acme code ${code}\n\n@example.com #${code}`);
  });

  it("gives the provider the purpose and id as metadata, never the code", async () => {
    const { otp, messages } = setup();
    const sent = await otp.send({ phone, purpose: "signup" });
    expect(messages.last()).toMatchObject({
      metadata: { type: "signup", verification_id: sent.id, expires_at: sent.expiresAt.toISOString() },
      tags: ["signup"],
    });
  });
});

describe("magic links", () => {
  it("sends a one-time link; the token verifies once and kills the code too", async () => {
    const { otp, messages } = setup({
      magicLink: { url: "https://app.example.com/auth/verify?token={token}" },
    });
    const sent = await otp.send({ phone, purpose: "magic_link" });
    const body = messages.last()!.body;
    const token = decodeURIComponent(/token=([^\s]+)/.exec(body)![1]!);
    expect(token.startsWith(`${sent.id}.`)).toBe(true);
    expect((await otp.verify({ token })).status).toBe("approved");
    expect((await failure(otp.verify({ token }))).code).toBe("not_found");
    expect((await failure(otp.verify({ id: sent.id, code: messages.lastCode(phone)! }))).code).toBe(
      "not_found",
    );
  });

  it("accepts the code instead of the link, once", async () => {
    const { otp, messages } = setup({ magicLink: { url: "https://a.example/v/{token}" } });
    const sent = await otp.send({ phone, purpose: "magic_link" });
    const token = decodeURIComponent(/\/v\/(\S+)/.exec(messages.last()!.body)![1]!);
    expect((await otp.verify({ id: sent.id, code: messages.lastCode(phone)! })).status).toBe("approved");
    expect((await failure(otp.verify({ token }))).code).toBe("not_found");
  });

  it("refuses a forged token and counts it", async () => {
    const { otp } = setup({ magicLink: { url: "https://a.example/v/{token}" } });
    const sent = await otp.send({ phone, purpose: "magic_link" });
    const error = await failure(otp.verify({ token: `${sent.id}.forgedforgedforgedforgedforgedfo` }));
    expect([error.code, error.attemptsLeft]).toEqual(["invalid_code", 2]);
  });

  it("refuses links when not configured", async () => {
    const { otp } = setup();
    expect((await failure(otp.send({ phone, purpose: "magic_link" }))).field).toBe("link");
  });
});

describe("rate limits", () => {
  it("enforces the 60-second resend cooldown per phone and purpose", async () => {
    const { otp, advance } = setup();
    await otp.send({ phone });
    advance(30);
    const limited = await failure(otp.send({ phone }));
    expect([limited.code, limited.status, limited.retryAfter]).toEqual(["rate_limited", 429, 30]);
    await otp.send({ phone, purpose: "two_factor" });
    advance(30);
    await otp.send({ phone });
  });

  it("allows 3 sends per phone per hour and 10 per day, saying when to retry", async () => {
    const { otp, advance } = setup();
    for (let i = 0; i < 3; i++) {
      await otp.send({ phone });
      advance(61);
    }
    const hourly = await failure(otp.send({ phone }));
    expect(hourly.retryAfter).toBe(3600 - 3 * 61);
    advance(3600);
    let sent = 3;
    while (sent < 10) {
      try {
        await otp.send({ phone });
        sent++;
      } catch (error) {
        expect((error as OtpError).code).toBe("rate_limited");
      }
      advance(61 * 20);
    }
    const daily = await failure(otp.send({ phone }));
    expect(daily.code).toBe("rate_limited");
    expect(daily.retryAfter).toBeGreaterThan(3600);
  });

  it("limits each IP to 10 sends per 10 minutes across phones", async () => {
    const { otp } = setup({ limits: { perPrefix: false }, guard: { tripwire: false } });
    for (let i = 0; i < 10; i++) await otp.send({ phone: `+1415555${String(1000 + i)}`, ip: "203.0.113.7" });
    const error = await failure(otp.send({ phone: "+14155552000", ip: "203.0.113.7" }));
    expect([error.code, error.retryAfter]).toEqual(["rate_limited", 600]);
    await otp.send({ phone: "+14155552000", ip: "203.0.113.8" });
  });

  it("limits a number range (prefix) and a global budget", async () => {
    const { otp } = setup({
      limits: {
        perPrefix: { rules: [{ limit: 2, windowSeconds: 3600 }] },
        global: [{ limit: 3, windowSeconds: 60 }],
      },
    });
    await otp.send({ phone: "+14155551001" });
    await otp.send({ phone: "+14155551002" });
    expect((await failure(otp.send({ phone: "+14155551003" }))).code).toBe("rate_limited");
    await otp.send({ phone: "+447123456789" });
    expect((await failure(otp.send({ phone: "+61412345678" }))).code).toBe("rate_limited");
  });

  it("refused sends change nothing: the pending code stays valid", async () => {
    const { otp, messages, store } = setup();
    const sent = await otp.send({ phone });
    const code = messages.lastCode(phone)!;
    const before = store.dump();
    await failure(otp.send({ phone }));
    expect(store.dump()).toEqual(before);
    expect(messages.messages).toHaveLength(1);
    expect((await otp.verify({ id: sent.id, code })).status).toBe("approved");
  });

  it("50 concurrent sends to one phone under a 3-per-hour rule: exactly 3 sent, one live code", async () => {
    const { otp, messages } = setup({ limits: { resendCooldownSeconds: 0 } });
    const results = await Promise.allSettled(Array.from({ length: 50 }, () => otp.send({ phone })));
    const sent = results.flatMap((result) => (result.status === "fulfilled" ? [result.value] : []));
    expect(sent).toHaveLength(3);
    expect(messages.messages).toHaveLength(3);
    const codeFor = (id: string) =>
      extractCodeOf(messages.messages.find((message) => message.metadata?.verification_id === id)!.body);
    const approvals = await Promise.allSettled(
      sent.map((s) => otp.verify({ id: s.id, code: codeFor(s.id) })),
    );
    expect(approvals.filter((result) => result.status === "fulfilled")).toHaveLength(1);
  });

  it("200 concurrent verifies with the right code: exactly one approval", async () => {
    const { otp, messages } = setup();
    const sent = await otp.send({ phone });
    const code = messages.lastCode(phone)!;
    const results = await Promise.allSettled(
      Array.from({ length: 200 }, () => otp.verify({ id: sent.id, code })),
    );
    expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(1);
  });

  it("exposes atomic custom limits", async () => {
    const { otp } = setup();
    await otp.limit("login:alice", [{ limit: 2, windowSeconds: 60 }]);
    await otp.limit("login:alice", [{ limit: 2, windowSeconds: 60 }]);
    expect((await failure(otp.limit("login:alice", [{ limit: 2, windowSeconds: 60 }]))).retryAfter).toBe(60);
  });
});

const extractCodeOf = (body: string) => /\d{6}/.exec(body)![0];

describe("test numbers", () => {
  it("use their fixed code and never reach the sender", async () => {
    const { otp, messages, events } = setup({ testNumbers: { "+14255550123": "123456" } });
    const sent = await otp.send({ phone: "+14255550123" });
    expect(messages.messages).toHaveLength(0);
    expect(sent.messageId).toBeUndefined();
    expect(events.at(-1)).toMatchObject({ type: "sent", test: true });
    expect((await otp.verify({ id: sent.id, code: "123456" })).phone).toBe("+14255550123");
  });

  it("match however the number is typed, so a test number never gets a real SMS", async () => {
    const { otp, messages } = setup({ testNumbers: { "+14255550123": "123456" } });
    const sent = await otp.send({ phone: "+1 (425) 555-0123" });
    expect(messages.messages).toHaveLength(0);
    expect((await otp.verify({ id: sent.id, code: "123456" })).status).toBe("approved");
  });

  it("are refused in production", () => {
    expect(() =>
      createOtp({
        secret: strongSecret,
        sender: outbox(),
        production: true,
        testNumbers: { "+14255550123": "123456" },
      }),
    ).toThrow(/testNumbers are refused in production/);
  });
});

describe("secrets", () => {
  it("are required and at least 32 bytes", () => {
    for (const bad of ["", "short", [], ["x".repeat(31)]] as const) {
      const error = (() => {
        try {
          createOtp({ secret: bad as string, sender: outbox() });
        } catch (e) {
          return e as OtpError;
        }
      })();
      expect(error?.code).toBe("invalid_config");
    }
  });

  it("rotate: codes signed with the old secret still verify while it is listed", async () => {
    const store = memoryStore();
    const messages = outbox();
    const old = "old-secret-old-secret-old-secret-old!";
    const sent = await createOtp({ secret: old, store, sender: messages }).send({ phone });
    const rotated = createOtp({
      secret: ["new-secret-new-secret-new-secret-new!", old],
      store,
      sender: messages,
    });
    expect((await rotated.verify({ id: sent.id, code: messages.lastCode(phone)! })).status).toBe("approved");
    const dropped = createOtp({ secret: "new-secret-new-secret-new-secret-new!", store, sender: messages });
    const again = await createOtp({ secret: old, store, sender: messages }).send({
      phone,
      purpose: "signup",
    });
    expect((await failure(dropped.verify({ id: again.id, code: messages.lastCode(phone)! }))).code).toBe(
      "invalid_code",
    );
  });
});

describe("bad input gets a stable 4xx and changes nothing", () => {
  const sendCases: Array<[string, Record<string, unknown>, string, string]> = [
    ["invalid phone", { phone: "+1555" }, "invalid_phone", "phone"],
    ["phone not a string", { phone: 14155551234 }, "invalid_phone", "phone"],
    ["unknown purpose", { phone, purpose: "admin" }, "invalid_request", "purpose"],
    ["expiry 0", { phone, expiryMinutes: 0 }, "invalid_request", "expiry_minutes"],
    ["expiry 61", { phone, expiryMinutes: 61 }, "invalid_request", "expiry_minutes"],
    ["expiry fractional", { phone, expiryMinutes: 1.5 }, "invalid_request", "expiry_minutes"],
    ["code length 3", { phone, codeLength: 3 }, "invalid_request", "code_length"],
    ["code length 9", { phone, codeLength: 9 }, "invalid_request", "code_length"],
    ["template without code", { phone, template: "hello" }, "invalid_request", "template"],
    ["metadata array", { phone, metadata: [1] }, "invalid_request", "metadata"],
    ["metadata too big", { phone, metadata: { a: "x".repeat(2000) } }, "invalid_request", "metadata"],
    ["bad tenant", { phone, tenant: "a:b" }, "invalid_request", "tenant"],
    ["bad channel", { phone, channel: "pigeon" }, "invalid_request", "channel"],
  ];
  it.each(sendCases)("send: %s", async (_, input, code, field) => {
    const { otp, store, messages } = setup();
    const error = await failure(otp.send(input as never));
    expect([error.code, error.field]).toEqual([code, field]);
    expect(error.status).toBeGreaterThanOrEqual(400);
    expect(error.status).toBeLessThan(500);
    expect(store.dump()).toEqual({ records: [], windows: [], failures: [] });
    expect(messages.messages).toHaveLength(0);
  });

  it("verify: malformed codes, ids and purposes are refused without counting an attempt", async () => {
    const { otp, messages, store } = setup();
    const sent = await otp.send({ phone });
    const code = messages.lastCode(phone)!;
    const before = JSON.stringify(store.dump());
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ id: sent.id, code: "12a456" }, "invalid_request"],
      [{ id: sent.id, code: "12345" }, "invalid_request"],
      [{ id: sent.id, code: "123456789" }, "invalid_request"],
      [{ id: sent.id, code: 123456 }, "invalid_request"],
      [{ id: sent.id }, "invalid_request"],
      [{ id: sent.id, code, token: "x" }, "invalid_request"],
      [{ id: "ver_nope", code }, "not_found"],
      [{ id: "../../etc", code }, "not_found"],
      [{ phone, purpose: "root", code }, "invalid_request"],
      [{ phone: "garbage", code }, "invalid_phone"],
      [{ token: 42 }, "invalid_request"],
    ];
    for (const [input, expected] of cases)
      expect((await failure(otp.verify(input as never))).code).toBe(expected);
    expect(JSON.stringify(store.dump())).toBe(before);
    expect((await otp.verify({ id: sent.id, code })).status).toBe("approved");
  });
});

describe("store outages fail closed", () => {
  it("send and verify throw store_unavailable, and nothing is reported verified", async () => {
    const broken: Store = {
      name: "broken",
      put: () => Promise.reject(new Error("ECONNREFUSED")),
      check: () => Promise.reject(new Error("ECONNREFUSED")),
      hit: () => Promise.reject(new Error("ECONNREFUSED")),
      release: () => Promise.reject(new Error("ECONNREFUSED")),
      read: () => Promise.reject(new Error("ECONNREFUSED")),
      delete: () => Promise.reject(new Error("ECONNREFUSED")),
    };
    const messages = outbox();
    const otp = createOtp({ secret, store: broken, sender: messages });
    const sendError = await failure(otp.send({ phone }));
    expect([sendError.code, sendError.status]).toEqual(["store_unavailable", 503]);
    expect(messages.messages).toHaveLength(0);
    expect((await failure(otp.verify({ phone, code: "123456" }))).code).toBe("store_unavailable");
  });
});

describe("events", () => {
  it("report sent, verified, failed, limited and blocked with masked phones", async () => {
    const { otp, messages, events } = setup({ phone: { blockedCountries: ["FR"] } });
    const sent = await otp.send({ phone, ip: "198.51.100.4" });
    await failure(
      otp.verify({ id: sent.id, code: messages.lastCode(phone) === "000000" ? "111111" : "000000" }),
    );
    await otp.verify({ id: sent.id, code: messages.lastCode(phone)! });
    // The cooldown is per requester: the same IP again.
    await failure(otp.send({ phone, ip: "198.51.100.4" }));
    await failure(otp.send({ phone: "+33612345678" }));
    expect(events.map((event) => event.type)).toEqual(["sent", "failed", "verified", "limited", "blocked"]);
    expect(events[0]).toMatchObject({ phone: "+1 ***-***-1234", ip: "198.51.100.4", purpose: "login" });
    expect(events[1]).toMatchObject({ reason: "invalid_code", id: sent.id });
    expect(events[3]).toMatchObject({ rule: "cooldown", retryAfter: 60 });
    for (const event of events) expect(JSON.stringify(event)).not.toContain("4155551234");
  });

  it("a throwing listener changes nothing", async () => {
    const { otp } = setup({
      onEvent: () => {
        throw new Error("listener bug");
      },
    });
    expect((await otp.send({ phone })).status).toBe("sent");
  });
});

describe("the code exists only in the outgoing message", () => {
  afterEach(() => vi.restoreAllMocks());

  it("is absent from store contents, results, events, errors and logs", async () => {
    const logged: string[] = [];
    for (const method of ["log", "info", "warn", "error", "debug", "trace"] as const) {
      vi.spyOn(console, method).mockImplementation(
        (...args: unknown[]) => void logged.push(args.map(String).join(" ")),
      );
    }
    const { otp, store, messages, events } = setup({
      codeLength: 8,
      magicLink: { url: "https://a.example/v/{token}" },
    });
    const results: unknown[] = [];
    const errors: unknown[] = [];
    const sent = await otp.send({ phone, metadata: { note: "hello" } });
    results.push(sent);
    const code = messages.lastCode(phone)!;
    const wrong = code === "00000000" ? "11111111" : "00000000";
    errors.push(await failure(otp.verify({ id: sent.id, code: wrong })));
    const snapshot = JSON.stringify(store.dump());
    results.push(await otp.verify({ id: sent.id, code }));
    const link = await otp.send({ phone, purpose: "magic_link" });
    results.push(link);
    const token = /\/v\/(\S+)/.exec(messages.last()!.body)![1]!;
    const linkCode = messages.lastCode(phone)!;
    const linkSnapshot = JSON.stringify(store.dump());

    const kept = [snapshot, linkSnapshot, JSON.stringify(results), JSON.stringify(events), ...logged];
    for (const error of errors as OtpError[])
      kept.push(JSON.stringify(error), error.message, String(error.stack));
    for (const secretValue of [code, linkCode, decodeURIComponent(token).split(".")[1]!]) {
      for (const place of kept) expect(place).not.toContain(secretValue);
    }
    // …and it is in the message, where it belongs.
    expect(messages.messages[0]!.body).toContain(code);
  });
});
