/**
 * The rate-limit budgets of a send. `send` and `deliver` charge exactly the same rule keys, so a
 * phone's budget is one budget whichever path — otpkit's own codes or a platform's — spends it.
 * The store counts them in the same atomic step as the write (`put`) or on their own (`hit`).
 * Every subject in a key is a keyed digest (phone, requester, IP, number range): no number or
 * address is readable in a store.
 */
import type { OtpConfig } from "./config.js";
import type { Engine } from "./engine.js";
import { OtpError } from "./errors.js";
import type { GuardMode, GuardRule, TripwireBound } from "./guard.js";
import { pushRulesHits, ruleHit, ruleKey, ruleOf, rulesHits } from "./keys.js";
import type { Purpose } from "./message.js";
import type { FailureRule, RateHit } from "./store.js";
import type { RateRule } from "./validate.js";

export interface SendBudget {
  /** Every enforced rule, counted in the same atomic step as the write (or the delivery). */
  hits: RateHit[];
  /** Guard rules in `monitor` mode: counted on their own; a refusal is only reported. */
  monitored: RateHit[];
  /**
   * What a send the provider definitely did not take gives back: everything keyed by the phone,
   * its range or its country, the tripwire's sends and the spend — the SMS was not paid for and
   * nobody got it. Per-IP and global counts stay, so a failing provider cannot be hammered.
   */
  refundable: RateHit[];
  /** The resend cooldown: given back after any failed send (even a timeout). */
  cooldown: RateHit[];
}

/** Purposes that sign someone in share one ceiling; every other purpose has its own. */
export const purposeGroup = (purpose: Purpose): string =>
  purpose === "login" || purpose === "two_factor" || purpose === "magic_link" ? "signin" : purpose;

/** Who is asking: the key part and the IP's digest. */
export interface Requester {
  requester: string;
  ipDigest: string | undefined;
}

/** Nobody in particular (no subject, no IP): one shared answer, never mutated. */
const nobody: Requester = Object.freeze({ requester: "-", ipDigest: undefined });

/**
 * Who is asking, as a key part: the signed-in subject, else the client IP, else nobody in
 * particular (`-`: every caller without an IP shares it). Digests only. A plain value when the
 * digests are (node:crypto) or none is needed: the hot path awaits no promise for it.
 */
export function requesterOf(
  engine: Engine,
  tenant: string,
  subject: string | undefined,
  ip: string | undefined,
): Requester | Promise<Requester> {
  if (subject === undefined && ip === undefined) return nobody;
  const ipDigest = ip === undefined ? undefined : engine.digest("ip", tenant, ip);
  const subjectDigest = subject === undefined ? undefined : engine.digest("subject", tenant, subject);
  if (ipDigest instanceof Promise || subjectDigest instanceof Promise)
    return Promise.all([ipDigest, subjectDigest]).then(([ipText, subjectText]) =>
      requesterFrom(ipText, subjectText),
    );
  return requesterFrom(ipDigest, subjectDigest);
}

const requesterFrom = (ipDigest: string | undefined, subjectDigest: string | undefined): Requester => ({
  requester:
    subjectDigest !== undefined ? `s${subjectDigest}` : ipDigest === undefined ? "-" : `i${ipDigest}`,
  ipDigest,
});

export interface BudgetInput {
  tenant: string;
  purpose: Purpose;
  phone: string;
  country: string | undefined;
  phoneDigest: string;
  requester: string;
  ipDigest: string | undefined;
  /** On the guard's safe list: no guard rules. */
  safe: boolean;
  /** `deliver`: the tripwire runs as `guard.tripwire.onDeliver` says. */
  delivering: boolean;
  /** Count the challenge's risk rule (no valid token was given). */
  challengeRisk: boolean;
  /** This entry point's budget for callers without a usable IP. Default: `limits.withoutIp`. */
  withoutIp?: readonly RateRule[] | undefined;
}

/** No hits: one shared empty answer (callers only read it). */
const noHits: RateHit[] = Object.freeze([]) as unknown as RateHit[];

/** No count limit: a window that only counts (the tripwire's sends and verifications). */
const uncapped = 1e9;

/**
 * The budget of one send: per phone and requester, the per-phone ceiling of the purpose group, the
 * cooldown per phone, purpose and requester, per IP (or the no-IP budget), per number range,
 * global — and the guard's velocity per country, conversion tripwire, spend and challenge risk.
 * A plain value when the range's digest is one (node:crypto), so the hot path awaits no promise.
 */
export function sendBudget(
  engine: Engine,
  limits: OtpConfig["limits"],
  input: BudgetInput,
): SendBudget | Promise<SendBudget> {
  const tripwire = engine.guard.tripwire;
  const tripwireMode =
    input.safe || !tripwire ? "off" : input.delivering ? tripwire.onDeliver : engine.guard.mode("tripwire");
  // The range's digest only when a rule keys by it; computed once for the range rule and the tripwire.
  const range =
    limits.perPrefix || tripwireMode !== "off" ? rangeOf(engine, limits, input.tenant, input.phone) : "";
  return typeof range === "string"
    ? budgetOf(engine, limits, input, range, tripwireMode)
    : range.then((digest) => budgetOf(engine, limits, input, digest, tripwireMode));
}

function budgetOf(
  engine: Engine,
  limits: OtpConfig["limits"],
  input: BudgetInput,
  rangeDigest: string,
  tripwireMode: GuardMode | "off",
): SendBudget {
  const { tenant, phoneDigest, requester } = input;
  const { guard } = engine;
  const tripwire = guard.tripwire;
  const refundable: RateHit[] = [];
  const monitored: RateHit[] = [];
  // Enforced guard rules join the atomic step (refundable); monitored ones are counted apart.
  // A subject's rules share one log where the store can judge them together (`sharedLogs`).
  const shared = engine.store.sharedLogs;
  pushRulesHits(refundable, tenant, "phone", limits.perPhone, `${phoneDigest}:${requester}`, shared);
  const group = purposeGroup(input.purpose);
  pushRulesHits(refundable, tenant, "ceiling", limits.phoneCeiling, `${phoneDigest}:${group}`, shared);
  const cooldown: RateHit[] = [];
  if (limits.resendCooldownSeconds > 0) {
    // Per purpose: a login code and a signup code for one phone do not wait on each other; per
    // requester: somebody else's send never makes the owner wait.
    const rule = { limit: 1, windowSeconds: limits.resendCooldownSeconds };
    cooldown.push(ruleHit(tenant, "cooldown", rule, `${phoneDigest}:${input.purpose}:${requester}`));
  }
  if (limits.perPrefix)
    pushRulesHits(refundable, tenant, "prefix", limits.perPrefix.rules, rangeDigest, shared);
  if (!input.safe) {
    const country = input.country ?? "??";
    if (guard.perCountry.length) {
      // Enforced, the country's velocity rules share one log like any subject's rules. Monitored,
      // each is counted on its own (one refusing must not keep the others from counting).
      const mode = guard.mode("velocity");
      const velocity = rulesHits(tenant, "country", guard.perCountry, country, shared && mode !== "monitor");
      for (const hit of velocity) (mode === "monitor" ? monitored : refundable).push(hit);
    }
    if (tripwire && tripwireMode !== "off") {
      // The sends of the range and of the country, each judged against its verified events (the
      // windows `tallyOf` counts a verification in). (Plain calls: no closure per send.)
      const into = tripwireMode === "monitor" ? monitored : refundable;
      if (tripwire.range) into.push(sentHit(tenant, "range", rangeDigest, tripwire.range, tripwire.windowMs));
      if (tripwire.country) into.push(countrySentHit(tripwire, tripwire.country, tenant, country));
    }
    const spend = guard.spend;
    if (spend && spend.scope === "tenant") {
      const weight = spend.prices[country] ?? spend.defaultPrice;
      const mode = guard.mode("spend");
      for (const rule of spend.rules)
        (mode === "monitor" ? monitored : refundable).push({
          ...ruleHit(tenant, "spend", rule, "all"),
          weight,
        });
    }
  }
  const hits = refundable.slice();
  for (const hit of cooldown) hits.push(hit);
  if (input.ipDigest !== undefined) pushRulesHits(hits, tenant, "ip", limits.perIp, input.ipDigest, shared);
  else pushRulesHits(hits, tenant, "no_ip", input.withoutIp ?? limits.withoutIp, "-", shared);
  pushRulesHits(hits, tenant, "global", limits.global, "all", shared);
  if (input.challengeRisk && guard.challenge)
    hits.push(ruleHit(tenant, "challenge", guard.challenge.riskAfter, input.ipDigest ?? "-"));
  return { hits, monitored, refundable, cooldown };
}

/** The tripwire's window of sends to a range or a country, judged against its verified events. */
function sentHit(
  tenant: string,
  name: "range" | "country",
  subject: string,
  bound: TripwireBound,
  windowMs: number,
): RateHit {
  const windowSeconds = windowMs / 1000;
  return {
    key: ruleKey(tenant, name === "range" ? "sent_range" : "sent_country", windowSeconds, subject),
    limit: uncapped,
    windowMs,
    ratio: {
      key: ruleKey(tenant, name === "range" ? "verified_range" : "verified_country", windowSeconds, subject),
      minEvents: bound.minSends,
      minRatio: bound.minVerifiedRatio,
    },
  };
}

type Tripwire = Exclude<Engine["guard"]["tripwire"], false>;

/**
 * A tripwire's country hits (sent, verified) per tenant and country, made once: a country's keys
 * are the same on every send (no digest in them), so the hot path builds no key strings and no
 * objects for them, and the store's map finds the same key strings, their hashes already known.
 * Read only, like every hit. Bounded: a cache past `cachedTenants` tenants starts again.
 */
interface CountryHits {
  sent: Map<string, Map<string, RateHit>>;
  verified: Map<string, Map<string, RateHit>>;
}

const countryHits = new WeakMap<Tripwire, CountryHits>();
const cachedTenants = 1000;

function countryCache(tripwire: Tripwire, which: keyof CountryHits, tenant: string): Map<string, RateHit> {
  let cache = countryHits.get(tripwire);
  if (!cache) {
    cache = { sent: new Map(), verified: new Map() };
    countryHits.set(tripwire, cache);
  }
  const tenants = cache[which];
  let byCountry = tenants.get(tenant);
  if (!byCountry) {
    if (tenants.size >= cachedTenants) tenants.clear();
    byCountry = new Map();
    tenants.set(tenant, byCountry);
  }
  return byCountry;
}

/** `sentHit` for a country, from the cache while its bound and window are what it was made with. */
function countrySentHit(tripwire: Tripwire, bound: TripwireBound, tenant: string, country: string): RateHit {
  const byCountry = countryCache(tripwire, "sent", tenant);
  let hit = byCountry.get(country);
  if (
    !hit ||
    hit.windowMs !== tripwire.windowMs ||
    hit.ratio!.minEvents !== bound.minSends ||
    hit.ratio!.minRatio !== bound.minVerifiedRatio
  ) {
    // (Not frozen: a frozen object's other shape would make the stores' reads of hits megamorphic.)
    hit = sentHit(tenant, "country", country, bound, tripwire.windowMs);
    byCountry.set(country, hit);
  }
  return hit;
}

/** The tripwire's window of a country's verified events, from the cache while its window is the same. */
function countryVerifiedHit(tripwire: Tripwire, tenant: string, country: string): RateHit {
  const byCountry = countryCache(tripwire, "verified", tenant);
  let hit = byCountry.get(country);
  if (!hit || hit.windowMs !== tripwire.windowMs) {
    const windowSeconds = tripwire.windowMs / 1000;
    hit = ruleHit(tenant, "verified_country", { limit: uncapped, windowSeconds }, country);
    byCountry.set(country, hit);
  }
  return hit;
}

/** The keyed digest of a number's range (the number minus the hidden digits); plain from node:crypto. */
export function rangeOf(
  engine: Engine,
  limits: OtpConfig["limits"],
  tenant: string,
  phone: string,
): string | Promise<string> {
  const hidden = limits.perPrefix ? limits.perPrefix.hiddenDigits : 4;
  return engine.digest("prefix", tenant, phone.slice(0, -hidden));
}

/**
 * The windows a verified code counts in: the tripwire's verified events for its range and
 * country (empty when the tripwire is off). A plain value when the range's digest is one.
 */
export function tallyOf(
  engine: Engine,
  tenant: string,
  phone: string,
  country: string | undefined,
): RateHit[] | Promise<RateHit[]> {
  const tripwire = engine.guard.tripwire;
  if (!tripwire) return noHits;
  const windowSeconds = tripwire.windowMs / 1000;
  const hits = (range: string): RateHit[] => [
    ruleHit(tenant, "verified_range", { limit: uncapped, windowSeconds }, range),
    countryVerifiedHit(tripwire, tenant, country ?? "??"),
  ];
  const range = rangeOf(engine, engine.config.limits, tenant, phone);
  return typeof range === "string" ? hits(range) : range.then(hits);
}

/** Seven days: consecutive failures are remembered this long after the last one. */
const failureRetainMs = 7 * 86_400_000;

/** The consecutive-failure counters of a check on the record named by `digest` (a phone's or a subject's). */
export function failureRules(
  limits: OtpConfig["limits"],
  tenant: string,
  digest: string,
  requester: string,
): FailureRule[] {
  const rules: FailureRule[] = [];
  const { perRequester, perPhone } = limits.failures;
  if (perRequester)
    rules.push({
      key: ruleKey(tenant, "failures", 0, `${digest}:${requester}`),
      threshold: perRequester.threshold,
      backoffMs: perRequester.backoffSeconds * 1000,
      maxBackoffMs: perRequester.maxBackoffSeconds * 1000,
      retainMs: failureRetainMs,
    });
  if (perPhone)
    rules.push({
      key: ruleKey(tenant, "failures", 0, digest),
      threshold: perPhone.threshold,
      backoffMs: perPhone.backoffSeconds * 1000,
      maxBackoffMs: perPhone.maxBackoffSeconds * 1000,
      retainMs: failureRetainMs,
    });
  return rules;
}

/** Milliseconds from the store → whole seconds for people (never 0: "try again now" would be wrong). */
export const retrySeconds = (retryAfterMs: number): number => Math.max(1, Math.ceil(retryAfterMs / 1000));

export const tooManySends = (retryAfter: number, reason?: "cooldown"): OtpError =>
  new OtpError("rate_limited", `Too many codes requested. Try again in ${retryAfter} seconds.`, {
    retryAfter,
    source: "app",
    // The resend cooldown is its own cause for a UI ("you just asked for one"); the other budgets are not named.
    ...(reason ? { reason } : {}),
  });

/** What a refusal by one of the budget's windows answers: the guard's rules by their own codes. */
export function refusalFor(key: string, retryAfterMs: number): OtpError {
  const retryAfter = retrySeconds(retryAfterMs);
  switch (ruleOf(key)) {
    case "sent_range":
    case "sent_country":
      return new OtpError(
        "blocked",
        `Codes to this number range are paused. Try again in ${retryAfter} seconds.`,
        {
          field: "phone",
          reason: "tripwire",
          retryAfter,
        },
      );
    case "spend":
      return new OtpError("quota_exceeded", "The text-message budget is used up for now.", {
        reason: "spend",
        retryAfter,
      });
    case "challenge":
      return new OtpError("challenge_required", "Complete the check first (send captcha_token).", {
        field: "captcha_token",
      });
    default:
      return tooManySends(retryAfter, ruleOf(key) === "cooldown" ? "cooldown" : undefined);
  }
}

/** The guard rule behind a window key, for `blocked` events. */
export function guardRuleOf(key: string): GuardRule | undefined {
  const rule = ruleOf(key);
  if (rule === "country") return "velocity";
  if (rule === "sent_range" || rule === "sent_country") return "tripwire";
  if (rule === "spend") return "spend";
  return undefined;
}

/**
 * Counts the guard's monitored rules (each on its own: one refusing does not stop the others), and
 * reports each that would have refused. Never refuses, never fails the send.
 */
export async function countMonitored(
  engine: Engine,
  hits: readonly RateHit[],
  now: number,
  event: { phone: string; tenant: string; ip: string | undefined },
): Promise<void> {
  if (!hits.length) return;
  await Promise.all(
    hits.map(async (hit) => {
      const result = await engine.store.hit([hit], now).catch(() => ({ ok: true as const }));
      if (result.ok) return;
      engine.emit?.({
        type: "blocked",
        reason: guardRuleOf(hit.key) ?? "velocity",
        monitor: true,
        phone: event.phone,
        ...(event.tenant ? { tenant: event.tenant } : {}),
        ...(event.ip ? { ip: event.ip } : {}),
      });
    }),
  );
}

/** The spend budget counted across tenants (`scope: "all"`): its own keys, outside any tenant. */
export function spendAcrossTenants(engine: Engine, country: string | undefined, safe: boolean): RateHit[] {
  const spend = engine.guard.spend;
  if (safe || !spend || spend.scope !== "all") return noHits;
  const weight = spend.prices[country ?? "??"] ?? spend.defaultPrice;
  return spend.rules.map((rule) => ({ ...ruleHit("", "spend", rule, "all"), weight }));
}

/** Reports a budget refusal as its event (`blocked` for the guard's rules, else `limited`) and returns its error. */
export function refused(
  engine: Engine,
  key: string,
  retryAfterMs: number,
  event: { purpose: Purpose; phone: string; tenant: string; ip: string | undefined },
): OtpError {
  const error = refusalFor(key, retryAfterMs);
  const rule = guardRuleOf(key);
  const where = { ...(event.tenant ? { tenant: event.tenant } : {}), ...(event.ip ? { ip: event.ip } : {}) };
  if (rule) engine.emit?.({ type: "blocked", reason: rule, phone: event.phone, ...where });
  else if (error.code !== "challenge_required")
    engine.emit?.({
      type: "limited",
      rule: ruleOf(key),
      retryAfter: retrySeconds(retryAfterMs),
      purpose: event.purpose,
      phone: event.phone,
      ...where,
    });
  return error;
}
