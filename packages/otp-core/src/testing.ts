/**
 * `@otpkit/otp-core/testing`: the store conformance suite, and the faults every adapter's tests
 * need. Every store — memory, Redis, PostgreSQL, Firestore — runs exactly these tests, races
 * included. Usage, in a vitest file:
 *
 *   import { storeConformance } from "@otpkit/otp-core/testing";
 *   storeConformance("redis", {
 *     create: () => redisStore({ client, prefix: `test-${run}:` }),
 *     dump: async () => everythingOnTheServer(),      // optional: no code at rest
 *     unreachable: () => redisStore({ client: dead }), // optional: fails closed, promptly
 *   });
 */
import { afterAll, describe, expect, it } from "vitest";
import { randomToken } from "./code.js";
import { randomBytes } from "./crypto.js";
import { OtpError } from "./errors.js";
import { memoryStore } from "./memory-store.js";
import { createOtp } from "./otp.js";
import { outbox, type Sender, type SendOptions, type SmsMessage } from "./senders.js";
import type { FailureRule, OtpRecord, RateHit, Store } from "./store.js";

export interface ConformanceOptions {
  /** Makes the store under test (once per suite), on the real server. */
  create: () => Store | Promise<Store>;
  /**
   * Everything the server holds, as text: every key and value (Redis), every row of every table
   * (SQL), every document (Firestore). When given, the suite checks that no code or link token is
   * at rest (see `storeDumpTest`). Default: none.
   */
  dump?: () => Promise<string[]>;
  /**
   * Makes a store whose server cannot be reached (a closed port, a client that never answers).
   * When given, the suite checks that every operation fails closed — `store_unavailable` through
   * `createOtp` — within `unreachableWithinMs`. Default: none.
   */
  unreachable?: () => Store | Promise<Store>;
  /** The bound for `unreachable`, in milliseconds. Default: 3000. */
  unreachableWithinMs?: number;
  /** How many operations race at once in the concurrency tests. Default: 200. */
  concurrency?: number;
  /** Called once after the suite (close clients, drop schemas). */
  teardown?: () => Promise<void> | void;
}

const unique = () => randomToken(9);
const record = (overrides: Partial<OtpRecord> = {}): OtpRecord => ({
  id: `ver_${unique()}`,
  hash: `h_${unique()}`,
  expiresAt: Date.now() + 60_000,
  attempts: 0,
  maxAttempts: 3,
  data: `opaque-${unique()}`,
  ...overrides,
});

/** A fresh valid US mobile-capable number (+1 415 [2-9]xx xxxx) for the suite's sends through `createOtp`. */
const suitePhone = () => {
  const bytes = randomBytes(7);
  let national = `415${2 + (bytes[0]! % 8)}`;
  for (let i = 1; i < 7; i++) national += bytes[i]! % 10;
  return `+1${national}`;
};
const suiteSecret = "conformance-secret-conformance-secret-0123";

export function storeConformance(name: string, options: ConformanceOptions): void {
  const concurrency = options.concurrency ?? 200;
  const retain = () => Date.now() + 120_000;

  describe(`store conformance: ${name}`, () => {
    let store: Store;
    const setup = async () => {
      store ??= await options.create();
      return store;
    };
    if (options.teardown) afterAll(() => options.teardown!());
    const rule = (limit: number, windowMs = 60_000): RateHit => ({ key: `rl_${unique()}`, limit, windowMs });

    describe("put and check", () => {
      it("approves the right hash exactly once, then forgets the record", async () => {
        const s = await setup();
        const key = `k_${unique()}`;
        const r = record();
        expect(await s.put(key, r, { now: Date.now(), retainUntil: retain() })).toEqual({
          ok: true,
          previous: null,
        });
        const first = await s.check(key, { id: r.id, hashes: [r.hash], now: Date.now() });
        expect(first.status).toBe("approved");
        expect(first.status === "approved" && first.record).toMatchObject({ id: r.id, data: r.data });
        expect(await s.check(key, { id: r.id, hashes: [r.hash], now: Date.now() })).toEqual({
          status: "not_found",
        });
      });

      it("approves by key alone when no id is given", async () => {
        const s = await setup();
        const key = `k_${unique()}`;
        const r = record();
        await s.put(key, r, { now: Date.now(), retainUntil: retain() });
        expect((await s.check(key, { hashes: [r.hash], now: Date.now() })).status).toBe("approved");
      });

      it("accepts any of several candidate hashes (secret rotation) and the link hash", async () => {
        const s = await setup();
        const key = `k_${unique()}`;
        const r = record({ linkHash: `l_${unique()}` });
        await s.put(key, r, { now: Date.now(), retainUntil: retain() });
        expect((await s.check(key, { hashes: ["nope", r.linkHash!], now: Date.now() })).status).toBe(
          "approved",
        );
        const key2 = `k_${unique()}`;
        const r2 = record();
        await s.put(key2, r2, { now: Date.now(), retainUntil: retain() });
        expect((await s.check(key2, { hashes: ["other", r2.hash], now: Date.now() })).status).toBe(
          "approved",
        );
      });

      it("counts wrong guesses and kills the code at the limit, even for the right code afterwards", async () => {
        const s = await setup();
        const key = `k_${unique()}`;
        const r = record({ maxAttempts: 3 });
        await s.put(key, r, { now: Date.now(), retainUntil: retain() });
        const now = Date.now();
        expect(await s.check(key, { hashes: ["wrong"], now })).toEqual({
          status: "invalid",
          attemptsLeft: 2,
        });
        expect(await s.check(key, { hashes: ["wrong"], now })).toEqual({
          status: "invalid",
          attemptsLeft: 1,
        });
        expect(await s.check(key, { hashes: ["wrong"], now })).toEqual({ status: "too_many_attempts" });
        expect(await s.check(key, { hashes: [r.hash], now })).toEqual({ status: "too_many_attempts" });
      });

      it("refuses a superseded id without counting an attempt", async () => {
        const s = await setup();
        const key = `k_${unique()}`;
        const r = record({ maxAttempts: 2 });
        await s.put(key, r, { now: Date.now(), retainUntil: retain() });
        for (let i = 0; i < 5; i++) {
          expect(await s.check(key, { id: "ver_other", hashes: ["wrong"], now: Date.now() })).toEqual({
            status: "not_found",
          });
        }
        expect(await s.check(key, { id: r.id, hashes: ["wrong"], now: Date.now() })).toEqual({
          status: "invalid",
          attemptsLeft: 1,
        });
        expect((await s.check(key, { id: r.id, hashes: [r.hash], now: Date.now() })).status).toBe("approved");
      });

      it("reports expiry at and after expiresAt, and counts nothing then", async () => {
        const s = await setup();
        const key = `k_${unique()}`;
        const now = Date.now();
        const r = record({ expiresAt: now + 5_000 });
        await s.put(key, r, { now, retainUntil: retain() });
        expect(await s.check(key, { hashes: [r.hash], now: now + 5_000 })).toEqual({ status: "expired" });
        expect(await s.check(key, { hashes: [r.hash], now: now + 9_000 })).toEqual({ status: "expired" });
        expect((await s.check(key, { hashes: [r.hash], now: now + 4_999 })).status).toBe("approved");
      });

      it("drops the record after retainUntil", async () => {
        const s = await setup();
        const key = `k_${unique()}`;
        const r = record({ expiresAt: Date.now() + 100 });
        await s.put(key, r, { now: Date.now(), retainUntil: Date.now() + 150 });
        await new Promise((resolve) => setTimeout(resolve, 400));
        expect(await s.check(key, { hashes: [r.hash], now: Date.now() })).toEqual({ status: "not_found" });
      });

      it("replaces the pending record: the old code dies, the previous record is returned", async () => {
        const s = await setup();
        const key = `k_${unique()}`;
        const first = record();
        const second = record();
        await s.put(key, first, { now: Date.now(), retainUntil: retain() });
        await s.check(key, { hashes: ["wrong"], now: Date.now() });
        const put = await s.put(key, second, { now: Date.now(), retainUntil: retain() });
        expect(put).toEqual({ ok: true, previous: { ...first, attempts: 1 } });
        expect(await s.check(key, { id: first.id, hashes: [first.hash], now: Date.now() })).toEqual({
          status: "not_found",
        });
        expect(await s.check(key, { hashes: [first.hash], now: Date.now() })).toEqual({
          status: "invalid",
          attemptsLeft: 2,
        });
        expect((await s.check(key, { id: second.id, hashes: [second.hash], now: Date.now() })).status).toBe(
          "approved",
        );
      });

      it("writes with ifId only over the record that has that id", async () => {
        const s = await setup();
        const key = `k_${unique()}`;
        const first = record();
        const second = record();
        const restored = record();
        await s.put(key, first, { now: Date.now(), retainUntil: retain() });
        await s.put(key, second, { now: Date.now(), retainUntil: retain(), ifId: "ver_someone_else" });
        expect((await s.check(key, { hashes: [first.hash], now: Date.now() })).status).toBe("approved");
        await s.put(key, second, { now: Date.now(), retainUntil: retain() });
        await s.put(key, restored, { now: Date.now(), retainUntil: retain(), ifId: second.id });
        expect((await s.check(key, { hashes: [restored.hash], now: Date.now() })).status).toBe("approved");
      });

      it("deletes, optionally only a given id", async () => {
        const s = await setup();
        const key = `k_${unique()}`;
        const r = record();
        await s.put(key, r, { now: Date.now(), retainUntil: retain() });
        expect(await s.delete(key, "ver_other")).toBe(false);
        expect(await s.delete(key, r.id)).toBe(true);
        expect(await s.delete(key)).toBe(false);
        expect(await s.check(key, { hashes: [r.hash], now: Date.now() })).toEqual({ status: "not_found" });
      });

      it("keeps keys apart", async () => {
        const s = await setup();
        const a = record();
        const b = record();
        const keyA = `k_${unique()}`;
        const keyB = `k_${unique()}`;
        await s.put(keyA, a, { now: Date.now(), retainUntil: retain() });
        await s.put(keyB, b, { now: Date.now(), retainUntil: retain() });
        expect(await s.check(keyA, { hashes: [b.hash], now: Date.now() })).toEqual({
          status: "invalid",
          attemptsLeft: 2,
        });
        expect((await s.check(keyB, { hashes: [b.hash], now: Date.now() })).status).toBe("approved");
      });
    });

    describe("rate limits", () => {
      it("lets exactly `limit` events through a window and says when the next one may come", async () => {
        const s = await setup();
        const hit = rule(3, 10_000);
        const now = Date.now();
        for (let i = 0; i < 3; i++) expect(await s.hit([hit], now + i * 1000)).toEqual({ ok: true });
        const refused = await s.hit([hit], now + 4000);
        expect(refused).toEqual({ ok: false, key: hit.key, retryAfterMs: 6000 });
        // The oldest event leaves the window at now + 10 s: exactly one slot frees up.
        expect(await s.hit([hit], now + 10_000)).toEqual({ ok: true });
        expect((await s.hit([hit], now + 10_001)).ok).toBe(false);
      });

      it("is all or nothing across rules", async () => {
        const s = await setup();
        const wide = rule(5);
        const narrow = rule(1);
        const now = Date.now();
        expect(await s.hit([wide, narrow], now)).toEqual({ ok: true });
        const refused = await s.hit([wide, narrow], now + 1);
        expect(refused.ok === false && refused.key).toBe(narrow.key);
        // The refused call counted nothing on the wide rule: four more fit.
        for (let i = 0; i < 4; i++) expect(await s.hit([wide], now + 2)).toEqual({ ok: true });
        expect((await s.hit([wide], now + 3)).ok).toBe(false);
      });

      it("counts put's hits with the write, and writes nothing when refused", async () => {
        const s = await setup();
        const key = `k_${unique()}`;
        const hit = rule(1);
        const first = record();
        const second = record();
        expect((await s.put(key, first, { now: Date.now(), retainUntil: retain(), hits: [hit] })).ok).toBe(
          true,
        );
        const refused = await s.put(key, second, { now: Date.now(), retainUntil: retain(), hits: [hit] });
        expect(refused.ok).toBe(false);
        expect(refused.ok === false && refused.retryAfterMs).toBeGreaterThan(0);
        expect((await s.check(key, { hashes: [second.hash], now: Date.now() })).status).toBe("invalid");
        expect((await s.check(key, { hashes: [first.hash], now: Date.now() })).status).toBe("approved");
      });
    });

    describe("shared logs: several rules on one log (stores with `sharedLogs`)", () => {
      /** A log judged by a short and a long rule. */
      const shared = (short: number, shortMs: number, long: number, longMs: number): RateHit => ({
        key: `rl_${unique()}`,
        limit: short,
        windowMs: shortMs,
        also: [{ limit: long, windowMs: longMs }],
      });

      it("judges every rule on its own window, and says exactly when the next event may come", async (context) => {
        const s = await setup();
        if (!s.sharedLogs) return context.skip();
        const hit = shared(2, 10_000, 3, 60_000);
        const now = Date.now();
        expect(await s.hit([hit], now)).toEqual({ ok: true });
        expect(await s.hit([hit], now + 1000)).toEqual({ ok: true });
        // The short rule is full until its oldest event leaves (now + 10 s); the long one has room.
        expect(await s.hit([hit], now + 2000)).toEqual({ ok: false, key: hit.key, retryAfterMs: 8000 });
        expect(await s.hit([hit], now + 10_000)).toEqual({ ok: true });
        // Now the long rule is full (3 in a minute) though the short window is empty.
        expect(await s.hit([hit], now + 20_000)).toEqual({ ok: false, key: hit.key, retryAfterMs: 40_000 });
        // The refusal counted nothing: one slot frees when the first event leaves the long window.
        expect(await s.hit([hit], now + 60_000)).toEqual({ ok: true });
        expect(await s.hit([hit], now + 60_001)).toEqual({ ok: false, key: hit.key, retryAfterMs: 999 });
      });

      it("when several rules refuse, the longest wait is the answer; weights count against each", async (context) => {
        const s = await setup();
        if (!s.sharedLogs) return context.skip();
        const both = shared(1, 10_000, 1, 60_000);
        const now = Date.now();
        expect(await s.hit([both], now)).toEqual({ ok: true });
        expect(await s.hit([both], now + 5000)).toEqual({ ok: false, key: both.key, retryAfterMs: 55_000 });
        const weighed = { ...shared(3, 10_000, 4, 60_000), weight: 2 };
        expect(await s.hit([weighed], now)).toEqual({ ok: true });
        expect(await s.hit([weighed], now + 1)).toEqual({ ok: false, key: weighed.key, retryAfterMs: 9999 });
        expect(await s.hit([{ ...weighed, weight: 1 }], now + 2)).toEqual({ ok: true });
      });

      it("counts an event once per log, and release gives it back once", async (context) => {
        const s = await setup();
        if (!s.sharedLogs) return context.skip();
        const hit = shared(2, 10_000, 2, 60_000);
        const now = Date.now();
        expect(await s.hit([hit], now)).toEqual({ ok: true });
        await s.release([hit], now);
        expect(await s.hit([hit], now + 1)).toEqual({ ok: true });
        expect(await s.hit([hit], now + 2)).toEqual({ ok: true });
        expect((await s.hit([hit], now + 3)).ok).toBe(false);
        // Alongside a rule of its own key, all or nothing as ever.
        const other = rule(5);
        const next = shared(1, 10_000, 1, 60_000);
        expect(await s.hit([other, next], now)).toEqual({ ok: true });
        expect((await s.hit([other, next], now + 1)).ok).toBe(false);
        for (let i = 0; i < 4; i++) expect(await s.hit([other], now + 2)).toEqual({ ok: true });
      });

      it(`under ${concurrency} concurrent puts and hits a shared log lets exactly its smallest budget through`, async (context) => {
        const s = await setup();
        if (!s.sharedLogs) return context.skip();
        const hit = shared(5, 60_000, 3, 3_600_000);
        const now = Date.now();
        const results = await Promise.all(
          Array.from({ length: concurrency }, (_, i) =>
            i % 2
              ? s.hit([hit], now)
              : s.put(`k_${unique()}`, record(), { now, retainUntil: retain(), hits: [hit] }),
          ),
        );
        expect(results.filter((result) => result.ok)).toHaveLength(3);
        // Every refusal is the hour rule's, exactly: its oldest event leaves in one hour.
        for (const result of results)
          if (!result.ok) expect(result).toEqual({ ok: false, key: hit.key, retryAfterMs: 3_600_000 });
      });
    });

    describe("hits inside check (stores with `checkHits`)", () => {
      // The contract (store.ts, `CheckInput.hits`): the hits are judged FIRST. If one refuses the
      // answer is `limited` and nothing at all is counted or looked at — no window, no failure
      // counter, no attempt, no consumed record. Otherwise every hit is counted whatever the verdict
      // (approved, invalid, expired, not_found, too_many_attempts, and locked too: a locked check
      // still spends the requester's budget), and the check goes on exactly as without them.
      const failureRule = (threshold: number, backoffMs = 60_000): FailureRule => ({
        key: `fl_${unique()}`,
        threshold,
        backoffMs,
        maxBackoffMs: backoffMs * 4,
        retainMs: 600_000,
      });
      const pending = async (s: Store, now: number, overrides: Partial<OtpRecord> = {}) => {
        const key = `k_${unique()}`;
        const r = record({ expiresAt: now + 600_000, ...overrides });
        await s.put(key, r, { now, retainUntil: now + 600_000 });
        return { key, r };
      };

      it("refused: `limited` with the key and the exact wait, and nothing counted — window, attempts, failure counters, record", async (context) => {
        const s = await setup();
        if (!s.checkHits) return context.skip();
        const now = Date.now();
        const hit = rule(2, 10_000);
        const counter = failureRule(3);
        const { key, r } = await pending(s, now, { maxAttempts: 3 });
        const checked = (hashes: string[], at: number) =>
          s.check(key, { id: r.id, hashes, now: at, failures: [counter], hits: [hit] });
        expect(await checked(["wrong"], now)).toEqual({ status: "invalid", attemptsLeft: 2 });
        expect(await checked(["wrong"], now + 1000)).toEqual({ status: "invalid", attemptsLeft: 1 });
        // The window is full until its oldest event leaves (now + 10 s): even the right code is
        // refused, and not consumed.
        expect(await checked([r.hash], now + 2000)).toEqual({
          status: "limited",
          key: hit.key,
          retryAfterMs: 8000,
        });
        // A wrong code refused here is no attempt (the code would die) and no failure (the
        // counter would reach its threshold of 3 and lock for a minute).
        expect(await checked(["wrong"], now + 3000)).toEqual({
          status: "limited",
          key: hit.key,
          retryAfterMs: 7000,
        });
        // The refusals counted nothing in the window: exactly one slot frees at now + 10 s.
        expect(await s.hit([hit], now + 10_000)).toEqual({ ok: true });
        expect(await s.hit([hit], now + 10_001)).toEqual({ ok: false, key: hit.key, retryAfterMs: 999 });
        // Two wrong guesses counted, not three: the record has its last attempt and the counter is
        // not locking (it would refuse until now + 63 s), so the right code is approved.
        expect(await s.read(key, now + 10_002)).toMatchObject({ id: r.id, attempts: 2 });
        expect(
          (await s.check(key, { id: r.id, hashes: [r.hash], now: now + 10_002, failures: [counter] })).status,
        ).toBe("approved");
      });

      it("counted whatever the verdict: approved, invalid, too_many_attempts, expired, not_found and locked each spend one", async (context) => {
        const s = await setup();
        if (!s.checkHits) return context.skip();
        const now = Date.now();
        const hit = rule(7, 60_000);
        const approved = await pending(s, now);
        const guessed = await pending(s, now, { maxAttempts: 2 });
        const expiring = await pending(s, now, { expiresAt: now + 1 });
        const locking = await pending(s, now);
        const counter = failureRule(1);
        const verdicts = [
          await s.check(approved.key, { hashes: [approved.r.hash], now, hits: [hit] }),
          await s.check(guessed.key, { hashes: ["wrong"], now: now + 1, hits: [hit] }),
          await s.check(guessed.key, { hashes: ["wrong"], now: now + 2, hits: [hit] }),
          await s.check(expiring.key, { hashes: [expiring.r.hash], now: now + 3, hits: [hit] }),
          await s.check(`k_${unique()}`, { hashes: ["wrong"], now: now + 4, hits: [hit] }),
          await s.check(locking.key, { hashes: ["wrong"], now: now + 5, failures: [counter], hits: [hit] }),
          await s.check(locking.key, {
            hashes: [locking.r.hash],
            now: now + 6,
            failures: [counter],
            hits: [hit],
          }),
        ];
        // The verdicts are exactly those without hits.
        expect(verdicts.map((verdict) => verdict.status)).toEqual([
          "approved",
          "invalid",
          "too_many_attempts",
          "expired",
          "not_found",
          "invalid",
          "locked",
        ]);
        expect(verdicts[0]).toMatchObject({ record: { id: approved.r.id, data: approved.r.data } });
        expect(verdicts[1]).toEqual({ status: "invalid", attemptsLeft: 1 });
        expect(verdicts[6]).toEqual({ status: "locked", retryAfterMs: 59_999 });
        // All seven were counted: the window is full, its oldest event (now) leaves in a minute.
        expect(await s.hit([hit], now + 10)).toEqual({ ok: false, key: hit.key, retryAfterMs: 59_990 });
        // The locked check looked at nothing: the record still has every attempt but the one counted.
        expect(await s.read(locking.key, now + 10)).toMatchObject({ attempts: 1 });
      });

      it("a refusing hit wins over a locking failure counter (hits are judged first), and counts nothing", async (context) => {
        const s = await setup();
        if (!s.checkHits) return context.skip();
        const now = Date.now();
        const hit = rule(1, 10_000);
        const counter = failureRule(1);
        const { key, r } = await pending(s, now);
        expect(await s.check(key, { hashes: ["wrong"], now, failures: [counter], hits: [hit] })).toEqual({
          status: "invalid",
          attemptsLeft: 2,
        });
        expect(
          await s.check(key, { hashes: [r.hash], now: now + 1, failures: [counter], hits: [hit] }),
        ).toEqual({
          status: "limited",
          key: hit.key,
          retryAfterMs: 9999,
        });
        // Without the hit the counter answers, as it did before; the window still holds one event.
        expect(await s.check(key, { hashes: [r.hash], now: now + 2, failures: [counter] })).toEqual({
          status: "locked",
          retryAfterMs: 59_998,
        });
        expect(await s.hit([hit], now + 10_000)).toEqual({ ok: true });
      });

      it("weights, several hits (all or nothing, the longest wait wins) and shared logs, judged as `hit` judges them", async (context) => {
        const s = await setup();
        if (!s.checkHits) return context.skip();
        const now = Date.now();
        const missing = () => `k_${unique()}`;
        // A weight-3 check takes three slots of five.
        const weighed = { ...rule(5, 10_000), weight: 3 };
        expect(await s.check(missing(), { hashes: ["h"], now, hits: [weighed] })).toEqual({
          status: "not_found",
        });
        expect(await s.check(missing(), { hashes: ["h"], now: now + 1000, hits: [weighed] })).toEqual({
          status: "limited",
          key: weighed.key,
          retryAfterMs: 9000,
        });
        expect(
          await s.check(missing(), { hashes: ["h"], now: now + 1000, hits: [{ ...weighed, weight: 2 }] }),
        ).toEqual({ status: "not_found" });
        expect((await s.hit([{ ...weighed, weight: 1 }], now + 1000)).ok).toBe(false);

        // Several hits: the one refusing for longest is the answer, and the others count nothing.
        const wide = rule(5, 60_000);
        const short = rule(1, 10_000);
        const long = rule(1, 30_000);
        expect(await s.check(missing(), { hashes: ["h"], now, hits: [short, long] })).toEqual({
          status: "not_found",
        });
        expect(await s.check(missing(), { hashes: ["h"], now: now + 1, hits: [wide, short, long] })).toEqual({
          status: "limited",
          key: long.key,
          retryAfterMs: 29_999,
        });
        for (let i = 0; i < 5; i++) expect(await s.hit([wide], now + 2)).toEqual({ ok: true });
        expect((await s.hit([wide], now + 3)).ok).toBe(false);

        if (!s.sharedLogs) return;
        // A shared log (`also`): each rule judges its own window, the event counted once.
        const shared: RateHit = { ...rule(2, 10_000), also: [{ limit: 3, windowMs: 60_000 }] };
        const at = (offset: number) =>
          s.check(missing(), { hashes: ["h"], now: now + offset, hits: [shared] });
        expect(await at(0)).toEqual({ status: "not_found" });
        expect(await at(1000)).toEqual({ status: "not_found" });
        expect(await at(2000)).toEqual({ status: "limited", key: shared.key, retryAfterMs: 8000 });
        expect(await at(10_000)).toEqual({ status: "not_found" });
        expect(await at(20_000)).toEqual({ status: "limited", key: shared.key, retryAfterMs: 40_000 });
        expect(await s.hit([shared], now + 60_000)).toEqual({ ok: true });
        expect(await s.hit([shared], now + 60_001)).toEqual({
          ok: false,
          key: shared.key,
          retryAfterMs: 999,
        });
      });

      const limit = 10;
      const extra = Math.min(50, concurrency);

      it(`a limit of ${limit}: exactly ${limit} of ${limit + extra} concurrent checks on distinct records get through, and the refused ones consume nothing`, async (context) => {
        const s = await setup();
        if (!s.checkHits) return context.skip();
        const now = Date.now();
        const hit = rule(limit, 60_000);
        const counter = failureRule(3);
        const records = await Promise.all(Array.from({ length: limit + extra }, () => pending(s, now)));
        const results = await Promise.all(
          records.map(({ key, r }) =>
            s.check(key, { id: r.id, hashes: [r.hash], now, failures: [counter], hits: [hit] }),
          ),
        );
        expect(results.filter((result) => result.status === "approved")).toHaveLength(limit);
        const refused = results.filter((result) => result.status === "limited");
        expect(refused).toHaveLength(extra);
        for (const result of refused)
          expect(result).toEqual({ status: "limited", key: hit.key, retryAfterMs: 60_000 });
        // A refused check left its record as it was: its right code is still approved, once.
        const again = await Promise.all(
          records.map(({ key, r }, i) =>
            results[i]!.status === "limited"
              ? s.check(key, { id: r.id, hashes: [r.hash], now, failures: [counter] })
              : Promise.resolve(results[i]!),
          ),
        );
        expect(again.every((result) => result.status === "approved")).toBe(true);
      });

      it(`a limit of ${limit}: exactly ${limit} of ${limit + extra} concurrent wrong checks on one record get through, each attempt and failure counted once`, async (context) => {
        const s = await setup();
        if (!s.checkHits) return context.skip();
        const now = Date.now();
        const hit = rule(limit, 60_000);
        const counter = failureRule(limit + 1);
        const { key, r } = await pending(s, now, { maxAttempts: 1000 });
        const results = await Promise.all(
          Array.from({ length: limit + extra }, () =>
            s.check(key, { id: r.id, hashes: ["wrong"], now, failures: [counter], hits: [hit] }),
          ),
        );
        const left = results.flatMap((result) => (result.status === "invalid" ? [result.attemptsLeft] : []));
        // Each counted attempt seen exactly once: attemptsLeft takes every value from 999 down to 990.
        expect(left.sort((a, b) => b - a)).toEqual(Array.from({ length: limit }, (_, i) => 999 - i));
        expect(results.filter((result) => result.status === "limited")).toHaveLength(extra);
        // Exactly `limit` failures counted: one more reaches the threshold, the next is refused.
        expect((await s.check(key, { id: r.id, hashes: ["wrong"], now, failures: [counter] })).status).toBe(
          "invalid",
        );
        expect((await s.check(key, { id: r.id, hashes: [r.hash], now, failures: [counter] })).status).toBe(
          "locked",
        );
        expect(await s.read(key, now)).toMatchObject({ attempts: limit + 1 });
      });

      it(`a limit of ${limit}: exactly ${limit} of ${limit + extra} concurrent right checks on one record get through, one approves`, async (context) => {
        const s = await setup();
        if (!s.checkHits) return context.skip();
        const now = Date.now();
        const hit = rule(limit, 60_000);
        const { key, r } = await pending(s, now);
        const results = await Promise.all(
          Array.from({ length: limit + extra }, () =>
            s.check(key, { id: r.id, hashes: [r.hash], now, hits: [hit] }),
          ),
        );
        expect(results.filter((result) => result.status === "approved")).toHaveLength(1);
        expect(results.filter((result) => result.status === "not_found")).toHaveLength(limit - 1);
        expect(results.filter((result) => result.status === "limited")).toHaveLength(extra);
        expect((await s.hit([hit], now)).ok).toBe(false);
      });
    });

    describe("weights, conversion ratios, carried attempts, reads", () => {
      it("weighs events: a weight-3 event takes three slots, and is refused when it does not fit", async () => {
        const s = await setup();
        const now = Date.now();
        const hit = rule(5, 10_000);
        expect(await s.hit([{ ...hit, weight: 3 }], now)).toEqual({ ok: true });
        // 3 live + 3 would pass 5: refused until the weight-3 event leaves (all three at once).
        expect(await s.hit([{ ...hit, weight: 3 }], now + 1000)).toEqual({
          ok: false,
          key: hit.key,
          retryAfterMs: 9000,
        });
        expect(await s.hit([{ ...hit, weight: 2 }], now + 1000)).toEqual({ ok: true });
        expect((await s.hit([hit], now + 1000)).ok).toBe(false);
        // Release gives back exactly the weight counted at that instant.
        await s.release([{ ...hit, weight: 2 }], now + 1000);
        expect(await s.hit([{ ...hit, weight: 2 }], now + 2000)).toEqual({ ok: true });
        expect((await s.hit([hit], now + 2000)).ok).toBe(false);
      });

      it("an event heavier than the whole limit never fits: refused for a whole window, nothing counted", async () => {
        const s = await setup();
        const now = Date.now();
        const hit = rule(2, 10_000);
        expect(await s.hit([{ ...hit, weight: 3 }], now)).toEqual({
          ok: false,
          key: hit.key,
          retryAfterMs: 10_000,
        });
        // Also over a log that holds events, and alongside a rule with room.
        expect(await s.hit([hit], now + 1)).toEqual({ ok: true });
        const roomy = rule(100, 60_000);
        expect(await s.hit([roomy, { ...hit, weight: 3 }], now + 2)).toEqual({
          ok: false,
          key: hit.key,
          retryAfterMs: 10_000,
        });
        // Nothing was counted by the refusals: one more event still fits, and the roomy log is empty.
        expect(await s.hit([hit], now + 3)).toEqual({ ok: true });
        expect(await s.hit([{ ...roomy, weight: 100 }], now + 4)).toEqual({ ok: true });
      });

      it("a conversion ratio refuses once enough events came with too few verified ones", async () => {
        const s = await setup();
        const now = Date.now();
        const verified = rule(1_000_000, 60_000);
        const sent = {
          ...rule(1_000_000, 60_000),
          ratio: { key: verified.key, minEvents: 4, minRatio: 0.5 },
        };
        for (let i = 0; i < 4; i++) expect(await s.hit([sent], now + i)).toEqual({ ok: true });
        // Four sent, none verified: refused until the oldest leaves the window.
        expect(await s.hit([sent], now + 10)).toEqual({ ok: false, key: sent.key, retryAfterMs: 59_990 });
        await s.hit([verified], now + 11);
        expect((await s.hit([sent], now + 12)).ok).toBe(false); // 1 of 4 < 0.5
        await s.hit([verified], now + 13);
        expect(await s.hit([sent], now + 14)).toEqual({ ok: true }); // 2 of 4 = 0.5
      });

      it("carry: a resend over a live code keeps its attempts and its (sooner) expiry", async () => {
        const s = await setup();
        const now = Date.now();
        const key = `k_${unique()}`;
        const first = record({ expiresAt: now + 60_000, maxAttempts: 3 });
        await s.put(key, first, { now, retainUntil: now + 120_000 });
        await s.check(key, { hashes: ["wrong"], now });
        await s.check(key, { hashes: ["wrong"], now });
        const second = record({ expiresAt: now + 600_000, maxAttempts: 3 });
        await s.put(key, second, { now: now + 1, retainUntil: now + 700_000, carry: true });
        expect(await s.read(key, now + 2)).toMatchObject({
          id: second.id,
          attempts: 2,
          expiresAt: now + 60_000,
        });
        expect(await s.check(key, { hashes: ["wrong"], now: now + 3 })).toEqual({
          status: "too_many_attempts",
        });
        // Without carry (or over a dead code) the new record stands as given.
        const third = record({ expiresAt: now + 600_000 });
        await s.put(key, third, { now: now + 4, retainUntil: now + 700_000, carry: true });
        expect(await s.read(key, now + 5)).toMatchObject({
          id: third.id,
          attempts: 0,
          expiresAt: now + 600_000,
        });
      });

      it("read returns the record unchanged, or null when absent or past retention", async () => {
        const s = await setup();
        const now = Date.now();
        const key = `k_${unique()}`;
        const r = record({ expiresAt: now + 1000 });
        expect(await s.read(key, now)).toBeNull();
        await s.put(key, r, { now, retainUntil: now + 5000 });
        expect(await s.read(key, now)).toEqual(r);
        expect(await s.read(key, now)).toEqual(r); // reading counts nothing
        expect(await s.read(key, now + 5000)).toBeNull();
      });
    });

    describe("consecutive failures", () => {
      const counter = (threshold: number, overrides: Partial<FailureRule> = {}): FailureRule => ({
        key: `fl_${unique()}`,
        threshold,
        backoffMs: 1000,
        maxBackoffMs: 4000,
        retainMs: 60_000,
        ...overrides,
      });
      const fresh = async (s: Store, now: number, maxAttempts = 100) => {
        const key = `k_${unique()}`;
        const r = record({ maxAttempts, expiresAt: now + 600_000 });
        await s.put(key, r, { now, retainUntil: now + 600_000 });
        return { key, r };
      };

      it("counts wrong codes across records and refuses from the threshold on, with a doubling backoff", async () => {
        const s = await setup();
        const now = Date.now();
        const rule = counter(3);
        const a = await fresh(s, now);
        const b = await fresh(s, now);
        expect(await s.check(a.key, { hashes: ["wrong"], now, failures: [rule] })).toMatchObject({
          status: "invalid",
        });
        expect(await s.check(b.key, { hashes: ["wrong"], now, failures: [rule] })).toMatchObject({
          status: "invalid",
        });
        // The third failure is counted and starts the backoff.
        expect(await s.check(a.key, { hashes: ["wrong"], now, failures: [rule] })).toMatchObject({
          status: "invalid",
        });
        // While refusing, even the right code is refused, and nothing is counted on the record.
        expect(await s.check(b.key, { hashes: [b.r.hash], now: now + 999, failures: [rule] })).toEqual({
          status: "locked",
          retryAfterMs: 1,
        });
        expect(await s.check(a.key, { hashes: ["wrong"], now: now + 1000, failures: [rule] })).toEqual({
          status: "invalid",
          attemptsLeft: 97,
        });
        // The fourth failure doubles the backoff: 2 s from now + 1000.
        expect(await s.check(a.key, { hashes: ["wrong"], now: now + 1500, failures: [rule] })).toEqual({
          status: "locked",
          retryAfterMs: 1500,
        });
        await s.check(a.key, { hashes: ["wrong"], now: now + 3000, failures: [rule] }); // fifth: 4 s
        await s.check(a.key, { hashes: ["wrong"], now: now + 7000, failures: [rule] }); // sixth: capped at 4 s
        expect(await s.check(a.key, { hashes: ["wrong"], now: now + 7000, failures: [rule] })).toEqual({
          status: "locked",
          retryAfterMs: 4000,
        });
        // Records without the rule are not affected.
        expect((await s.check(b.key, { hashes: [b.r.hash], now: now + 7000 })).status).toBe("approved");
      });

      it("two counters refusing at once: the longer wait answers, whichever comes first", async () => {
        const s = await setup();
        const now = Date.now();
        const short = counter(1, { backoffMs: 1000, maxBackoffMs: 1000 });
        const long = counter(1, { backoffMs: 5000, maxBackoffMs: 5000 });
        const a = await fresh(s, now);
        // One wrong code reaches both thresholds: refusing for 1 s and for 5 s.
        expect(await s.check(a.key, { hashes: ["wrong"], now, failures: [short, long] })).toMatchObject({
          status: "invalid",
        });
        for (const failures of [
          [short, long],
          [long, short],
        ])
          expect(await s.check(a.key, { hashes: [a.r.hash], now: now + 100, failures })).toEqual({
            status: "locked",
            retryAfterMs: 4900,
          });
        // Past the short one, the long one alone still refuses.
        expect(
          await s.check(a.key, { hashes: [a.r.hash], now: now + 2000, failures: [short, long] }),
        ).toEqual({
          status: "locked",
          retryAfterMs: 3000,
        });
      });

      it("a right code resets every counter it was given", async () => {
        const s = await setup();
        const now = Date.now();
        const requester = counter(3);
        const phone = counter(5);
        const a = await fresh(s, now);
        await s.check(a.key, { hashes: ["wrong"], now, failures: [requester, phone] });
        await s.check(a.key, { hashes: ["wrong"], now, failures: [requester, phone] });
        expect((await s.check(a.key, { hashes: [a.r.hash], now, failures: [requester, phone] })).status).toBe(
          "approved",
        );
        const b = await fresh(s, now);
        await s.check(b.key, { hashes: ["wrong"], now, failures: [requester, phone] });
        await s.check(b.key, { hashes: ["wrong"], now, failures: [requester, phone] });
        // Two failures since the reset: the threshold of 3 is not reached.
        expect((await s.check(b.key, { hashes: [b.r.hash], now, failures: [requester, phone] })).status).toBe(
          "approved",
        );
      });

      it("counts only wrong codes on live records, and forgets after retainMs", async () => {
        const s = await setup();
        const now = Date.now();
        const rule = counter(2, { retainMs: 5000 });
        const dead = await fresh(s, now, 1);
        await s.check(dead.key, { hashes: ["wrong"], now, failures: [rule] }); // 1: kills the code
        for (let i = 0; i < 3; i++) {
          // not found, expired, exhausted: nothing to guess, nothing counted
          await s.check(`k_${unique()}`, { hashes: ["wrong"], now, failures: [rule] });
          await s.check(dead.key, { hashes: ["wrong"], now, failures: [rule] });
        }
        const expiring = await fresh(s, now);
        await s.check(expiring.key, { hashes: ["wrong"], now: now + 700_000, failures: [rule] });
        const a = await fresh(s, now);
        expect((await s.check(a.key, { hashes: ["wrong"], now: now + 10, failures: [rule] })).status).toBe(
          "invalid",
        );
        expect((await s.check(a.key, { hashes: ["wrong"], now: now + 10, failures: [rule] })).status).toBe(
          "locked",
        );
        const later = await fresh(s, now + 6020);
        // 6 s later: the counter (last failure at +10, retained 5 s, refusing 1 s) is gone.
        expect(
          (await s.check(later.key, { hashes: ["wrong"], now: now + 6020, failures: [rule] })).status,
        ).toBe("invalid");
      });

      it("concurrent wrong guesses never lose a failure", async () => {
        const s = await setup();
        const now = Date.now();
        const guesses = Math.min(40, concurrency);
        const rule = counter(guesses + 1);
        const records = await Promise.all([fresh(s, now, 1000), fresh(s, now, 1000)]);
        const results = await Promise.all(
          Array.from({ length: guesses }, (_, i) =>
            s.check(records[i % 2]!.key, { hashes: ["wrong"], now, failures: [rule] }),
          ),
        );
        expect(results.every((result) => result.status === "invalid")).toBe(true);
        // Exactly `guesses` were counted: one more reaches the threshold, the next is refused.
        expect((await s.check(records[0]!.key, { hashes: ["wrong"], now, failures: [rule] })).status).toBe(
          "invalid",
        );
        expect((await s.check(records[1]!.key, { hashes: ["wrong"], now, failures: [rule] })).status).toBe(
          "locked",
        );
      });
    });

    describe("release", () => {
      it("gives back exactly one counted event per window, at the time it was counted", async () => {
        const s = await setup();
        const narrow = rule(1);
        const wide = rule(3);
        const now = Date.now();
        expect(await s.hit([narrow, wide], now)).toEqual({ ok: true });
        expect((await s.hit([narrow], now + 1)).ok).toBe(false);
        await s.release([narrow, wide], now);
        expect(await s.hit([narrow], now + 2)).toEqual({ ok: true });
        // The wide window holds nothing from `now` any more: three fit again from an empty window.
        for (let i = 0; i < 3; i++) expect(await s.hit([wide], now + 3)).toEqual({ ok: true });
        expect((await s.hit([wide], now + 4)).ok).toBe(false);
      });

      it("removes one event of several at the same instant, and leaves other instants alone", async () => {
        const s = await setup();
        const hit = rule(3);
        const now = Date.now();
        await s.hit([hit], now);
        await s.hit([hit], now);
        await s.hit([hit], now + 5);
        await s.release([hit], now);
        await s.release([hit], now + 1); // nothing was counted at now + 1: no change
        expect(await s.hit([hit], now + 6)).toEqual({ ok: true });
        expect((await s.hit([hit], now + 7)).ok).toBe(false);
      });

      it("gives back what a put counted, and does nothing for windows never counted", async () => {
        const s = await setup();
        const hit = rule(1);
        const never = rule(1);
        const now = Date.now();
        expect((await s.put(`k_${unique()}`, record(), { now, retainUntil: retain(), hits: [hit] })).ok).toBe(
          true,
        );
        await s.release([hit, never], now);
        expect((await s.put(`k_${unique()}`, record(), { now, retainUntil: retain(), hits: [hit] })).ok).toBe(
          true,
        );
        expect((await s.hit([never], now)).ok).toBe(true);
      });

      it(`concurrent releases never give back more than was counted`, async () => {
        const s = await setup();
        const hit = rule(5);
        const now = Date.now();
        for (let i = 0; i < 5; i++) await s.hit([hit], now);
        await Promise.all(Array.from({ length: Math.min(50, concurrency) }, () => s.release([hit], now)));
        const results = await Promise.all(Array.from({ length: 20 }, () => s.hit([hit], now + 1)));
        expect(results.filter((result) => result.ok)).toHaveLength(5);
      });
    });

    describe("through createOtp", () => {
      const engine = async (sender: Sender) => {
        const otp = createOtp({ secret: suiteSecret, store: await setup(), sender });
        return { otp };
      };

      it("a provider's refusal costs the phone nothing: an immediate retry sends, and failures never exhaust the hourly budget", async () => {
        const failing = faultySender("refused");
        const { otp } = await engine(failing);
        const phone = suitePhone();
        for (let i = 0; i < 5; i++)
          await expect(otp.send({ phone })).rejects.toMatchObject({ code: "send_failed" });
        expect(failing.attempts).toHaveLength(5);
        const working = outbox();
        const { otp: healthy } = await engine(working);
        // Three per hour by default: all three still available after five failures.
        await healthy.send({ phone });
        expect(working.lastCode(phone)).toMatch(/^\d{6}$/);
        await expect(healthy.send({ phone })).rejects.toMatchObject({ code: "rate_limited" }); // the cooldown
      });

      it("a timeout (outcome unknown) gives back only the cooldown", async () => {
        const { otp } = await engine(faultySender("timeout"));
        const phone = suitePhone();
        await expect(otp.send({ phone, purpose: "signup" })).rejects.toMatchObject({ code: "send_failed" });
        await expect(otp.send({ phone, purpose: "signup" })).rejects.toMatchObject({ code: "send_failed" });
        await expect(otp.send({ phone, purpose: "signup" })).rejects.toMatchObject({ code: "send_failed" });
        // Three sends counted against 3/hour; the cooldown was given back each time.
        const { otp: healthy } = await engine(outbox());
        await expect(healthy.send({ phone, purpose: "signup" })).rejects.toMatchObject({
          code: "rate_limited",
        });
      });

      it("the fraud guard holds under concurrency: a pumped range gets its tripwire's 10 sends and no more", async () => {
        const sms = outbox();
        const otp = createOtp({
          secret: suiteSecret,
          store: await setup(),
          sender: sms,
          limits: { perIp: [{ limit: 1_000_000, windowSeconds: 600 }] },
        });
        // One random range (+1 415 5XX XX..): every number different, every send from its own IP.
        const range = suitePhone().slice(0, 10);
        const attempts = Math.min(1000, concurrency * 5);
        const results = await Promise.all(
          Array.from({ length: attempts }, (_, i) =>
            otp
              .send({
                phone: `${range}${String(i % 100).padStart(2, "0")}`,
                ip: `198.18.${i >> 8}.${i & 255}`,
              })
              .then(
                () => "sent",
                (error: OtpError) => `${error.code}:${error.reason ?? ""}`,
              ),
          ),
        );
        expect(results.filter((result) => result === "sent")).toHaveLength(10);
        // The rest were refused by the tripwire, or by the range's own velocity limit (20 an hour).
        expect(
          results.every((result) => result === "sent" || /^(blocked:tripwire|rate_limited:)$/.test(result)),
        ).toBe(true);
        expect(sms.messages).toHaveLength(10);
      });

      it("in monitor mode the same pumped range is only reported: every SMS goes out, the would-be refusals are events", async () => {
        const sms = outbox();
        const flagged: string[] = [];
        const otp = createOtp({
          secret: suiteSecret,
          store: await setup(),
          sender: sms,
          limits: { perIp: [{ limit: 1_000_000, windowSeconds: 600 }], perPrefix: false },
          guard: { modes: { tripwire: "monitor" } },
          onEvent: (event) => {
            if (event.type === "blocked" && event.monitor) flagged.push(event.reason);
          },
        });
        const range = suitePhone().slice(0, 10);
        const attempts = Math.min(40, concurrency);
        const results = await Promise.all(
          Array.from({ length: attempts }, (_, i) =>
            otp
              .send({ phone: `${range}${String(i).padStart(2, "0")}`, ip: `198.19.${i >> 8}.${i & 255}` })
              .then(
                () => "sent",
                (error: OtpError) => error.code,
              ),
          ),
        );
        expect(results.every((result) => result === "sent")).toBe(true);
        expect(sms.messages).toHaveLength(attempts);
        expect(flagged.filter((reason) => reason === "tripwire").length).toBeGreaterThanOrEqual(1);
      });

      it("a weighted spend budget lets exactly as many messages through as it holds, under concurrency", async () => {
        const sms = outbox();
        const otp = createOtp({
          secret: suiteSecret,
          store: await setup(),
          sender: sms,
          limits: { perIp: [{ limit: 1_000_000, windowSeconds: 600 }], perPrefix: false },
          guard: { tripwire: false, spend: { perHour: 10, defaultPrice: 3 } },
        });
        const tenant = `spend${unique().replace(/[^\w]/g, "")}`;
        const results = await Promise.all(
          Array.from({ length: Math.min(50, concurrency) }, () =>
            otp.send({ phone: suitePhone(), tenant }).then(
              () => "sent",
              (error: OtpError) => error.code,
            ),
          ),
        );
        expect(results.filter((result) => result === "sent")).toHaveLength(3); // 3 × 3 = 9 of 10
        expect(results.filter((result) => result === "quota_exceeded")).toHaveLength(results.length - 3);
      });

      it("deliver: a repeated idempotency key sends once, concurrent repeats too; a failed delivery frees its key", async () => {
        const sms = outbox();
        const { otp } = await engine(sms);
        const phone = suitePhone();
        const first = await otp.deliver({ phone, code: "482913", idempotencyKey: `k-${unique()}` });
        expect(first.status).toBe("sent");
        const key = `k-${unique()}`;
        const other = suitePhone();
        const results = await Promise.all(
          Array.from({ length: Math.min(20, concurrency) }, () =>
            otp.deliver({ phone: other, code: "771204", idempotencyKey: key, purpose: "signup" }),
          ),
        );
        expect(results.filter((result) => result.status === "sent")).toHaveLength(1);
        expect(results.filter((result) => result.status === "duplicate")).toHaveLength(results.length - 1);
        expect(sms.messages.filter((message) => message.to === other)).toHaveLength(1);

        const retried = suitePhone();
        const retryKey = `k-${unique()}`;
        const { otp: broken } = await engine(faultySender("refused"));
        await expect(
          broken.deliver({ phone: retried, code: "550123", idempotencyKey: retryKey }),
        ).rejects.toMatchObject({ code: "send_failed" });
        const again = await otp.deliver({ phone: retried, code: "550123", idempotencyKey: retryKey });
        expect(again.status).toBe("sent");
        expect(sms.lastCode(retried)).toBe("550123");
      });
    });

    describe(`races at concurrency ${concurrency}`, () => {
      it(`${concurrency} concurrent checks with the right code: exactly one success`, async () => {
        const s = await setup();
        const key = `k_${unique()}`;
        const r = record();
        await s.put(key, r, { now: Date.now(), retainUntil: retain() });
        const results = await Promise.all(
          Array.from({ length: concurrency }, () =>
            s.check(key, { id: r.id, hashes: [r.hash], now: Date.now() }),
          ),
        );
        expect(results.filter((result) => result.status === "approved")).toHaveLength(1);
        expect(results.filter((result) => result.status === "not_found")).toHaveLength(concurrency - 1);
      });

      it("concurrent wrong guesses: every one counted, none lost, the code dead after the limit", async () => {
        const s = await setup();
        const guesses = Math.min(100, concurrency);
        const key = `k_${unique()}`;
        const r = record({ maxAttempts: guesses });
        await s.put(key, r, { now: Date.now(), retainUntil: retain() });
        const results = await Promise.all(
          Array.from({ length: guesses }, () => s.check(key, { hashes: ["wrong"], now: Date.now() })),
        );
        const left = results.flatMap((result) => (result.status === "invalid" ? [result.attemptsLeft] : []));
        // Each increment is seen exactly once: attemptsLeft takes every value from guesses-1 down to 1.
        expect(left.sort((a, b) => a - b)).toEqual(Array.from({ length: guesses - 1 }, (_, i) => i + 1));
        expect(results.filter((result) => result.status === "too_many_attempts")).toHaveLength(1);
        expect(await s.check(key, { hashes: [r.hash], now: Date.now() })).toEqual({
          status: "too_many_attempts",
        });
      });

      it("concurrent wrong guesses against a 3-attempt code: exactly 2 invalid, the rest refused", async () => {
        const s = await setup();
        const key = `k_${unique()}`;
        const r = record({ maxAttempts: 3 });
        await s.put(key, r, { now: Date.now(), retainUntil: retain() });
        const results = await Promise.all(
          Array.from({ length: concurrency }, () => s.check(key, { hashes: ["wrong"], now: Date.now() })),
        );
        expect(results.filter((result) => result.status === "invalid")).toHaveLength(2);
        expect(results.filter((result) => result.status === "too_many_attempts")).toHaveLength(
          concurrency - 2,
        );
      });

      it("concurrent sends to one key never leave two live codes", async () => {
        const s = await setup();
        const key = `k_${unique()}`;
        const records = Array.from({ length: Math.min(50, concurrency) }, () => record());
        await Promise.all(records.map((r) => s.put(key, r, { now: Date.now(), retainUntil: retain() })));
        const results = await Promise.all(
          records.map((r) => s.check(key, { id: r.id, hashes: [r.hash], now: Date.now() })),
        );
        expect(results.filter((result) => result.status === "approved")).toHaveLength(1);
      });

      it("concurrent sends under a 3-per-window rule: exactly 3 accepted", async () => {
        const s = await setup();
        const hit = rule(3);
        const attempts = Math.max(50, Math.min(concurrency, 200));
        const results = await Promise.all(
          Array.from({ length: attempts }, () =>
            s.put(`k_${unique()}`, record(), { now: Date.now(), retainUntil: retain(), hits: [hit] }),
          ),
        );
        expect(results.filter((result) => result.ok)).toHaveLength(3);
      });

      it("overlapping windows under 300 concurrent puts and hits stay exact (all or nothing across keys)", async () => {
        const s = await setup();
        const limit = 7;
        const keys = ["a", "b", "c", "d"].map((name) => `rl_${name}_${unique()}`);
        const subsets = [
          [0, 1],
          [1, 2],
          [2, 3],
          [3, 0],
          [0, 2],
          [1, 3],
          [0, 1, 2, 3],
        ];
        const now = Date.now();
        // Random subsets: refusals happen while other windows of the same operation still have room.
        const operations = Array.from(
          { length: 300 },
          // One random byte per pick; the slight bias of % 7 does not matter for choosing test subsets.
          () => subsets[randomBytes(1)[0]! % subsets.length]!,
        );
        const results = await Promise.all(
          operations.map((subset, i) => {
            const hits: RateHit[] = subset.map((k) => ({ key: keys[k]!, limit, windowMs: 60_000 }));
            return i % 2
              ? s.hit(hits, now)
              : s.put(`k_${unique()}`, record(), { now, retainUntil: now + 60_000, hits });
          }),
        );
        for (const [k, key] of keys.entries()) {
          const accepted = operations.filter((subset, i) => subset.includes(k) && results[i]!.ok).length;
          expect(accepted).toBeLessThanOrEqual(limit);
          // The window holds exactly what was accepted: the rest of the limit is still free.
          let free = 0;
          while ((await s.hit([{ key, limit, windowMs: 60_000 }], now)).ok) free++;
          expect(accepted + free).toBe(limit);
        }
      });

      it(`a limit of 10 lets exactly 10 of ${concurrency} concurrent hits through`, async () => {
        const s = await setup();
        const hit = rule(10);
        const results = await Promise.all(
          Array.from({ length: concurrency }, () => s.hit([hit], Date.now())),
        );
        expect(results.filter((result) => result.ok)).toHaveLength(10);
      });
    });

    if (options.dump) {
      const dump = options.dump;
      describe("at rest", () => {
        storeDumpTest(name, { store: setup, dump });
      });
    }

    if (options.unreachable) {
      const unreachable = options.unreachable;
      const within = options.unreachableWithinMs ?? 3000;
      describe("server unreachable", () => {
        it(`fails closed: every operation is store_unavailable through createOtp within ${within} ms`, async () => {
          const dead = await unreachable();
          const otp = createOtp({ secret: suiteSecret, store: dead, sender: outbox() });
          const phone = suitePhone();
          await expectStoreUnavailable(otp.send({ phone }), within);
          await expectStoreUnavailable(otp.verify({ phone, code: "123456" }), within);
          await expectStoreUnavailable(otp.deliver({ phone, code: "123456", idempotencyKey: "k" }), within);
          await expectStoreUnavailable(otp.limit("subject", [{ limit: 1, windowSeconds: 60 }]), within);
          // Raw operations reject (never resolve to an answer) too.
          const now = Date.now();
          for (const operation of [
            () => dead.put("k", record(), { now, retainUntil: now + 1000 }),
            () => dead.check("k", { hashes: ["h"], now }),
            () => dead.hit([rule(1)], now),
            () => dead.release([rule(1)], now),
            () => dead.read("k", now),
            () => dead.delete("k"),
          ]) {
            const started = performance.now();
            await expect(operation()).rejects.toBeDefined();
            expect(performance.now() - started).toBeLessThan(within);
          }
        });
      });
    }
  });
}

export interface StoreDumpOptions {
  /** The store under test, on the real server. */
  store: () => Store | Promise<Store>;
  /**
   * Everything the server holds for this store after the sends, as text: every key and every value
   * (Redis), every row of every table (SQL). Entries may be in any order.
   */
  dump: () => Promise<string[]>;
}

/**
 * The dump test every persistent store runs: send codes (eight digits, so one cannot turn up inside a
 * 13-digit timestamp by chance) and magic links through `createOtp`, from client IPs, with
 * metadata, count wrong guesses and a delivery, then read back everything the server holds. Every
 * record must be there (its id appears), and none of these may appear in any form: a code, a link
 * token, a phone number (with or without its `+`), a number range (the number minus its last 4
 * digits), a client IP, a metadata value. Registers one test; call it inside a `describe`.
 */
export function storeDumpTest(name: string, options: StoreDumpOptions): void {
  it(`${name}: holds no code, token, number, range, IP or metadata in clear anywhere on the server`, async () => {
    // Numbers whose ranges appear nowhere else in the suite.
    const phones = ["+447400938271", "+33698765412", "+61491570156", "+4915112345678"];
    const ips = ["198.51.100.77", "2001:db8:77:1::5"];
    const note = `dump-metadata-${unique()}`;
    const sender = outbox();
    const otp = createOtp({
      secret: "dump-test-secret-dump-test-secret-dump-test",
      store: await options.store(),
      sender,
      codeLength: 8,
      magicLink: { url: "https://example.test/login?token={token}" },
    });
    const ids: string[] = [];
    for (const [i, phone] of phones.entries()) {
      ids.push((await otp.send({ phone, ip: ips[i % 2]!, tenant: "dump", metadata: { note, order: i } })).id);
    }
    ids.push(
      (await otp.send({ phone: "+447400938272", purpose: "magic_link", tenant: "dump", ip: ips[0]! })).id,
    );
    await otp.verify({ id: ids[1]!, code: "12345678", tenant: "dump", ip: ips[1]! }).catch(() => undefined);
    await otp.verify({ phone: phones[2]!, code: "12345678", tenant: "dump" }).catch(() => undefined);
    await otp.deliver({ phone: "+447400938273", code: "55667788", ip: ips[0]!, idempotencyKey: note });

    const secrets = sender.messages.flatMap((message) => {
      const found = [message.body.match(/\b\d{8}\b/)![0]];
      const token = message.body.match(/token=([^\s]+)/)?.[1];
      if (token) found.push(decodeURIComponent(token), token);
      return found;
    });
    expect(secrets.length).toBeGreaterThanOrEqual(phones.length + 3);
    const numbers = [...phones, "+447400938272", "+447400938273"];
    const personal = [
      ...numbers.flatMap((phone) => [phone, phone.slice(1), phone.slice(0, -4), phone.slice(1, -4)]),
      ...ips,
      "2001:db8:77:1",
      note,
    ];

    const dump = await options.dump();
    expect(dump.length).toBeGreaterThanOrEqual(ids.length);
    const everything = dump.join("\n");
    // The dump does hold the records (their ids are there), just nothing readable about anyone.
    for (const id of ids) expect(everything).toContain(id);
    for (const secretValue of secrets) expect(everything).not.toContain(secretValue);
    for (const value of personal) expect(everything, value).not.toContain(value);
  });
}

/**
 * Expects `promise` to fail with `store_unavailable` within `withinMs` (a store that fails closed,
 * promptly), and returns how long it took.
 */
export async function expectStoreUnavailable(promise: Promise<unknown>, withinMs: number): Promise<number> {
  const started = performance.now();
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  const elapsed = performance.now() - started;
  expect(error).toBeInstanceOf(OtpError);
  expect((error as OtpError).code).toBe("store_unavailable");
  expect(elapsed).toBeLessThan(withinMs);
  return elapsed;
}

export type StoreOperation = "put" | "check" | "hit" | "release" | "read" | "delete";

export interface FaultyStoreOptions {
  /** Which operations fail. Default: all of them. */
  operations?: readonly StoreOperation[];
  /** `"reject"` answers with an error at once; `"hang"` never answers (a stalled server). Default: `"reject"`. */
  fault?: "reject" | "hang";
  /** The store the other operations go to. Default: a fresh `memoryStore()`. */
  base?: Store;
}

/**
 * A store that is down: for "the store is down" tests in adapters (`store_unavailable`, a 503, an
 * `unavailable` HttpsError…). The failing operations reject with a plain Error, as a driver would.
 */
export function faultyStore(options: FaultyStoreOptions = {}): Store & { calls: StoreOperation[] } {
  const base = options.base ?? memoryStore();
  const failing = new Set<StoreOperation>(
    options.operations ?? ["put", "check", "hit", "release", "read", "delete"],
  );
  const calls: StoreOperation[] = [];
  const fault = <T>(operation: StoreOperation, run: () => Promise<T>): Promise<T> => {
    calls.push(operation);
    if (!failing.has(operation)) return run();
    if (options.fault === "hang") return new Promise<T>(() => {});
    return Promise.reject(new Error(`connect ECONNREFUSED 127.0.0.1:1 (faultyStore: ${operation})`));
  };
  return {
    name: "faulty",
    calls,
    put: (key, value, putOptions) => fault("put", () => base.put(key, value, putOptions)),
    check: (key, input) => fault("check", () => base.check(key, input)),
    hit: (hits, now) => fault("hit", () => base.hit(hits, now)),
    release: (hits, at) => fault("release", () => base.release(hits, at)),
    read: (key, now) => fault("read", () => base.read(key, now)),
    delete: (key, id) => fault("delete", () => base.delete(key, id)),
  };
}

/**
 * How a `faultySender` fails, as real providers do:
 * - `refused`: the provider answered with an error (HTTP 500): `send_failed`, certainly not delivered;
 * - `unreachable`: nothing listens (connection refused): `send_failed`, certainly not delivered;
 * - `quota`: HTTP 402: `quota_exceeded`; `rate_limited`: HTTP 429 with `Retry-After: 30`;
 * - `timeout`: no answer in time: `send_failed`, outcome unknown (it may still arrive);
 * - `hang`: never answers until the caller's abort signal fires;
 * - `throws`: a plain `Error` whose message quotes the SMS text, as careless SDKs do (the code
 *   included): for tests that nothing logs it.
 */
export type SenderFault =
  | "refused"
  | "unreachable"
  | "quota"
  | "rate_limited"
  | "timeout"
  | "hang"
  | "throws";

/** A sender that always fails in one way; `attempts` records every message it was given. */
export function faultySender(fault: SenderFault = "refused") {
  const attempts: SmsMessage[] = [];
  return {
    name: `faulty(${fault})`,
    channels: ["sms", "whatsapp"] as const,
    attempts,
    send(message: SmsMessage, options?: SendOptions): Promise<{ id: string }> {
      attempts.push(message);
      switch (fault) {
        case "refused":
          return Promise.reject(
            new OtpError("send_failed", "The provider refused the message (HTTP 500).", {
              notDelivered: true,
            }),
          );
        case "unreachable":
          return Promise.reject(
            new OtpError("send_failed", "The provider could not be reached.", {
              notDelivered: true,
              cause: Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:9"), { code: "ECONNREFUSED" }),
            }),
          );
        case "quota":
          return Promise.reject(
            new OtpError("quota_exceeded", "The provider reports the SMS quota is exhausted.", {
              notDelivered: true,
            }),
          );
        case "rate_limited":
          return Promise.reject(
            new OtpError("rate_limited", "The provider is rate limiting messages.", {
              notDelivered: true,
              retryAfter: 30,
            }),
          );
        case "timeout":
          return Promise.reject(new OtpError("send_failed", "The provider timed out."));
        case "hang":
          return new Promise((_, reject) => {
            options?.signal?.addEventListener(
              "abort",
              () => reject(new OtpError("send_failed", "Aborted.")),
              {
                once: true,
              },
            );
          });
        default:
          return Promise.reject(new Error(`gateway said 500 for message "${message.body}" to ${message.to}`));
      }
    },
  } satisfies Sender & Record<string, unknown>;
}
