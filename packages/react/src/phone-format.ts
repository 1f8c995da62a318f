import { dialCodes } from "./countries.js";

/** libphonenumber-js with its small ("min") metadata: formatting and parsing, no number types. */
export type PhoneLibrary = typeof import("libphonenumber-js/min");

let loading: Promise<PhoneLibrary> | undefined;

/**
 * Loads libphonenumber-js on first use (a dynamic import, so the code input and an app's first
 * paint never carry its ~100 kB of metadata). A failed load is retried on the next call.
 */
export function loadPhoneLibrary(): Promise<PhoneLibrary> {
  loading ??= import("libphonenumber-js/min").catch((error: unknown) => {
    loading = undefined;
    throw error;
  });
  return loading;
}

/** Whether `text` is written with its country code (`+44 …`, or `0044 …` as dialled abroad). */
export const isInternational = (text: string) => /^\s*(\+|00)/.test(text);

/**
 * The number as the person would write it, formatted while typed (`AsYouType`): `(415) 555-0123`
 * for a US national number, `+44 7700 900123` for one with its country code — with the region
 * the typed country code names, so a selector can follow it.
 */
export function formatAsYouType(
  library: PhoneLibrary,
  text: string,
  country: string,
): { text: string; country: string | undefined; callingCode: string | undefined } {
  const international = isInternational(text);
  const typed = international ? text.trim().replace(/^00/, "+") : text;
  const formatter = international
    ? new library.AsYouType()
    : new library.AsYouType(country as Parameters<PhoneLibrary["getCountryCallingCode"]>[0]);
  const formatted = formatter.input(typed);
  return {
    text: formatted,
    country: international ? formatter.getCountry() : country,
    callingCode: international ? formatter.getCallingCode() : dialCodes.get(country),
  };
}

/**
 * The region a selector should show for a number typed with its country code: the one the number
 * names (when offered), else the selected one if it shares the calling code (+1 keeps Canada),
 * else the first offered region with that calling code (+44 → GB even where the metadata cannot
 * tell GB from Jersey yet).
 */
export function regionToShow(
  typed: { country: string | undefined; callingCode: string | undefined },
  selected: string,
  offered: readonly string[],
): string {
  if (typed.country && offered.includes(typed.country)) return typed.country;
  if (!typed.callingCode || dialCodes.get(selected) === typed.callingCode) return selected;
  return offered.find((region) => dialCodes.get(region) === typed.callingCode) ?? selected;
}

/**
 * What to send: E.164 (`+14155550123`). A number typed with its country code is taken as it is,
 * whatever the selector says; a national one is read in `country` (trunk prefixes such as the UK's
 * leading 0 dropped). The server validates it either way: this only normalizes.
 */
export function toE164(library: PhoneLibrary | undefined, text: string, country: string): string {
  const international = isInternational(text);
  const typed = international ? text.trim().replace(/^00/, "+") : text.trim();
  const parsed = library?.parsePhoneNumberFromString(
    typed,
    international ? undefined : (country as Parameters<PhoneLibrary["getCountryCallingCode"]>[0]),
  );
  if (parsed) return parsed.number;
  // No library (its chunk failed to load) or no parse: digits behind the country code; a wrong
  // number stays wrong, and the server says why.
  const digits = typed.replace(/\D/g, "");
  return international ? `+${digits}` : `+${dialCodes.get(country) ?? ""}${digits}`;
}
