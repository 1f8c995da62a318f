/**
 * The store conformance suite. Every store — memory, Redis, PostgreSQL, Firestore — runs exactly
 * these tests, races included. Usage, in a vitest file:
 *
 *   import { storeConformance } from "@otpkit/otp-core/testing";
 *   storeConformance("redis", () => redisStorage({ client, prefix: `test-${run}:` }));
 */
import { afterAll, describe, expect, it } from "vitest";
import { randomToken } from "./code.js";
import { randomBytes } from "./crypto.js";
import { OtpError } from "./errors.js";
import { createOtp } from "./otp.js";
import { outbox } from "./senders.js";
import type { OtpRecord, RateHit, Store } from "./store.js";

export interface ConformanceOptions {
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
  data: JSON.stringify({ phone: "+14155551234" }),
  ...overrides,
});

export function storeConformance(
  name: string,
  factory: () => Store | Promise<Store>,
  options: ConformanceOptions = {},
): void {
  const concurrency = options.concurrency ?? 200;
  const retain = () => Date.now() + 120_000;

  describe(`store conformance: ${name}`, () => {
    let store: Store;
    const setup = async () => {
      store ??= await factory();
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
  });
}

export interface StoreDumpOptions {
  /** The store under test, on the real server. */
  store: () => Store;
  /**
   * Everything the server holds for this store after the sends, as text: every key and every value
   * (Redis), every row of every table (SQL). Entries may be in any order.
   */
  dump: () => Promise<string[]>;
}

/**
 * The dump test every persistent store runs: send codes (eight digits, so one cannot turn up inside a
 * 13-digit timestamp by chance) and magic links through `createOtp`, count a wrong guess, then read
 * back everything the server holds. Every record must be there (its id appears), and no code and no
 * link token may appear, in any form. Registers one test; call it inside a `describe`.
 */
export function storeDumpTest(name: string, options: StoreDumpOptions): void {
  it(`${name}: holds no plaintext code or link token anywhere on the server`, async () => {
    const phones = ["+14155552671", "+14155552672", "+447400123456", "+33612345678"];
    const sender = outbox();
    const otp = createOtp({
      secret: "dump-test-secret-dump-test-secret-dump-test",
      store: options.store(),
      sender,
      codeLength: 8,
      magicLink: { url: "https://example.test/login?token={token}" },
    });
    const ids: string[] = [];
    for (const [i, phone] of phones.entries()) {
      ids.push((await otp.send({ phone, ip: `198.51.100.${i}`, tenant: "dump", metadata: { order: i } })).id);
    }
    ids.push((await otp.send({ phone: "+14155552673", purpose: "magic_link", tenant: "dump" })).id);
    await otp.verify({ phone: phones[1]!, code: "12345678", tenant: "dump" }).catch(() => undefined);

    const secrets = sender.messages.flatMap((message) => {
      const found = [message.body.match(/\b\d{8}\b/)![0]];
      const token = message.body.match(/token=([^\s]+)/)?.[1];
      if (token) found.push(decodeURIComponent(token), token);
      return found;
    });
    expect(secrets.length).toBeGreaterThanOrEqual(phones.length + 2);

    const dump = await options.dump();
    expect(dump.length).toBeGreaterThanOrEqual(ids.length);
    const everything = dump.join("\n");
    // The dump does hold the records (their ids are there), just never a code or a token.
    for (const id of ids) expect(everything).toContain(id);
    for (const secretValue of secrets) expect(everything).not.toContain(secretValue);
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
