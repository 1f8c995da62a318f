import { describe, expect, it } from "vitest";
import { OtpError } from "./errors.js";
import { memoryStore } from "./memory-store.js";
import { createOtp } from "./otp.js";
import { outbox } from "./senders.js";
import type { Store } from "./store.js";

const secret = "verify-test-secret-verify-test-secret!!";
const phone = "+14155551234";

function setup() {
  const store = memoryStore();
  const sms = outbox();
  const otp = createOtp({ secret, store, sender: sms, limits: { resendCooldownSeconds: 0 } });
  const wrong = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, "0");
  return { otp, store, sms, wrong };
}

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => "approved",
    (error: unknown) => (error instanceof OtpError ? error.code : Promise.reject(error)),
  );

describe("subject binding: a code is for the user it was sent for", () => {
  it("user A's code never verifies for user B, by subject or by id", async () => {
    const { otp, sms } = setup();
    const sent = await otp.send({ phone, subject: "user_a", purpose: "phone_verification" });
    expect(sent.id).toMatch(/^ver_P6/); // upper case: bound to a subject
    const code = sms.lastCode(phone)!;
    expect(await codeOf(otp.verify({ subject: "user_b", purpose: "phone_verification", code }))).toBe(
      "not_found",
    );
    expect(await codeOf(otp.verify({ id: sent.id, subject: "user_b", code }))).toBe("not_found");
    // Nor for nobody: an anonymous check by id or by phone cannot reach a bound code.
    expect(await codeOf(otp.verify({ id: sent.id, code }))).toBe("not_found");
    expect(await codeOf(otp.verify({ phone, purpose: "phone_verification", code }))).toBe("not_found");
    await expect(
      otp.verify({ subject: "user_a", purpose: "phone_verification", code }),
    ).resolves.toMatchObject({
      status: "approved",
      phone,
    });
  });

  it("B's wrong guesses never cost A's pending code an attempt", async () => {
    const { otp, sms, wrong } = setup();
    const sent = await otp.send({ phone, subject: "user_a" });
    const code = sms.lastCode(phone)!;
    for (let i = 0; i < 10; i++) {
      expect(await codeOf(otp.verify({ subject: "user_b", code: wrong(code) }))).toBe("not_found");
      expect(await codeOf(otp.verify({ id: sent.id, subject: "user_b", code: wrong(code) }))).toBe(
        "not_found",
      );
    }
    // A still has all three attempts: two wrong, then right.
    expect(await codeOf(otp.verify({ subject: "user_a", code: wrong(code) }))).toBe("invalid_code");
    expect(await codeOf(otp.verify({ subject: "user_a", code: wrong(code) }))).toBe("invalid_code");
    expect(await codeOf(otp.verify({ id: sent.id, subject: "user_a", code }))).toBe("approved");
  });

  it("keeps one pending code per subject and purpose, independent of other users' codes for the same phone", async () => {
    const { otp, sms } = setup();
    await otp.send({ phone, subject: "user_a" });
    const first = sms.lastCode(phone)!;
    await otp.send({ phone: "+14155551299", subject: "user_a" });
    const second = sms.lastCode("+14155551299")!;
    await otp.send({ phone, subject: "user_b" });
    const forB = sms.lastCode(phone)!;
    expect(await codeOf(otp.verify({ subject: "user_a", code: first }))).not.toBe("approved");
    expect(await codeOf(otp.verify({ subject: "user_b", code: forB }))).toBe("approved");
    await expect(otp.verify({ subject: "user_a", code: second })).resolves.toMatchObject({
      phone: "+14155551299",
    });
  });

  it("an unbound code is not found by a subject, and subject plus phone is refused as input", async () => {
    const { otp, sms } = setup();
    const sent = await otp.send({ phone });
    const code = sms.lastCode(phone)!;
    expect(await codeOf(otp.verify({ id: sent.id, subject: "user_a", code }))).toBe("not_found");
    expect(await codeOf(otp.verify({ subject: "user_a", code }))).toBe("not_found");
    await expect(otp.verify({ subject: "user_a", phone, code })).rejects.toMatchObject({
      code: "invalid_request",
      field: "phone",
    });
    expect(await codeOf(otp.verify({ id: sent.id, code }))).toBe("approved");
  });

  it("subjects share the phone's ceiling: a fresh user id buys no fresh SMS budget beyond it", async () => {
    const { otp } = setup();
    for (let user = 1; user <= 10; user++) await otp.send({ phone, subject: `u${user}` });
    expect(await codeOf(otp.send({ phone, subject: "u11" }))).toBe("rate_limited");
  });

  it("refuses malformed subjects", async () => {
    const { otp } = setup();
    for (const subject of ["", "x".repeat(257), 42]) {
      await expect(otp.send({ phone, subject: subject as string })).rejects.toMatchObject({
        code: "invalid_request",
        field: "subject",
      });
    }
  });
});

describe("a verification's per-IP budget: inside the check (checkHits) or as a hit of its own, the same answers", () => {
  /** The memory store, and a view of it that does not say `checkHits` (the core must then make a hit). */
  function stores() {
    const hitsInCheck = memoryStore();
    const calls = { checksWithHits: 0, verifyHits: 0 };
    const counting: Store = {
      ...hitsInCheck,
      check(key, input) {
        if (input.hits) calls.checksWithHits++;
        return hitsInCheck.check(key, input);
      },
      hit(hits, now) {
        if (hits.some((hit) => hit.key.includes("verify_ip"))) calls.verifyHits++;
        return hitsInCheck.hit(hits, now);
      },
    };
    const base = memoryStore();
    const plainCalls = { checksWithHits: 0, verifyHits: 0 };
    const plain: Store = {
      name: "memory without checkHits",
      local: true,
      sharedLogs: true,
      put: (key, record, options) => base.put(key, record, options),
      check(key, input) {
        if (input.hits) plainCalls.checksWithHits++;
        return base.check(key, input);
      },
      hit(hits, now) {
        if (hits.some((hit) => hit.key.includes("verify_ip"))) plainCalls.verifyHits++;
        return base.hit(hits, now);
      },
      read: (key, now) => base.read(key, now),
      release: (hits, at) => base.release(hits, at),
      delete: (key, id) => base.delete(key, id),
    };
    return [
      { store: counting, calls },
      { store: plain, calls: plainCalls },
    ];
  }

  /** What a verify answered, as a client sees it. */
  const outcome = (promise: Promise<{ status: string }>) =>
    promise.then(
      (result) => ({ status: result.status }),
      (error: unknown) => {
        if (!(error instanceof OtpError)) throw error;
        const { code, retryAfter, source, attemptsLeft } = error;
        return { code, retryAfter, source, attemptsLeft };
      },
    );

  async function scenario(store: Store) {
    const start = 1_800_000_000_000;
    let now = start;
    const sms = outbox();
    const otp = createOtp({
      secret,
      store,
      sender: sms,
      clock: () => now,
      guard: { tripwire: false },
      limits: {
        resendCooldownSeconds: 0,
        verifyPerIp: [{ limit: 4, windowSeconds: 600 }],
        failures: { perRequester: { threshold: 2, backoffSeconds: 60, maxBackoffSeconds: 600 } },
      },
    });
    const phones = ["+14155550101", "+14155550102", "+14155550103", "+14155550104"] as const;
    for (const number of phones.slice(0, 3)) await otp.send({ phone: number });
    const code = (number: string) => sms.lastCode(number)!;
    const wrong = (number: string) => (code(number) === "000000" ? "111111" : "000000");
    const x = "198.51.100.7";
    const y = "2001:db8::7";
    const [a, b, c, d] = phones;
    const answers = [];
    const verify = (number: string, typed: string, ip?: string) =>
      outcome(otp.verify({ phone: number, code: typed, ...(ip ? { ip } : {}) }));
    answers.push(await verify(a, wrong(a), x)); // invalid, 1 of 4
    answers.push(await verify(a, wrong(a), x)); // invalid, locks A for X
    now = start + 1000;
    answers.push(await verify(a, code(a), x)); // locked: still counted, 3 of 4
    answers.push(await verify("+14155550199", "123456", x)); // not_found: counted, 4 of 4
    now = start + 2000;
    answers.push(await verify(b, code(b), x)); // rate_limited: nothing counted, B's code untouched
    answers.push(await verify(b, code(b), y)); // another IP: approved
    answers.push(await verify(a, code(a), y)); // A lost nothing to the refusals: approved
    answers.push(await verify(c, code(c))); // no IP: no budget to spend
    now = start + 600_000; // the two events at `start` have left X's window
    await otp.send({ phone: d });
    answers.push(await verify(d, wrong(d), x));
    answers.push(await verify(d, code(d), x));
    answers.push(await verify(d, code(d), x)); // full again until the events at start + 1 s leave
    return answers;
  }

  it("refusals, waits, counted verdicts and the error's shape are the same on both paths", async () => {
    const expected = [
      { code: "invalid_code", attemptsLeft: 2 },
      { code: "invalid_code", attemptsLeft: 1 },
      { code: "too_many_attempts", retryAfter: 59 },
      { code: "not_found" },
      { code: "rate_limited", retryAfter: 598, source: "app" },
      { status: "approved" },
      { status: "approved" },
      { status: "approved" },
      { code: "invalid_code", attemptsLeft: 2 },
      { status: "approved" },
      { code: "rate_limited", retryAfter: 1, source: "app" },
    ];
    const [inCheck, apart] = stores();
    const viaCheck = await scenario(inCheck!.store);
    const viaHit = await scenario(apart!.store);
    const defined = (answers: object[]) =>
      answers.map((answer) => Object.fromEntries(Object.entries(answer).filter(([, v]) => v !== undefined)));
    expect(defined(viaCheck)).toEqual(expected);
    expect(defined(viaHit)).toEqual(expected);
    // The store with checkHits got every IP's verification inside its check, and no hit of its own;
    // the other never saw `hits` in a check.
    expect(inCheck!.calls).toEqual({ checksWithHits: 10, verifyHits: 0 });
    expect(apart!.calls).toEqual({ checksWithHits: 0, verifyHits: 10 });
  });

  it("the rate_limited error from inside the check is the app's, with retryAfter in whole seconds", async () => {
    const store = memoryStore();
    let now = 1_800_000_000_000;
    const otp = createOtp({
      secret,
      store,
      sender: outbox(),
      clock: () => now,
      limits: { verifyPerIp: [{ limit: 1, windowSeconds: 60 }] },
    });
    const ip = "203.0.113.9";
    await expect(otp.verify({ phone, code: "123456", ip })).rejects.toMatchObject({ code: "not_found" });
    now += 500;
    const error = await otp.verify({ phone, code: "123456", ip }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OtpError);
    expect((error as OtpError).toJSON()).toMatchObject({
      code: "rate_limited",
      retry_after: 60,
      source: "app",
    });
    expect((error as OtpError).status).toBe(429);
  });
});
