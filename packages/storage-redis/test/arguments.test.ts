import type { RateHit, WindowRule } from "@otpkit/otp-core/store";
import { afterAll, describe, expect, it } from "vitest";
import { redisStore } from "../src/index.js";
import { dropKeys, ioredisClient, runPrefix } from "./helpers.js";

/**
 * The store makes a shared log's arguments once per `also` list and reuses them: a list reused
 * with other numbers (the hit's own limit, or a rule edited in place) must be judged by its
 * numbers of the moment, never by the ones first seen.
 */
describe("a shared log's arguments follow the rules of each call", () => {
  const client = ioredisClient();
  const prefix = runPrefix("arguments");
  const store = redisStore({ client, prefix });
  afterAll(async () => {
    await dropKeys(client, prefix);
    client.disconnect();
  });

  const counted = async (hit: RateHit, times: number, now: number) => {
    let allowed = 0;
    for (let i = 0; i < times; i++) if ((await store.hit([hit], now + i)).ok) allowed++;
    return allowed;
  };

  it("reads the hit's own limit and the list's rules anew on every call", async () => {
    const now = Date.now();
    const rules: WindowRule[] = [{ limit: 5, windowMs: 3_600_000 }];
    const also = Object.freeze(rules);
    // First seen with a limit of 1 in the minute.
    expect(await counted({ key: "t:rl:phone:60+3600:a", limit: 1, windowMs: 60_000, also }, 3, now)).toBe(1);
    // The same list under a hit of limit 4: four get through, the hour's 5 not reached.
    expect(await counted({ key: "t:rl:phone:60+3600:b", limit: 4, windowMs: 60_000, also }, 6, now)).toBe(4);
    // The list's rule edited in place to 2 in the hour: it now refuses the third.
    rules[0]!.limit = 2;
    expect(await counted({ key: "t:rl:phone:60+3600:c", limit: 4, windowMs: 60_000, also }, 6, now)).toBe(2);
    // And its window edited (the hit unchanged): 2 in 1 ms refuses nothing, the minute's 4 does.
    rules[0]!.windowMs = 1;
    expect(await counted({ key: "t:rl:phone:60+1:d", limit: 4, windowMs: 60_000, also }, 6, now)).toBe(4);
  });
});
