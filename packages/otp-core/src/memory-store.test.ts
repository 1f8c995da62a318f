import { describe, expect, it } from "vitest";
import { memoryStore } from "./memory-store.js";
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
