/**
 * The rate-limit budgets of a send. `send` and `deliver` charge exactly the same rule keys, so a
 * phone's budget is one budget whichever path — otpkit's own codes or a platform's — spends it.
 * The store counts them in the same atomic step as the write (`put`) or on their own (`hit`).
 */
import type { OtpConfig } from "./config.js";
import { OtpError } from "./errors.js";
import { ruleHit } from "./keys.js";
import type { RateHit } from "./store.js";

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

/**
 * The budget of one send: per phone, the cooldown for this purpose, per IP (or the fallback budget
 * when there is no usable IP), per number range and global.
 */
export function sendBudget(
  limits: OtpConfig["limits"],
  tenant: string,
  purposeLetter: string,
  phoneDigest: string,
  phone: string,
  ip: string | undefined,
): SendBudget {
  const perPhone: RateHit[] = [];
  for (const rule of limits.perPhone) perPhone.push(ruleHit(tenant, "phone", rule, phoneDigest));
  const cooldown: RateHit[] = [];
  if (limits.resendCooldownSeconds > 0) {
    // Per purpose: a login code and a signup code for one phone do not wait on each other.
    const rule = { limit: 1, windowSeconds: limits.resendCooldownSeconds };
    cooldown.push(ruleHit(tenant, "cooldown", rule, `${purposeLetter.toLowerCase()}${phoneDigest}`));
  }
  if (limits.perPrefix)
    for (const rule of limits.perPrefix.rules)
      perPhone.push(ruleHit(tenant, "prefix", rule, phone.slice(0, -limits.perPrefix.hiddenDigits)));
  const hits = [...perPhone, ...cooldown];
  if (ip) for (const rule of limits.perIp) hits.push(ruleHit(tenant, "ip", rule, ip));
  else for (const rule of limits.withoutIp) hits.push(ruleHit(tenant, "no_ip", rule, "unknown"));
  for (const rule of limits.global) hits.push(ruleHit(tenant, "global", rule, "all"));
  return { hits, perPhone, cooldown };
}

/** Milliseconds from the store → whole seconds for people (never 0: "try again now" would be wrong). */
export const retrySeconds = (retryAfterMs: number): number => Math.max(1, Math.ceil(retryAfterMs / 1000));

export const tooManySends = (retryAfter: number): OtpError =>
  new OtpError("rate_limited", `Too many codes requested. Try again in ${retryAfter} seconds.`, {
    retryAfter,
  });
