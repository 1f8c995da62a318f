/**
 * The memory store's sweep looks only at the rate logs that may have expired (each waits in the
 * slot of its expiry) instead of at every log. It must delete exactly what the sweep before it
 * deleted, when it deleted it, and change no verdict: this file keeps the store as it was before
 * (verbatim but for its name) and runs both over the same deterministic sequences of hits (shared
 * logs, weights, ratios), releases, puts (each may sweep), clock steps (backwards too) and sweep
 * intervals, comparing every answer and the whole dump after every operation.
 */

import { describe, expect, it } from "vitest";
import { constantTimeEqual } from "./encoding.js";
import { dropThrough, type EventLog, failedOnce, memoryStore } from "./memory-store.js";
import type {
  CheckInput,
  CheckResult,
  HitResult,
  OtpRecord,
  PutOptions,
  PutResult,
  RateHit,
  Store,
} from "./store.js";
import { longestWindow, waitFor } from "./windows.js";

interface Entry {
  record: OtpRecord;
  retainUntil: number;
}

interface Failures {
  count: number;
  lockedUntil: number;
  expiresAt: number;
}

// ——— memoryStore before the sweep's expiry slots, verbatim ———

function legacyMemoryStore(options: { sweepIntervalMs?: number } = {}) {
  const records = new Map<string, Entry>();
  const windows = new Map<string, EventLog>();
  const failures = new Map<string, Failures>();
  const sweepIntervalMs = options.sweepIntervalMs ?? 30_000;
  let nextSweep = 0;

  const sweep = (now: number) => {
    for (const [key, entry] of records) if (entry.retainUntil <= now) records.delete(key);
    for (const [key, counter] of failures) if (counter.expiresAt <= now) failures.delete(key);
    for (const [key, log] of windows) {
      // (A log whose every event was dropped holds none: `dropThrough` empties it.)
      const newest = log.times[log.times.length - 1];
      if (newest === undefined || newest + log.windowMs <= now) windows.delete(key);
    }
  };

  /** No events: what a window that does not exist yet is judged on. */
  const none: readonly number[] = [];

  /**
   * The number of events of `log` (if any) inside its last `windowMs`, after dropping the older
   * ones. Takes the log itself, not its key: `hitAll` looks each key up once and counts into what
   * it found.
   */
  const liveCount = (log: EventLog | undefined, windowMs: number, now: number): number => {
    if (!log) return 0;
    dropThrough(log, now - windowMs);
    return log.times.length - log.head;
  };

  /**
   * The windows `hitAll` found for its hits, by position (`undefined`: none yet), reused across
   * calls: one Map lookup per hit instead of one to judge and one to count, and no array per call.
   * Safe to share: `hitAll` runs to completion without yielding, and clears what it set before returning (no window
   * stays reachable from here for the sweep to miss).
   */
  const found: Array<EventLog | undefined> = [];

  /** All-or-nothing: the rule refusing for longest wins, and nothing is counted. */
  const hitAll = (hits: readonly RateHit[], now: number): HitResult => {
    // The refusal so far, as two plain variables: no closure or object per call on the hot path.
    let refusedKey: string | undefined;
    let refusedMs = 0;
    const count = hits.length;
    for (let index = 0; index < count; index++) {
      const hit = hits[index]!;
      const log = windows.get(hit.key);
      found[index] = log;
      const events = liveCount(log, hit.also ? longestWindow(hit) : hit.windowMs, now);
      // Fewer live events than the limit leaves room whatever the window holds (a new subject's
      // log, a tripwire's uncapped count): no search for the window's first event.
      let wait =
        !hit.also && events + (hit.weight ?? 1) <= hit.limit
          ? -1
          : waitFor(log ? log.times : none, hit, now, hit.weight ?? 1, log ? log.head : 0);
      let refuses = wait >= 0;
      if (hit.ratio && events >= hit.ratio.minEvents) {
        const verified = liveCount(windows.get(hit.ratio.key), hit.windowMs, now);
        if (verified < hit.ratio.minRatio * events) {
          // `events` ≥ minEvents ≥ 1: the log exists and holds its oldest live event at `head`.
          const ratioWait = log!.times[log!.head]! + hit.windowMs - now;
          if (!refuses || ratioWait > wait) wait = ratioWait;
          refuses = true;
        }
      }
      if (refuses && (refusedKey === undefined || wait > refusedMs)) {
        refusedKey = hit.key;
        refusedMs = wait;
      }
    }
    if (refusedKey !== undefined) {
      found.fill(undefined, 0, count);
      return { ok: false, key: refusedKey, retryAfterMs: refusedMs };
    }
    for (let index = 0; index < count; index++) {
      const hit = hits[index]!;
      const weight = hit.weight ?? 1;
      const longest = hit.also ? longestWindow(hit) : hit.windowMs;
      // Looked up again only when an earlier hit of this call created it (the same key twice).
      const log = found[index] ?? windows.get(hit.key);
      found[index] = undefined;
      if (!log) {
        const times: number[] = weight === 1 ? [now] : [];
        if (weight !== 1) for (let i = 0; i < weight; i++) times.push(now);
        windows.set(hit.key, { times, head: 0, windowMs: longest });
        continue;
      }
      for (let i = 0; i < weight; i++) log.times.push(now);
      if (longest > log.windowMs) log.windowMs = longest;
    }
    return { ok: true };
  };

  const current = (key: string, now: number): Entry | undefined => {
    const entry = records.get(key);
    if (entry && entry.retainUntil <= now) {
      records.delete(key);
      return undefined;
    }
    return entry;
  };

  return {
    name: "memory",
    local: true,
    sharedLogs: true,
    checkHits: true,

    async put(
      key: string,
      record: OtpRecord,
      { now, retainUntil, hits, ifId, carry }: PutOptions,
    ): Promise<PutResult> {
      const previous = current(key, now);
      if (ifId !== undefined && previous?.record.id !== ifId)
        return { ok: true, previous: previous?.record ?? null };
      if (hits?.length) {
        const result = hitAll(hits, now);
        if (!result.ok) return result;
      }
      const written = { ...record };
      const old = previous?.record;
      if (carry && old && now < old.expiresAt && old.attempts < old.maxAttempts) {
        written.attempts = old.attempts;
        written.expiresAt = Math.min(written.expiresAt, old.expiresAt);
      }
      records.set(key, { record: written, retainUntil });
      if (now >= nextSweep) {
        nextSweep = now + sweepIntervalMs;
        sweep(now);
      }
      // The replaced record left the map just above: nobody else holds it, so no defensive copy.
      return { ok: true, previous: previous ? previous.record : null };
    },

    async check(key: string, { id, hashes, now, failures: rules, hits }: CheckInput): Promise<CheckResult> {
      // The requester's budget is judged before anything else and counted whatever follows (a
      // locked or wrong check spends it too): that is what stops guessing across many codes.
      if (hits?.length) {
        const counted = hitAll(hits, now);
        if (!counted.ok) return { status: "limited", key: counted.key, retryAfterMs: counted.retryAfterMs };
      }
      if (rules?.length) {
        let retryAfterMs = 0;
        for (const rule of rules) {
          const counter = failures.get(rule.key);
          if (counter && counter.expiresAt > now && counter.lockedUntil > now)
            retryAfterMs = Math.max(retryAfterMs, counter.lockedUntil - now);
        }
        if (retryAfterMs > 0) return { status: "locked", retryAfterMs };
      }
      const entry = current(key, now);
      if (!entry || (id !== undefined && entry.record.id !== id)) return { status: "not_found" };
      const record = entry.record;
      if (now >= record.expiresAt) return { status: "expired" };
      if (record.attempts >= record.maxAttempts) return { status: "too_many_attempts" };
      let match = false;
      for (const hash of hashes) {
        // Non-short-circuit on purpose: every candidate is compared, matched or not.
        const codeMatches = constantTimeEqual(hash, record.hash);
        const linkMatches = record.linkHash !== undefined && constantTimeEqual(hash, record.linkHash);
        match = codeMatches || linkMatches || match;
      }
      if (match) {
        records.delete(key);
        if (rules) for (const rule of rules) failures.delete(rule.key);
        // Deleted just above, so no one else holds it: no defensive copy needed.
        return { status: "approved", record };
      }
      if (rules)
        for (const rule of rules) failures.set(rule.key, failedOnce(rule, failures.get(rule.key), now));
      record.attempts++;
      const attemptsLeft = record.maxAttempts - record.attempts;
      return attemptsLeft > 0 ? { status: "invalid", attemptsLeft } : { status: "too_many_attempts" };
    },

    async hit(hits: readonly RateHit[], now: number): Promise<HitResult> {
      return hitAll(hits, now);
    },

    async read(key: string, now: number): Promise<OtpRecord | null> {
      const entry = current(key, now);
      return entry ? { ...entry.record } : null;
    },

    async release(hits: readonly RateHit[], at: number): Promise<void> {
      for (const hit of hits) {
        const log = windows.get(hit.key);
        // The newest matching events: the ones this operation counted, or indistinguishable from
        // them (never one already dropped, before `head`). Near the end: no long move.
        for (let left = hit.weight ?? 1; left > 0 && log; left--) {
          const index = log.times.lastIndexOf(at);
          if (index < log.head) break;
          log.times.splice(index, 1);
        }
      }
    },

    async delete(key: string, id?: string): Promise<boolean> {
      const entry = records.get(key);
      if (!entry || (id !== undefined && entry.record.id !== id)) return false;
      return records.delete(key);
    },

    /** Test helper: every record and window currently held, for inspection. */
    dump(): {
      records: Array<[string, OtpRecord]>;
      windows: Array<[string, number[]]>;
      failures: Array<[string, Failures]>;
    } {
      return {
        records: [...records].map(([key, entry]) => [key, { ...entry.record }]),
        windows: [...windows].map(([key, log]) => [key, log.times.slice(log.head)]),
        failures: [...failures].map(([key, counter]) => [key, { ...counter }]),
      };
    },
  } satisfies Store & Record<string, unknown>;
}

// ——— the comparison ———

/** A small deterministic generator (mulberry32). */
function generator(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  return {
    next,
    below: (n: number) => Math.floor(next() * n),
    pick: <T>(items: readonly T[]) => items[Math.floor(next() * items.length)]!,
  };
}

const keys = ["t:rl:a:1", "t:rl:b:2", "t:rl:c:3", "t:rl:d:4", "t:rl:e:5", "u:rl:f:6"];
const windowsMs = [500, 1000, 2500, 30_000, 65_000];

function randomHit(random: ReturnType<typeof generator>): RateHit {
  const hit: RateHit = {
    key: random.pick(keys),
    limit: 1 + random.below(6),
    windowMs: random.pick(windowsMs),
  };
  if (random.next() < 0.2) hit.also = [{ limit: 2 + random.below(8), windowMs: random.pick(windowsMs) }];
  if (random.next() < 0.2) hit.weight = random.below(3);
  if (random.next() < 0.15) {
    hit.limit = 1e9;
    hit.ratio = { key: random.pick(keys), minEvents: 1 + random.below(4), minRatio: 0.5 };
  }
  return hit;
}

function run(seed: number, sweepIntervalMs: number | undefined, steps: number) {
  const random = generator(seed);
  const options = sweepIntervalMs === undefined ? {} : { sweepIntervalMs };
  const current = memoryStore(options);
  const legacy = legacyMemoryStore(options);
  let now = 1_000_000;
  const counted: Array<{ hits: RateHit[]; at: number }> = [];
  const record: OtpRecord = { id: "ver_x", hash: "h", expiresAt: 0, attempts: 0, maxAttempts: 3, data: "{}" };
  return async () => {
    for (let step = 0; step < steps; step++) {
      const roll = random.next();
      if (roll < 0.05) now -= random.below(2000);
      else now += random.pick([0, 1, 10, 100, 400, 1000, 5000, 31_000, 70_000]);
      const hits = Array.from({ length: 1 + random.below(3) }, () => randomHit(random));
      const kind = random.next();
      let answers: [unknown, unknown];
      if (kind < 0.45) {
        answers = [await current.hit(hits, now), await legacy.hit(hits, now)];
        if ((answers[0] as HitResult).ok) counted.push({ hits, at: now });
      } else if (kind < 0.6 && counted.length) {
        const { hits: given, at } = random.pick(counted);
        const back = given.map((hit) =>
          random.next() < 0.3 ? { ...hit, weight: 1 + random.below(3) } : hit,
        );
        answers = [await current.release(back, at), await legacy.release(back, at)];
      } else {
        const key = random.pick(["r1", "r2", "r3"]);
        const put = { ...record, expiresAt: now + 5000 };
        const retainUntil = now + random.pick([10, 1000, 60_000]);
        const withHits = random.next() < 0.7;
        const putOptions = withHits ? { now, retainUntil, hits } : { now, retainUntil };
        answers = [await current.put(key, put, putOptions), await legacy.put(key, put, putOptions)];
        if (withHits && (answers[0] as PutResult).ok) counted.push({ hits, at: now });
      }
      expect(answers[0], `step ${step}`).toEqual(answers[1]);
      expect(current.dump(), `step ${step}`).toEqual(legacy.dump());
    }
  };
}

describe("memoryStore's sweep by expiry slots: what the sweep of every log did", () => {
  for (const [seed, interval] of [
    [1, undefined],
    [2, 50],
    [3, 0],
    [4, 1000],
    [5, 2500],
    [6, 30_000],
    [7, 400],
    [8, 5000],
  ] as const)
    it(
      `seed ${seed}, sweep interval ${interval ?? "default"}: same answers and dumps`,
      run(seed, interval, 3000),
    );
});
