/**
 * The tripwire's country hits are made once per tenant and country and shared by every send and
 * verification (read only): the same keys and rules as a fresh one, rebuilt when a bound changes.
 */
import { describe, expect, it } from "vitest";
import { createEngine } from "./engine.js";
import type { TripwireBound } from "./guard.js";
import { sendBudget, tallyOf } from "./limits.js";
import { memoryStore } from "./memory-store.js";
import type { RateHit } from "./store.js";

const secret = "limits-test-secret-limits-test-secret-limits";

const budgetInput = (tenant: string, phone: string, country: string) => ({
  tenant,
  purpose: "login" as const,
  phone,
  country,
  phoneDigest: "p".repeat(16),
  requester: "-",
  ipDigest: undefined,
  safe: false,
  delivering: false,
  challengeRisk: false,
});

const countryHit = (hits: readonly RateHit[], rule: string) =>
  hits.find((hit) => hit.key.includes(`:${rule}:`));

describe("the tripwire's country hits", () => {
  it("are the same object per tenant and country, with the keys and rules a fresh hit has", async () => {
    const engine = createEngine({ secret, store: memoryStore() });
    const budget = (tenant: string, phone: string, country: string) =>
      sendBudget(engine, engine.config.limits, budgetInput(tenant, phone, country));
    const first = countryHit((await budget("", "+14155550100", "US")).hits, "sent_country")!;
    expect(first).toEqual({
      key: ":rl:sent_country:3600:US",
      limit: 1e9,
      windowMs: 3_600_000,
      ratio: { key: ":rl:verified_country:3600:US", minEvents: 50, minRatio: 0.1 },
    });
    expect(countryHit((await budget("", "+14155550199", "US")).hits, "sent_country")).toBe(first);
    const other = countryHit((await budget("acme", "+14155550100", "US")).hits, "sent_country")!;
    expect(other.key).toBe("acme:rl:sent_country:3600:US");
    expect(other.ratio!.key).toBe("acme:rl:verified_country:3600:US");
    expect(countryHit((await budget("", "+447700900123", "GB")).hits, "sent_country")!.key).toBe(
      ":rl:sent_country:3600:GB",
    );

    const tally = (tenant: string, country: string | undefined) =>
      tallyOf(engine, tenant, "+14155550100", country);
    const verified = (await tally("", "US"))[1]!;
    expect(verified).toEqual({ key: ":rl:verified_country:3600:US", limit: 1e9, windowMs: 3_600_000 });
    expect((await tally("", "US"))[1]).toBe(verified);
    expect((await tally("acme", "US"))[1]!.key).toBe("acme:rl:verified_country:3600:US");
    expect((await tally("", undefined))[1]!.key).toBe(":rl:verified_country:3600:??");
  });

  it("follow a bound changed after createOtp, as a hit made per send does", async () => {
    const bound: TripwireBound = { minSends: 20, minVerifiedRatio: 0.2 };
    const engine = createEngine({ secret, store: memoryStore(), guard: { tripwire: { country: bound } } });
    const sent = async () =>
      countryHit(
        (await sendBudget(engine, engine.config.limits, budgetInput("", "+14155550100", "US"))).hits,
        "sent_country",
      )!;
    expect((await sent()).ratio).toEqual({
      key: ":rl:verified_country:3600:US",
      minEvents: 20,
      minRatio: 0.2,
    });
    bound.minSends = 30;
    expect((await sent()).ratio!.minEvents).toBe(30);
    bound.minVerifiedRatio = 0.5;
    expect((await sent()).ratio!.minRatio).toBe(0.5);
  });
});
