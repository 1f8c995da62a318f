import { type CountryCode, parsePhoneNumberFromString } from "libphonenumber-js/max";
import { OtpError } from "./errors.js";

export type { CountryCode };

/** Number types that cannot receive an SMS, or that SMS-pumping fraud targets. */
const unreachableTypes = new Set([
  "FIXED_LINE",
  "PREMIUM_RATE",
  "TOLL_FREE",
  "SHARED_COST",
  "PAGER",
  "UAN",
  "VOICEMAIL",
]);

export interface PhonePolicy {
  /** Country assumed for numbers typed without `+` and country code. Default: none (E.164 required). */
  defaultCountry?: CountryCode;
  /** Only these countries may receive codes. Default: every country. */
  allowedCountries?: readonly CountryCode[];
  /** These countries never receive codes (checked after `allowedCountries`). Default: none. */
  blockedCountries?: readonly CountryCode[];
  /**
   * Accept landlines, premium-rate, toll-free and similar numbers that cannot receive SMS or are
   * used for SMS pumping. Default: `false`.
   */
  allowNonMobileTypes?: boolean;
}

export interface ParsedPhone {
  /** E.164, e.g. `+14155551234`. */
  e164: string;
  country: CountryCode | undefined;
  /** For display and logs, e.g. `+1 ***-***-1234`. */
  masked: string;
}

/**
 * Parses and validates a phone number with the full libphonenumber metadata, and applies the
 * country policy. Throws `invalid_phone` (400) or `blocked` (403); never touches the store.
 */
export function parsePhone(input: unknown, policy: PhonePolicy = {}): ParsedPhone {
  if (typeof input !== "string" || input.length === 0 || input.length > 32) {
    throw new OtpError("invalid_phone", "Enter a phone number with its country code, like +14155551234.", {
      field: "phone",
      reason: "invalid",
    });
  }
  const parsed = parsePhoneNumberFromString(
    input,
    policy.defaultCountry ? { defaultCountry: policy.defaultCountry } : undefined,
  );
  // With the full ("max") metadata a number is valid exactly when it has a type, and isValid()
  // computes the type itself: asking once halves the regex work, the dominant cost of a send.
  const type = parsed?.getType();
  if (!parsed || !type) {
    throw new OtpError("invalid_phone", "This phone number is not valid.", {
      field: "phone",
      reason: "invalid",
    });
  }
  if (!policy.allowNonMobileTypes && unreachableTypes.has(type)) {
    throw new OtpError("invalid_phone", "This phone number cannot receive text messages.", {
      field: "phone",
      reason: "not_mobile",
    });
  }
  const country = parsed.country;
  const allowed = policy.allowedCountries;
  if (
    (allowed && (!country || !allowed.includes(country))) ||
    (country && policy.blockedCountries?.includes(country))
  ) {
    throw new OtpError("blocked", "Codes cannot be sent to this country.", {
      field: "phone",
      reason: "country",
    });
  }
  return { e164: parsed.number, country, masked: mask(parsed.countryCallingCode, parsed.nationalNumber) };
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
