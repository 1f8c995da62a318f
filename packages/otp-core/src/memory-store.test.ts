import { describe, expect, it } from "vitest";
import { dropThrough, type EventLog, memoryStore } from "./memory-store.js";
import { storeConformance } from "./testing.js";

storeConformance("memory", { create: () => memoryStore() });

describe("memoryStore housekeeping", () => {
  it("sweeps records and windows that can no longer matter", async () => {
    const store = memoryStore({ sweepIntervalMs: 50 });
    const now = Date.now();
    const record = { id: "ver_a", hash: "h", expiresAt: now + 10, attempts: 0, maxAttempts: 3, data: "{}" };
    await store.put("old", record, {
      now,
      retainUntil: now + 20,
      hits: [{ key: "w", limit: 5, windowMs: 20 }],
    });
    await store.put("new", { ...record, id: "ver_b" }, { now: now + 100, retainUntil: now + 10_000 });
    const { records, windows } = store.dump();
    expect(records.map(([key]) => key)).toEqual(["new"]);
    expect(windows).toEqual([]);
  });
});

describe("dropThrough: a log's oldest events leave without moving the rest", () => {
  const logOf = (times: number[]): EventLog => ({ times, head: 0, windowMs: 1000 });
  const live = (log: EventLog) => log.times.slice(log.head);

  it("drops exactly the events at or before the bound, oldest first, duplicates included", () => {
    const log = logOf([1, 2, 2, 3, 5, 8, 13, 21, 34, 55]);
    dropThrough(log, 0);
    expect(live(log)).toEqual([1, 2, 2, 3, 5, 8, 13, 21, 34, 55]);
    dropThrough(log, 2);
    expect(live(log)).toEqual([3, 5, 8, 13, 21, 34, 55]);
    // Fewer dropped than live: only the head moves, the array is the same one.
    const array = log.times;
    expect(log.head).toBe(3);
    dropThrough(log, 4);
    expect(live(log)).toEqual([5, 8, 13, 21, 34, 55]);
    expect(log.times).toBe(array);
    dropThrough(log, 4);
    expect(live(log)).toEqual([5, 8, 13, 21, 34, 55]);
  });

  it("copies the live events to a new array once the dropped ones are as many, and empties a log", () => {
    const log = logOf([1, 2, 3, 4, 5, 6, 7, 8]);
    dropThrough(log, 3);
    expect(log.head).toBe(3);
    dropThrough(log, 4);
    // 4 dropped of 8: compacted, head back at 0.
    expect(log.head).toBe(0);
    expect(log.times).toEqual([5, 6, 7, 8]);
    dropThrough(log, 100);
    expect(log).toMatchObject({ times: [], head: 0 });
    dropThrough(log, 200);
    expect(log).toMatchObject({ times: [], head: 0 });
  });

  it("keeps a long log at most twice its live events while sends come and go (steady state)", () => {
    const log = logOf([]);
    let largest = 0;
    for (let now = 0; now < 50_000; now++) {
      log.times.push(now);
      dropThrough(log, now - 1000);
      largest = Math.max(largest, log.times.length);
      expect(log.times.length - log.head).toBe(Math.min(now + 1, 1000));
    }
    expect(largest).toBeLessThanOrEqual(2 * 1000);
    expect(live(log)[0]).toBe(50_000 - 1000);
  });

  it("a store whose logs compacted judges and releases exactly as before", async () => {
    const store = memoryStore();
    const hit = { key: "t:w:one", limit: 3, windowMs: 1000 };
    for (let now = 0; now < 10_000; now += 400) {
      const result = await store.hit([hit], now);
      // Events at 400-ms steps: at most 3 in any 1000 ms; the 4th waits for the oldest to leave.
      expect(result.ok).toBe(true);
    }
    const now = 10_000;
    // Live at 10000 (window 1000): 9200, 9600; one more fits, the next waits until 9200 leaves.
    expect(await store.hit([hit], now)).toEqual({ ok: true });
    expect(await store.hit([hit], now)).toEqual({ ok: false, key: "t:w:one", retryAfterMs: 200 });
    // Releasing the newest event makes room again, and never touches a dropped one.
    await store.release([hit], now);
    expect(await store.hit([hit], now)).toEqual({ ok: true });
    await store.release([{ ...hit, weight: 50 }], 400);
    expect(store.dump().windows).toEqual([["t:w:one", [9200, 9600, 10_000]]]);
  });
});
