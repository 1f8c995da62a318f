import { constantTimeEqual } from "./encoding.js";
import type {
  CheckInput,
  CheckResult,
  FailureRule,
  HitResult,
  OtpRecord,
  PutOptions,
  PutResult,
  RateHit,
  Store,
} from "./store.js";
import { longestWindow, waitFor } from "./windows.js";

export interface MemoryStoreOptions {
  /**
   * Milliseconds between sweeps of records and rate windows that can no longer matter, so a
   * long-running process does not grow without bound. A sweep scans everything once, so it is
   * paced by time rather than by writes. Default: 30000.
   */
  sweepIntervalMs?: number;
}

interface Entry {
  record: OtpRecord;
  retainUntil: number;
}

/** One consecutive-failure counter. */
interface Failures {
  count: number;
  lockedUntil: number;
  expiresAt: number;
}

/**
 * The counter after one more wrong code (the contract's arithmetic; the Redis script and the SQL
 * statement compute the same).
 */
export function failedOnce(rule: FailureRule, previous: Failures | undefined, now: number): Failures {
  const count = (previous && previous.expiresAt > now ? previous.count : 0) + 1;
  const lockedUntil =
    count >= rule.threshold
      ? now + Math.min(rule.maxBackoffMs, rule.backoffMs * 2 ** Math.min(count - rule.threshold, 40))
      : 0;
  return { count, lockedUntil, expiresAt: Math.max(now + rule.retainMs, lockedUntil) };
}

/**
 * One rule's log of event times (epoch ms), oldest first. The events before `head` have left the
 * window: dropping moves `head` instead of removing them from the front of the array, which moves
 * every event left (a country's tripwire log holds every send of its window, and an array that
 * large is never trimmed in place by V8: each send would copy the whole log).
 */
export interface EventLog {
  times: number[];
  /** The index of the oldest event still in the window. */
  head: number;
  windowMs: number;
  /**
   * The sweep slot this log's key is queued in (the memory store's sweep looks at a log only once
   * it may have expired). Default: not queued.
   */
  due?: number;
}

/**
 * Drops the events of `log` at or before `from` (the oldest first), in O(1) amortised: `head`
 * moves past them, and once the dropped events are at least as many as the live ones the live ones
 * are copied to a new array — a copy of n events follows n drops, so no drop pays for more than one
 * copied event, and a log holds at most twice its live events.
 */
export function dropThrough(log: EventLog, from: number): void {
  const times = log.times;
  let head = log.head;
  if (head >= times.length || times[head]! > from) return;
  head++;
  while (head < times.length && times[head]! <= from) head++;
  if (head * 2 >= times.length) {
    log.times = head === times.length ? [] : times.slice(head);
    log.head = 0;
  } else log.head = head;
}

/**
 * The embedded default store: one process, no persistence. Each operation runs to completion
 * without an `await` between its read and its write, so on JavaScript's single thread it is
 * atomic exactly like a Lua script or a single SQL statement.
 */
export function memoryStore(options: MemoryStoreOptions = {}) {
  const records = new Map<string, Entry>();
  const windows = new Map<string, EventLog>();
  const failures = new Map<string, Failures>();
  const sweepIntervalMs = options.sweepIntervalMs ?? 30_000;
  let nextSweep = 0;

  /*
   * The windows' sweep looks only at logs that may have expired, not at every log: each log's key
   * waits in the slot of the time it expires at (its newest event plus its window: `slotMs`-wide
   * slots), and a sweep at `now` looks at the keys of every slot up to `now`'s — deleting a log
   * that has expired, queueing one that has since gained events again at its new expiry. A log
   * whose expiry may have moved earlier (events released, every event dropped) is queued for the
   * next sweep (`soon`). So each sweep deletes exactly the logs a look at every log would
   * (newest event + window ≤ now, or no event at all), at a cost of the logs due instead of all.
   */
  const slotMs = Math.max(sweepIntervalMs, 1000);
  const slots = new Map<number, string[]>();
  /** Keys to look at in the next sweep, whatever its time. */
  let soon: string[] = [];
  /** The slot of the last sweep's `now`: an expiry in it or before goes to `soon`. */
  let swept = Number.NEGATIVE_INFINITY;

  /** Queues `key` (its log `log`) to be looked at once `expiresAt` has passed (NaN: next sweep). */
  const queue = (key: string, log: EventLog, expiresAt: number) => {
    const slot = Math.floor(expiresAt / slotMs);
    if (!(slot > swept)) {
      // Due by the next sweep, or no expiry at all (an empty log): looked at then.
      if (log.due !== undefined && log.due <= swept) return;
      log.due = swept;
      soon.push(key);
      return;
    }
    // Already queued at this slot or an earlier one: that look queues it again if need be.
    if (log.due !== undefined && log.due <= slot) return;
    log.due = slot;
    const keys = slots.get(slot);
    if (keys) keys.push(key);
    else slots.set(slot, [key]);
  };

  /** The time a log expires at: its newest event plus its window (NaN for a log without events). */
  const expiryOf = (log: EventLog): number => {
    const newest = log.times[log.times.length - 1];
    return newest === undefined ? Number.NaN : newest + log.windowMs;
  };

  /** One queued key at a sweep at `now`: a log that has expired goes; a live one waits again. */
  const look = (key: string, now: number, slot: number) => {
    const log = windows.get(key);
    // (Gone, or queued again elsewhere since: that entry stands for it.)
    if (!log || log.due !== slot) return;
    log.due = undefined;
    // (A log whose every event was dropped holds none: `dropThrough` empties it.)
    const newest = log.times[log.times.length - 1];
    if (newest === undefined || newest + log.windowMs <= now) windows.delete(key);
    else queue(key, log, newest + log.windowMs);
  };

  const sweep = (now: number) => {
    for (const [key, entry] of records) if (entry.retainUntil <= now) records.delete(key);
    for (const [key, counter] of failures) if (counter.expiresAt <= now) failures.delete(key);
    const previous = swept;
    const current = Math.floor(now / slotMs);
    // Every expiry at or before `now` lies in a slot up to `current`, or in `soon`.
    swept = Math.max(current, previous);
    const due = soon;
    soon = [];
    for (const key of due) look(key, now, previous);
    for (const [slot, keys] of slots) {
      if (slot > current) continue;
      slots.delete(slot);
      for (const key of keys) look(key, now, slot);
    }
  };

  /** No events: what a window that does not exist yet is judged on. */
  const none: readonly number[] = [];

  /**
   * The number of events of `log` (if any) inside its last `windowMs`, after dropping the older
   * ones. Takes the log itself, not its key: `hitAll` looks each key up once and counts into what
   * it found.
   */
  const liveCount = (key: string, log: EventLog | undefined, windowMs: number, now: number): number => {
    if (!log) return 0;
    dropThrough(log, now - windowMs);
    const live = log.times.length - log.head;
    // Every event dropped: the sweep would now delete the log (see `queue`).
    if (live === 0) queue(key, log, Number.NaN);
    return live;
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
      const events = liveCount(hit.key, log, hit.also ? longestWindow(hit) : hit.windowMs, now);
      // Fewer live events than the limit leaves room whatever the window holds (a new subject's
      // log, a tripwire's uncapped count): no search for the window's first event.
      let wait =
        !hit.also && events + (hit.weight ?? 1) <= hit.limit
          ? -1
          : waitFor(log ? log.times : none, hit, now, hit.weight ?? 1, log ? log.head : 0);
      let refuses = wait >= 0;
      if (hit.ratio && events >= hit.ratio.minEvents) {
        const verified = liveCount(hit.ratio.key, windows.get(hit.ratio.key), hit.windowMs, now);
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
        const created: EventLog = { times, head: 0, windowMs: longest, due: undefined };
        windows.set(hit.key, created);
        queue(hit.key, created, expiryOf(created));
        continue;
      }
      const newest = log.times[log.times.length - 1];
      for (let i = 0; i < weight; i++) log.times.push(now);
      if (longest > log.windowMs) log.windowMs = longest;
      // A clock that went back makes the last event older: the log may expire sooner than it waits.
      if (weight > 0 && !(now >= newest!)) queue(hit.key, log, expiryOf(log));
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
        let released = false;
        for (let left = hit.weight ?? 1; left > 0 && log; left--) {
          const index = log.times.lastIndexOf(at);
          if (index < log.head) break;
          log.times.splice(index, 1);
          released = true;
        }
        // Its newest event may be gone: its expiry may be sooner than where it waits.
        if (released) queue(hit.key, log!, expiryOf(log!));
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
