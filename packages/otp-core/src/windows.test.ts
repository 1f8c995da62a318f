import { describe, expect, it } from "vitest";
import { createOtp, outbox } from "./index.js";
import { rulesHits } from "./keys.js";
import { memoryStore } from "./memory-store.js";
import type { RateHit, Store } from "./store.js";
import { longestWindow, waitFor, windowRules } from "./windows.js";

const secret = "windows-test-secret-windows-test-secret!!";

describe("shared logs", () => {
  const hourAndDay = [
    { limit: 3, windowSeconds: 3600 },
    { limit: 10, windowSeconds: 86_400 },
  ];

  it("one hit per subject on a store with sharedLogs, one per rule otherwise", () => {
    const [shared, ...none] = rulesHits("t", "phone", hourAndDay, "d", true);
    expect(none).toEqual([]);
    expect(shared).toEqual({
      key: "t:rl:phone:3600+86400:d",
      limit: 3,
      windowMs: 3_600_000,
      also: [{ limit: 10, windowMs: 86_400_000 }],
    });
    expect(rulesHits("t", "phone", hourAndDay, "d", false).map((hit) => hit.key)).toEqual([
      "t:rl:phone:3600:d",
      "t:rl:phone:86400:d",
    ]);
    // A single rule keeps its own key either way.
    expect(rulesHits("t", "ip", [{ limit: 10, windowSeconds: 600 }], "i", true)).toEqual([
      { key: "t:rl:ip:600:i", limit: 10, windowMs: 600_000 },
    ]);
  });

  it("waitFor judges every rule on the newest events inside its window", () => {
    const hit: RateHit = { key: "k", limit: 2, windowMs: 10, also: [{ limit: 3, windowMs: 100 }] };
    expect(windowRules(hit)).toHaveLength(2);
    expect(longestWindow(hit)).toBe(100);
    expect(waitFor([], hit, 1000)).toBe(-1);
    expect(waitFor([995, 996], hit, 1000)).toBe(5); // short rule full until 995 leaves
    expect(waitFor([950, 960, 999], hit, 1000)).toBe(50); // long rule full until 950 leaves
    expect(waitFor([950, 999], hit, 1000)).toBe(-1);
    // Weight 3: the short rule waits a whole window (3 > its limit of 2), the long one until 999
    // leaves (99 ms): the longer wait is the answer.
    expect(waitFor([999], { ...hit, weight: 3 }, 1000)).toBe(99);
  });

  it("through createOtp, a store without sharedLogs gets a hit per rule and the same verdicts", async () => {
    const seen: string[][] = [];
    for (const sharedLogs of [true, false]) {
      const inner = memoryStore();
      const store: Store = {
        ...inner,
        sharedLogs,
        put: (key, record, options) => {
          seen.push((options.hits ?? []).map((hit) => hit.key.split(":").slice(2, 4).join(":")));
          return inner.put(key, record, options);
        },
      };
      const otp = createOtp({
        secret,
        store,
        sender: outbox(),
        limits: { resendCooldownSeconds: 0 },
        guard: { tripwire: false },
      });
      for (let i = 0; i < 3; i++) await otp.send({ phone: "+14155552671", ip: "203.0.113.7" });
      await expect(otp.send({ phone: "+14155552671", ip: "203.0.113.7" })).rejects.toMatchObject({
        code: "rate_limited",
        retryAfter: 3600,
      });
    }
    expect(seen[0]).toContain("phone:3600+86400");
    expect(seen[0]).not.toContain("phone:3600");
    expect(seen[4]).toEqual(
      expect.arrayContaining(["phone:3600", "phone:86400", "ceiling:3600", "ceiling:86400"]),
    );
  });
});
