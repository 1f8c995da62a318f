/**
 * The fraud guard: SMS pumping (bots requesting codes to premium or pumped number ranges) costs
 * money before anyone notices, so every send and every delivery passes one screen before an SMS is
 * paid for — lists, number types, countries (policy.ts), velocity per country and range, a
 * conversion tripwire, a spend budget and an optional bot challenge (counted in the same atomic
 * store step as the other budgets, limits.ts). Each rule can run in `monitor` mode: decide, emit
 * the event, send anyway — to roll out safely.
 */

import type { ChallengeVerifier } from "./challenge.js";
import { configError } from "./errors.js";
import type { CountryCode } from "./phone.js";
import { checkRules, isWholeIn, type RateRule } from "./validate.js";

/** The guard's rules, as modes, events and errors name them. */
export type GuardRule = "block_list" | "number_type" | "country" | "velocity" | "tripwire" | "spend";

export type GuardMode = "enforce" | "monitor";

export interface TripwireBound {
  /** Sends in the window before the ratio is judged. */
  minSends: number;
  /** Verified ÷ sent below this refuses further sends until unverified ones age out of the window. */
  minVerifiedRatio: number;
}

export interface GuardOptions {
  /**
   * E.164 numbers that skip the guard (lists, types, countries, velocity, tripwire, spend, challenge),
   * as Twilio's Safe List does: an app reviewer's, a VIP's. Their per-phone limits still apply.
   * Default: none.
   */
  safeList?: readonly string[];
  /** E.164 numbers that never receive a code (`blocked`, reason `block_list`). Default: none. */
  blockList?: readonly string[];
  /** `enforce` refuses; `monitor` emits the `blocked` event (with `monitor: true`) and sends anyway. Default: `enforce` for every rule. */
  modes?: Partial<Record<GuardRule, GuardMode>>;
  /** Sends per destination country (velocity; a refusal is `rate_limited`). Default: none. */
  perCountry?: readonly RateRule[];
  /**
   * The conversion tripwire: per number range (the E.164 number minus `limits.perPrefix`'s hidden
   * digits) and per country, verified ÷ sent over `windowSeconds`. A range or country that sends
   * many codes nobody verifies — pumping's signature — is refused (`blocked`, reason `tripwire`)
   * until its unverified sends age out. On `deliver` the platform checks the codes, so otpkit sees
   * no verification unless the adapter reports it (`otp.reportVerified`): there the tripwire runs
   * as `onDeliver` says. `false` turns it off. Default: window 1 hour, range 10 sends below 10%,
   * country 50 sends below 10%, `onDeliver: "monitor"`.
   */
  tripwire?:
    | false
    | {
        windowSeconds?: number;
        range?: TripwireBound | false;
        country?: TripwireBound | false;
        onDeliver?: GuardMode | "off";
      };
  /**
   * A budget of messages per hour and per day, each weighted by its destination's price (your
   * own units, e.g. tenths of a cent; whole numbers), refused as `quota_exceeded`. `scope`:
   * per `tenant` (counted atomically with the send) or `all` tenants together (counted in a second
   * step). Default: none.
   */
  spend?: {
    perHour?: number;
    perDay?: number;
    prices?: Partial<Record<CountryCode, number>>;
    /** The price of a country not in `prices`. Default: 1. */
    defaultPrice?: number;
    scope?: "tenant" | "all";
  };
  /**
   * A bot check on send (Turnstile, hCaptcha, reCAPTCHA: see `challenge.ts`). `when: "always"`
   * asks every send for a token; `"risk"` only once a requester passes `riskAfter` sends per IP
   * (or has no IP). A send without a valid token is refused with `challenge_required` (428).
   * Default: none.
   */
  challenge?: {
    verifier: ChallengeVerifier;
    when?: "always" | "risk";
    /** Sends per IP before a token is required (`when: "risk"`). Default: 3 per 10 minutes. */
    riskAfter?: RateRule;
  };
}

/** The guard as the stages use it: every default filled in. */
export interface ResolvedGuard {
  safeList: ReadonlySet<string>;
  blockList: ReadonlySet<string>;
  mode(rule: GuardRule): GuardMode;
  perCountry: readonly RateRule[];
  tripwire:
    | {
        windowMs: number;
        range: TripwireBound | false;
        country: TripwireBound | false;
        onDeliver: GuardMode | "off";
      }
    | false;
  spend:
    | {
        rules: readonly RateRule[];
        prices: Partial<Record<string, number>>;
        defaultPrice: number;
        scope: "tenant" | "all";
      }
    | false;
  challenge: { verifier: ChallengeVerifier; when: "always" | "risk"; riskAfter: RateRule } | false;
}

const e164 = /^\+[1-9]\d{6,14}$/;

function checkBound(bound: TripwireBound | false | undefined, fallback: TripwireBound, option: string) {
  if (bound === false) return false;
  const value = bound ?? fallback;
  if (!isWholeIn(value.minSends, 1, 1e6) || !(value.minVerifiedRatio >= 0 && value.minVerifiedRatio <= 1))
    throw configError(`${option}: minSends is a whole number ≥ 1, minVerifiedRatio between 0 and 1.`);
  return value;
}

export function resolveGuard(options: GuardOptions = {}): ResolvedGuard {
  const list = (numbers: readonly string[] | undefined, option: string) => {
    for (const number of numbers ?? [])
      if (!e164.test(number)) throw configError(`guard.${option}: "${number}" is not an E.164 number.`);
    return new Set(numbers ?? []);
  };
  const modes = options.modes ?? {};
  for (const [rule, mode] of Object.entries(modes))
    if (mode !== "enforce" && mode !== "monitor")
      throw configError(`guard.modes.${rule} is "enforce" or "monitor".`);
  const tripwire = options.tripwire;
  const windowSeconds = (tripwire || undefined)?.windowSeconds ?? 3600;
  if (tripwire !== false && !isWholeIn(windowSeconds, 60, 7 * 86_400))
    throw configError("guard.tripwire.windowSeconds is 60 s to 7 days.");
  const onDeliver = (tripwire || undefined)?.onDeliver ?? "monitor";
  if (!["monitor", "enforce", "off"].includes(onDeliver))
    throw configError('guard.tripwire.onDeliver is "monitor", "enforce" or "off".');
  const spend = options.spend;
  if (spend) {
    for (const [name, value] of Object.entries({ perHour: spend.perHour, perDay: spend.perDay }))
      if (value !== undefined && !isWholeIn(value, 1, 1e12))
        throw configError(`guard.spend.${name} is a whole number ≥ 1.`);
    for (const [country, price] of Object.entries({ ...spend.prices, default: spend.defaultPrice ?? 1 }))
      if (!isWholeIn(price, 1, 1e6))
        throw configError(`guard.spend price for ${country} is a whole number from 1 to 1000000.`);
  }
  const spendRules: RateRule[] = [];
  if (spend?.perHour) spendRules.push({ limit: spend.perHour, windowSeconds: 3600 });
  if (spend?.perDay) spendRules.push({ limit: spend.perDay, windowSeconds: 86_400 });
  const challenge = options.challenge;
  if (challenge && typeof challenge.verifier !== "function")
    throw configError("guard.challenge.verifier is a function (e.g. turnstile({ secret })).");
  return {
    safeList: list(options.safeList, "safeList"),
    blockList: list(options.blockList, "blockList"),
    mode: (rule) => modes[rule] ?? "enforce",
    perCountry: checkRules(options.perCountry ?? [], "guard.perCountry"),
    tripwire:
      tripwire === false
        ? false
        : {
            windowMs: windowSeconds * 1000,
            range: checkBound(
              tripwire?.range,
              { minSends: 10, minVerifiedRatio: 0.1 },
              "guard.tripwire.range",
            ),
            country: checkBound(
              tripwire?.country,
              { minSends: 50, minVerifiedRatio: 0.1 },
              "guard.tripwire.country",
            ),
            onDeliver,
          },
    spend: spendRules.length
      ? {
          rules: spendRules,
          prices: spend?.prices ?? {},
          defaultPrice: spend?.defaultPrice ?? 1,
          scope: spend?.scope ?? "tenant",
        }
      : false,
    challenge: challenge
      ? {
          verifier: challenge.verifier,
          when: challenge.when ?? "risk",
          riskAfter: checkRules(
            [challenge.riskAfter ?? { limit: 3, windowSeconds: 600 }],
            "guard.challenge.riskAfter",
          )[0]!,
        }
      : false,
  };
}
