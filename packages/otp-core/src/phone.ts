import { Metadata } from "libphonenumber-js/core";
import { type CountryCode, parsePhoneNumberFromString } from "libphonenumber-js/max";
// The same full metadata `libphonenumber-js/max` parses with (one copy in a bundle). `Metadata` comes
// from `/core` with it: `/max`'s CommonJS entry does not export `Metadata` (its ESM entry does), so a
// CommonJS bundle such as Auth0's Actions would get `undefined`.
import maxMetadata from "libphonenumber-js/max/metadata";
import { OtpError } from "./errors.js";

export type { CountryCode };

/** libphonenumber's number types ("max" metadata: the full set, needed to tell them apart). */
export type NumberType =
  | "MOBILE"
  | "FIXED_LINE"
  | "FIXED_LINE_OR_MOBILE"
  | "PREMIUM_RATE"
  | "TOLL_FREE"
  | "SHARED_COST"
  | "VOIP"
  | "PERSONAL_NUMBER"
  | "PAGER"
  | "UAN"
  | "VOICEMAIL";

/**
 * Number types refused by default: those that cannot receive an SMS (landlines, pagers, voicemail,
 * UAN), and those SMS-pumping fraud uses — premium-rate, shared-cost, toll-free, VoIP and
 * "personal" (follow-me, often premium) numbers.
 */
export const defaultRefusedTypes: readonly NumberType[] = [
  "FIXED_LINE",
  "PREMIUM_RATE",
  "TOLL_FREE",
  "SHARED_COST",
  "VOIP",
  "PERSONAL_NUMBER",
  "PAGER",
  "UAN",
  "VOICEMAIL",
];

export interface PhonePolicy {
  /** Country assumed for numbers typed without `+` and country code. Default: none (E.164 required). */
  defaultCountry?: CountryCode;
  /**
   * The countries that may receive codes: a list (`["US", "CA"]`, like Clerk's default), or
   * `"all"` to say so explicitly. Production refuses to start without it: pumped ranges are
   * usually abroad, and a country you never serve is one you need not pay for. Default: every
   * country (outside production only).
   */
  allowedCountries?: readonly CountryCode[] | "all";
  /** These countries never receive codes (checked after `allowedCountries`). Default: none. */
  blockedCountries?: readonly CountryCode[];
  /**
   * Number types refused. Telling them apart needs libphonenumber's full ("max") metadata, which
   * the core loads (about 145 KB minified; mind it on edge runtimes). Default: `defaultRefusedTypes`.
   */
  refusedTypes?: readonly NumberType[];
  /** Accept every number type (the same as `refusedTypes: []`). Default: `false`. */
  allowNonMobileTypes?: boolean;
}

export interface ParsedPhone {
  /** E.164, e.g. `+14155551234`. */
  e164: string;
  country: CountryCode | undefined;
  /** For display and logs, e.g. `+1 ***-***-1234`. */
  masked: string;
  type: NumberType;
}

/** Why a policy refuses a valid number. */
export type PhoneVerdict =
  | { code: "invalid_phone"; reason: "not_mobile" }
  | { code: "blocked"; reason: "country" };

/**
 * Parses and validates a number with the full libphonenumber metadata. Throws `invalid_phone`
 * (reason `invalid`) for anything that is not a valid number; applies no policy.
 *
 * Plain E.164 input (`+` and digits, maybe spaced with ` -().`) takes a fast path that reaches
 * libphonenumber's verdict with each country's patterns compiled once (see `fastRead`); every
 * other input, and every number the fast path does not accept, goes through libphonenumber
 * itself, so refusals always come from the library. phone.equivalence.test.ts runs both over
 * 10⁵ numbers and finds no difference.
 */
export function readPhone(input: unknown, defaultCountry?: CountryCode): ParsedPhone {
  if (typeof input !== "string" || input.length === 0 || input.length > 32) {
    throw new OtpError("invalid_phone", "Enter a phone number with its country code, like +14155551234.", {
      field: "phone",
      reason: "invalid",
    });
  }
  const fast = fastRead(input);
  if (fast) return fast;
  const parsed = parsePhoneNumberFromString(input, defaultCountry ? { defaultCountry } : undefined);
  // With the full ("max") metadata a number is valid exactly when it has a type. The type comes
  // from the compiled patterns, as libphonenumber's getType() would compute it.
  const type = parsed
    ? typeIn(planOf(parsed.country ?? parsed.countryCallingCode), parsed.nationalNumber)
    : undefined;
  if (!parsed || !type) {
    throw new OtpError("invalid_phone", "This phone number is not valid.", {
      field: "phone",
      reason: "invalid",
    });
  }
  return {
    e164: parsed.number,
    country: parsed.country,
    masked: mask(parsed.countryCallingCode, parsed.nationalNumber),
    type,
  };
}

/** What the policy says about a valid number: nothing (allowed), or why not. */
export function phoneVerdict(phone: ParsedPhone, policy: PhonePolicy = {}): PhoneVerdict | undefined {
  const refused = policy.allowNonMobileTypes ? [] : (policy.refusedTypes ?? defaultRefusedTypes);
  if (refused.includes(phone.type)) return { code: "invalid_phone", reason: "not_mobile" };
  const { country } = phone;
  const allowed = policy.allowedCountries;
  if (
    (allowed && allowed !== "all" && (!country || !allowed.includes(country))) ||
    (country && policy.blockedCountries?.includes(country))
  ) {
    return { code: "blocked", reason: "country" };
  }
  return undefined;
}

/** The error a verdict answers with. */
export function verdictError(verdict: PhoneVerdict): OtpError {
  return verdict.code === "blocked"
    ? new OtpError("blocked", "Codes cannot be sent to this country.", { field: "phone", reason: "country" })
    : new OtpError("invalid_phone", "This phone number cannot receive text messages.", {
        field: "phone",
        reason: "not_mobile",
      });
}

/**
 * Parses and validates a phone number and applies the policy. Throws `invalid_phone` (400, reason
 * `invalid` or `not_mobile`) or `blocked` (403, reason `country`); never touches the store.
 */
export function parsePhone(input: unknown, policy: PhonePolicy = {}): ParsedPhone {
  const phone = readPhone(input, policy.defaultCountry);
  const verdict = phoneVerdict(phone, policy);
  if (verdict) throw verdictError(verdict);
  return phone;
}

/**
 * `+14155551234` → `+1 ***-***-1234`: the country code and the last four digits, enough for a
 * person to recognise their number and for logs to stay free of it.
 */
export function maskPhone(e164: string): string {
  const split = /^\+\d+$/.test(e164) ? splitE164(e164) : undefined;
  if (split) return mask(split.callingCode, split.national);
  const parsed = parsePhoneNumberFromString(e164);
  return parsed ? mask(parsed.countryCallingCode, parsed.nationalNumber) : "***";
}

function mask(countryCallingCode: string, national: string): string {
  const visible = national.slice(-4);
  const hidden = national.length - visible.length;
  // Groups of three stars (the last one shorter when the hidden digits say so), each followed by
  // `-`, then the visible digits: plain concatenation, no arrays per send.
  let text = `+${countryCallingCode} `;
  for (let left = hidden; left > 0; left -= 3) text += left >= 3 ? "***-" : left === 2 ? "**-" : "*-";
  return text + visible;
}

/*
 * The fast path. libphonenumber builds a `new RegExp` from each metadata pattern on every call
 * (some US and GB patterns are kilobytes long: hashing them to find the compiled code was most of
 * a send's phone cost), and parse() already runs the type patterns once to pick the country of a
 * shared calling code (+1, +44, +7…) before getType() runs them again. Here each numbering
 * plan's patterns are compiled once, on first use (at most one entry per country and
 * non-geographic calling code: a bounded cache of metadata, never of numbers), and a number's
 * digits are walked once. It follows libphonenumber's own steps for `+<digits>` input:
 *   1. the calling code is the shortest 1–3 digit prefix that is one;
 *   2. national prefix stripping: skipped, so the fast path steps aside (returns undefined) when
 *      the plan's national-prefix-for-parsing pattern matches the digits;
 *   3. the country of a shared calling code: the first of its countries whose leading digits
 *      match, or (without leading digits) whose types accept the number;
 *   4. the national number is 2–17 digits; its type under the country's plan (or the calling
 *      code's main plan) decides validity.
 * Anything unusual (a leading 0, a non-geographic calling code, fewer than 3 digits, a number
 * the plan refuses) returns undefined and the caller asks libphonenumber.
 */

/** The subset of libphonenumber's `Metadata` this file reads (its JS API; the typings declare less). */
interface MetadataApi {
  selectNumberingPlan(countryOrCallingCode: string): unknown;
  getCountryCodesForCallingCode(callingCode: string): string[] | undefined;
  hasCallingCode(callingCode: string): boolean;
  numberingPlan: {
    callingCode(): string;
    nationalNumberPattern(): string;
    nationalPrefixForParsing(): string | undefined;
    leadingDigits(): string | undefined;
    type(type: NumberType): { pattern(): string; possibleLengths(): number[] | undefined } | undefined;
  };
}

/** One type of a numbering plan, compiled; `undefined` when the plan lacks it (or its pattern is empty). */
interface CompiledType {
  pattern: RegExp;
  lengths: readonly number[] | undefined;
}

interface Plan {
  callingCode: string;
  nationalNumber: RegExp;
  prefixForParsing: RegExp | undefined;
  leadingDigits: RegExp | undefined;
  types: Partial<Record<NumberType, CompiledType>>;
  /** FIXED_LINE matches stand for mobiles too ("" or no MOBILE pattern: the metadata folded them). */
  fixedLineIsMobile: boolean;
}

/** Checked in this order after FIXED_LINE, as libphonenumber does. */
const nonFixedLineTypes: readonly NumberType[] = [
  "MOBILE",
  "PREMIUM_RATE",
  "TOLL_FREE",
  "SHARED_COST",
  "VOIP",
  "PERSONAL_NUMBER",
  "PAGER",
  "UAN",
  "VOICEMAIL",
];

let metadata: MetadataApi | undefined;
const plans = new Map<string, Plan>();
/** The countries of each geographic calling code (`null`: not one), from the metadata. */
const callingCodes = new Map<string, readonly string[] | null>();

const whole = (pattern: string) => new RegExp(`^(?:${pattern})$`);

/** The compiled plan of a country (`"US"`) or of a calling code's main country (`"1"`). */
function planOf(countryOrCallingCode: string): Plan {
  let plan = plans.get(countryOrCallingCode);
  if (plan) return plan;
  metadata ??= new Metadata(maxMetadata) as unknown as MetadataApi;
  metadata.selectNumberingPlan(countryOrCallingCode);
  const numbering = metadata.numberingPlan;
  const types: Partial<Record<NumberType, CompiledType>> = {};
  for (const type of ["FIXED_LINE", ...nonFixedLineTypes] as const) {
    const definition = numbering.type(type);
    const pattern = definition?.pattern();
    if (definition && pattern)
      types[type] = { pattern: whole(pattern), lengths: definition.possibleLengths() };
  }
  const mobile = numbering.type("MOBILE");
  const prefix = numbering.nationalPrefixForParsing();
  const leading = numbering.leadingDigits();
  plan = {
    callingCode: numbering.callingCode(),
    nationalNumber: whole(numbering.nationalNumberPattern()),
    prefixForParsing: prefix ? new RegExp(`^(?:${prefix})`) : undefined,
    leadingDigits: leading ? new RegExp(leading) : undefined,
    types,
    fixedLineIsMobile: !mobile || mobile.pattern() === "",
  };
  plans.set(countryOrCallingCode, plan);
  return plan;
}

function countriesOf(callingCode: string): readonly string[] | null {
  let countries = callingCodes.get(callingCode);
  if (countries !== undefined) return countries;
  metadata ??= new Metadata(maxMetadata) as unknown as MetadataApi;
  countries = metadata.getCountryCodesForCallingCode(callingCode) ?? null;
  // A calling code without countries that is still one (+800, +882…): non-geographic, left to libphonenumber.
  if (!countries && metadata.hasCallingCode(callingCode)) countries = [];
  callingCodes.set(callingCode, countries);
  return countries;
}

function isType(plan: Plan, national: string, type: NumberType): boolean {
  const compiled = plan.types[type];
  if (!compiled) return false;
  if (compiled.lengths && !compiled.lengths.includes(national.length)) return false;
  return compiled.pattern.test(national);
}

/** libphonenumber's number type of a national number under a plan; `undefined`: not valid there. */
function typeIn(plan: Plan, national: string): NumberType | undefined {
  if (!plan.nationalNumber.test(national)) return undefined;
  if (isType(plan, national, "FIXED_LINE"))
    return plan.fixedLineIsMobile || isType(plan, national, "MOBILE") ? "FIXED_LINE_OR_MOBILE" : "FIXED_LINE";
  for (const type of nonFixedLineTypes) if (isType(plan, national, type)) return type;
  return undefined;
}

/** `+<digits>` → calling code, national number and country, or `undefined` to ask libphonenumber. */
function splitE164(
  digits: string,
): { callingCode: string; national: string; country: string | undefined; plan: Plan } | undefined {
  if (digits.length < 4 || digits.charCodeAt(1) === 48 /* 0 */) return undefined;
  for (let end = 2; end <= 4 && end < digits.length; end++) {
    const callingCode = digits.slice(1, end);
    const countries = countriesOf(callingCode);
    if (countries === null) continue;
    if (countries.length === 0) return undefined;
    const national = digits.slice(end);
    const main = planOf(callingCode);
    if (main.prefixForParsing?.test(national)) return undefined;
    if (national.length < 2 || national.length > 17) return undefined;
    if (countries.length === 1)
      return { callingCode, national, country: countries[0], plan: planOf(countries[0]!) };
    for (const country of countries) {
      const plan = planOf(country);
      if (
        plan.leadingDigits ? national.search(plan.leadingDigits) === 0 : typeIn(plan, national) !== undefined
      )
        return { callingCode, national, country, plan };
    }
    return { callingCode, national, country: undefined, plan: main };
  }
  return undefined;
}

/**
 * Separators a person types inside a number (ASCII space, parentheses, dot, hyphen: all of them
 * punctuation to libphonenumber); anything else (tabs, letters, `#`, other spaces) leaves the
 * number to libphonenumber.
 */
const spacing = /[ ().-]/g;
const plainE164 = /^\+\d+$/;

/** The fast path alone (`undefined`: libphonenumber decides). Exported for phone.equivalence.test.ts. */
export function fastRead(input: string): ParsedPhone | undefined {
  let digits = input;
  if (!plainE164.test(digits)) {
    if (input.charCodeAt(0) !== 43 /* + */) return undefined;
    digits = input.replace(spacing, "");
    if (!plainE164.test(digits)) return undefined;
  }
  const split = splitE164(digits);
  if (!split) return undefined;
  const type = typeIn(split.plan, split.national);
  if (!type) return undefined;
  return {
    // `digits` is `+`, the calling code and the national number, as the fast path read them.
    e164: digits,
    country: split.country as CountryCode | undefined,
    masked: mask(split.callingCode, split.national),
    type,
  };
}
