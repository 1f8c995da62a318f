/**
 * The names otpkit gives things in a store, and the verification id grammar. Stores treat keys as
 * opaque text, except for one documented fact: everything before a key's first `:` is its tenant
 * (`keyTenant`), so a store can keep a tenant's keys together (one Redis Cluster slot).
 *
 *   record   <tenant>:<purpose letter>:<16-char digest>
 *   window   <tenant>:rl:<rule>:<window seconds>[+<window seconds>…]:<subject digest…>
 *   failures <tenant>:rl:failures:0:<record digest>[:<requester digest>]
 *   id       ver_<purpose letter><code length><16-char digest><16 random chars>
 *
 * The digest is a keyed HMAC of the phone number (lower-case purpose letter) or of the subject,
 * the server-trusted user a code is bound to (upper-case letter): no phone number or user id
 * appears in a key, and a subject's code lives under its own key, so another user's guesses can
 * never reach it.
 */
import { type Purpose, purposes } from "./message.js";
import type { RateHit, WindowRule } from "./store.js";
import type { RateRule } from "./validate.js";

/** Everything before the first `:` of a store key: its tenant (`""` for none). */
export function keyTenant(key: string): string {
  const colon = key.indexOf(":");
  return colon < 0 ? "" : key.slice(0, colon);
}

/** One letter per purpose inside verification ids; upper case when the code is bound to a subject. */
const purposeLetters = "lstprmx";
const idPattern = /^ver_([lstprmxLSTPRMX])([4-8])([\w-]{16})([\w-]{16})$/;

export const purposeLetter = (purpose: Purpose, bound: boolean): string => {
  const letter = purposeLetters[purposes.indexOf(purpose)]!;
  return bound ? letter.toUpperCase() : letter;
};

export const recordKey = (tenant: string, letter: string, digest: string): string =>
  `${tenant}:${letter}:${digest}`;

export const verificationId = (letter: string, codeLength: number, digest: string, random: string): string =>
  `ver_${letter}${codeLength}${digest}${random}`;

export interface ParsedId {
  purpose: Purpose;
  letter: string;
  /** Whether the code is bound to a subject. */
  bound: boolean;
  codeLength: number;
  digest: string;
}

/** The parts of a verification id, or `undefined` if `id` is not one. */
export function parseVerificationId(id: unknown): ParsedId | undefined {
  // `idPattern`, read with `test` (no match array, no captured strings per verify): the parts sit
  // at fixed offsets once the whole id matches.
  if (typeof id !== "string" || !idPattern.test(id)) return undefined;
  const letter = id[4]!;
  const lower = letter.toLowerCase();
  return {
    purpose: purposes[purposeLetters.indexOf(lower)]!,
    letter,
    bound: letter !== lower,
    codeLength: id.charCodeAt(5) - 48,
    digest: id.slice(6, 22),
  };
}

/** The names of otpkit's rate rules, as events and `OtpError`s report them. */
export type RateRuleName =
  | "phone"
  | "ceiling"
  | "cooldown"
  | "ip"
  | "no_ip"
  | "prefix"
  | "global"
  | "idempotency"
  | "verify_ip"
  | "failures"
  | "country"
  | "sent_range"
  | "sent_country"
  | "verified_range"
  | "verified_country"
  | "spend"
  | "challenge"
  | "custom";

/** The window key of one rule for one subject (a phone digest, an IP, a range…). */
export const ruleKey = (tenant: string, name: RateRuleName, windowSeconds: number, subject: string): string =>
  `${tenant}:rl:${name}:${windowSeconds}:${subject}`;

/** Which rule a window key belongs to. */
export const ruleOf = (key: string): RateRuleName =>
  (key.split(":")[2] as RateRuleName | undefined) ?? "custom";

export const ruleHit = (tenant: string, name: RateRuleName, rule: RateRule, subject: string) => ({
  key: ruleKey(tenant, name, rule.windowSeconds, subject),
  limit: rule.limit,
  windowMs: rule.windowSeconds * 1000,
});

/** A rule list's shared-log shape, made once per list (the limits are fixed per instance). */
interface SharedShape {
  /** The list's limits and windows when the shape was made, flat: a list changed since is re-made. */
  made: readonly number[];
  /** `3600+86400`: every window of the log, in the key. */
  windows: string;
  first: RateRule;
  /** The rules after the first, as `RateHit.also` (shared by every hit of the list: read only). */
  also: readonly WindowRule[];
}

const shapes = new WeakMap<readonly RateRule[], SharedShape>();

/** Whether `shape` still describes `rules` (a caller may have edited the list it configured). */
function stillMatches(shape: SharedShape, rules: readonly RateRule[]): boolean {
  const made = shape.made;
  if (made.length !== rules.length * 2) return false;
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i]!;
    if (made[2 * i] !== rule.limit || made[2 * i + 1] !== rule.windowSeconds) return false;
  }
  return true;
}

function shapeOf(rules: readonly RateRule[]): SharedShape {
  let shape = shapes.get(rules);
  if (!shape || !stillMatches(shape, rules)) {
    const [first, ...rest] = rules as [RateRule, ...RateRule[]];
    shape = {
      made: rules.flatMap((rule) => [rule.limit, rule.windowSeconds]),
      windows: rules.map((rule) => rule.windowSeconds).join("+"),
      first: { limit: first.limit, windowSeconds: first.windowSeconds },
      also: Object.freeze(rest.map((rule) => ({ limit: rule.limit, windowMs: rule.windowSeconds * 1000 }))),
    };
    shapes.set(rules, shape);
  }
  return shape;
}

/**
 * The hits of a subject's rules (a phone's hour and day budgets). On a store that keeps one log for
 * several rules (`sharedLogs`): one hit carrying them all (`also`), under a key naming every window
 * (`…:3600+86400:…`) — one key or row per subject instead of one per rule, with the same verdicts.
 * Otherwise, and for a single rule, one hit per rule under its own key.
 */
export function rulesHits(
  tenant: string,
  name: RateRuleName,
  rules: readonly RateRule[],
  subject: string,
  sharedLogs: boolean | undefined,
): RateHit[] {
  const hits: RateHit[] = [];
  pushRulesHits(hits, tenant, name, rules, subject, sharedLogs);
  return hits;
}

/** `rulesHits`, appended to `out` (no array per rule list on the hot path). */
export function pushRulesHits(
  out: RateHit[],
  tenant: string,
  name: RateRuleName,
  rules: readonly RateRule[],
  subject: string,
  sharedLogs: boolean | undefined,
): void {
  if (!sharedLogs || rules.length < 2) {
    for (const rule of rules) out.push(ruleHit(tenant, name, rule, subject));
    return;
  }
  // The list's windows part and `also` rules come from a per-list shape made once: the config's
  // rule lists live as long as the instance, and a list given per call (`withoutIp`) is rebuilt.
  const { windows, first, also } = shapeOf(rules);
  out.push({
    key: `${tenant}:rl:${name}:${windows}:${subject}`,
    limit: first.limit,
    windowMs: first.windowSeconds * 1000,
    also,
  });
}
