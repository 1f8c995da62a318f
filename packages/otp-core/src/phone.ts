import { type CountryCode, parsePhoneNumberFromString } from "libphonenumber-js/max";
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
 */
export function readPhone(input: unknown, defaultCountry?: CountryCode): ParsedPhone {
  if (typeof input !== "string" || input.length === 0 || input.length > 32) {
    throw new OtpError("invalid_phone", "Enter a phone number with its country code, like +14155551234.", {
      field: "phone",
      reason: "invalid",
    });
  }
  const parsed = parsePhoneNumberFromString(input, defaultCountry ? { defaultCountry } : undefined);
  // With the full ("max") metadata a number is valid exactly when it has a type, and isValid()
  // computes the type itself: asking once halves the regex work, the dominant cost of a send.
  const type = parsed?.getType();
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
    type: type as NumberType,
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
  const parsed = parsePhoneNumberFromString(e164);
  return parsed ? mask(parsed.countryCallingCode, parsed.nationalNumber) : "***";
}

function mask(countryCallingCode: string, national: string): string {
  const visible = national.slice(-4);
  const hidden = national.length - visible.length;
  const groups: string[] = [];
  for (let left = hidden; left > 0; left -= 3) groups.push("*".repeat(Math.min(3, left)));
  return `+${countryCallingCode} ${[...groups, visible].join("-")}`;
}
