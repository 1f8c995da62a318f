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
import { ruleHit, ruleKey } from "./keys.js";
import type { Purpose } from "./message.js";
import type { FailureRule, RateHit } from "./store.js";
import type { RateRule } from "./validate.js";

export interface SendBudget {
  /** Every rule this send is counted against. */
  hits: RateHit[];
  /**
   * The rules keyed by the phone or its number range: given back when the provider definitely
   * did not take the message, so a provider failure costs the person nothing. Per-IP and global
   * counts stay, so a failing provider cannot be hammered.
   */
  perPhone: RateHit[];
  /** The resend cooldown: given back after any failed send (even a timeout). */
  cooldown: RateHit[];
}

/** Purposes that sign someone in share one ceiling; every other purpose has its own. */
export const purposeGroup = (purpose: Purpose): string =>
  purpose === "login" || purpose === "two_factor" || purpose === "magic_link" ? "signin" : purpose;

/**
 * Who is asking, as a key part: the signed-in subject, else the client IP, else nobody in
 * particular (`-`: every caller without an IP shares it). Digests only.
 */
export async function requesterOf(
  engine: Engine,
  tenant: string,
  subject: string | undefined,
  ip: string | undefined,
): Promise<{ requester: string; ipDigest: string | undefined }> {
  const ipDigest = ip === undefined ? undefined : await engine.digest("ip", tenant, ip);
  if (subject !== undefined)
    return { requester: `s${await engine.digest("subject", tenant, subject)}`, ipDigest };
  return { requester: ipDigest === undefined ? "-" : `i${ipDigest}`, ipDigest };
}

export interface BudgetInput {
  tenant: string;
  purpose: Purpose;
  phone: string;
  phoneDigest: string;
  requester: string;
  ipDigest: string | undefined;
  /** This entry point's budget for callers without a usable IP. Default: `limits.withoutIp`. */
  withoutIp?: readonly RateRule[] | undefined;
}

/**
 * The budget of one send: per phone and requester, the per-phone ceiling of the purpose group, the
 * cooldown per phone, purpose and requester, per IP (or the no-IP budget), per number range and
 * global.
 */
export async function sendBudget(
  engine: Engine,
  limits: OtpConfig["limits"],
  input: BudgetInput,
): Promise<SendBudget> {
  const { tenant, phoneDigest, requester } = input;
  const perPhone: RateHit[] = [];
  for (const rule of limits.perPhone)
    perPhone.push(ruleHit(tenant, "phone", rule, `${phoneDigest}:${requester}`));
  const group = purposeGroup(input.purpose);
  for (const rule of limits.phoneCeiling)
    perPhone.push(ruleHit(tenant, "ceiling", rule, `${phoneDigest}:${group}`));
  const cooldown: RateHit[] = [];
  if (limits.resendCooldownSeconds > 0) {
    // Per purpose: a login code and a signup code for one phone do not wait on each other; per
    // requester: somebody else's send never makes the owner wait.
    const rule = { limit: 1, windowSeconds: limits.resendCooldownSeconds };
    cooldown.push(ruleHit(tenant, "cooldown", rule, `${phoneDigest}:${input.purpose}:${requester}`));
  }
  if (limits.perPrefix) {
    const range = input.phone.slice(0, -limits.perPrefix.hiddenDigits);
    const rangeDigest = await engine.digest("prefix", tenant, range);
    for (const rule of limits.perPrefix.rules) perPhone.push(ruleHit(tenant, "prefix", rule, rangeDigest));
  }
  const hits = [...perPhone, ...cooldown];
  if (input.ipDigest !== undefined)
    for (const rule of limits.perIp) hits.push(ruleHit(tenant, "ip", rule, input.ipDigest));
  else for (const rule of input.withoutIp ?? limits.withoutIp) hits.push(ruleHit(tenant, "no_ip", rule, "-"));
  for (const rule of limits.global) hits.push(ruleHit(tenant, "global", rule, "all"));
  return { hits, perPhone, cooldown };
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

export const tooManySends = (retryAfter: number): OtpError =>
  new OtpError("rate_limited", `Too many codes requested. Try again in ${retryAfter} seconds.`, {
    retryAfter,
    source: "app",
  });
