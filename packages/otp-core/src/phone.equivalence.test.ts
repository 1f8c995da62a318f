/**
 * The fast phone validator must give libphonenumber's verdicts. This file keeps the validator as
 * it was before the fast path (libphonenumber's parse + getType on every call) and runs both over
 * more than 10⁵ deterministic inputs across every country: valid mobiles, landlines, VoIP,
 * premium, toll-free, too short and too long numbers, national formats with a default country,
 * shared calling codes, non-geographic numbers, formatting and junk. No difference is allowed in
 * the accepted E.164 number, its country, type and mask, or in the error (code, reason, message).
 */

import examples from "libphonenumber-js/examples.mobile.json" with { type: "json" };
import {
  type CountryCode,
  getCountries,
  getCountryCallingCode,
  parsePhoneNumberFromString,
} from "libphonenumber-js/max";
import { describe, expect, it } from "vitest";
import { OtpError } from "./errors.js";
import {
  fastRead,
  maskPhone,
  type NumberType,
  type ParsedPhone,
  parsePhone,
  phoneVerdict,
  readPhone,
  verdictError,
} from "./phone.js";

// ——— The validator before the fast path, verbatim in behaviour ———

function legacyReadPhone(input: unknown, defaultCountry?: CountryCode): ParsedPhone {
  if (typeof input !== "string" || input.length === 0 || input.length > 32) {
    throw new OtpError("invalid_phone", "Enter a phone number with its country code, like +14155551234.", {
      field: "phone",
      reason: "invalid",
    });
  }
  const parsed = parsePhoneNumberFromString(input, defaultCountry ? { defaultCountry } : undefined);
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
    masked: legacyMask(parsed.countryCallingCode, parsed.nationalNumber),
    type: type as NumberType,
  };
}

function legacyMaskPhone(e164: string): string {
  const parsed = parsePhoneNumberFromString(e164);
  return parsed ? legacyMask(parsed.countryCallingCode, parsed.nationalNumber) : "***";
}

function legacyMask(countryCallingCode: string, national: string): string {
  const visible = national.slice(-4);
  const hidden = national.length - visible.length;
  const groups: string[] = [];
  for (let left = hidden; left > 0; left -= 3) groups.push("*".repeat(Math.min(3, left)));
  return `+${countryCallingCode} ${[...groups, visible].join("-")}`;
}

// ——— Deterministic inputs ———

/** mulberry32: a small seeded PRNG, so every run checks the same inputs. */
function random(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const next = random(0x0f7c1e);
const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
const digit = () => String(Math.floor(next() * 10));
const digits = (count: number) => Array.from({ length: Math.max(0, count) }, digit).join("");
const replaceTail = (text: string, count: number) =>
  text.slice(0, Math.max(0, text.length - count)) + digits(count);
const replaceHead = (text: string, count: number) => digits(count) + text.slice(count);
/** Spaces, hyphens, dots and parentheses at random places, as people type them. */
const formatted = (text: string) => {
  let out = "";
  for (const char of text) {
    out += char;
    if (next() < 0.25) out += pick([" ", "-", ".", " (", ") ", "  ", "-", " "]);
  }
  return out;
};
/** Inputs libphonenumber reads in its own ways (or refuses): the fast path must stay out of their way. */
const junk = (text: string) =>
  pick([
    () => `${text}x12`,
    () => `${text} ext. 7`,
    () => `${text}#`,
    () => `${text};ext=3`,
    () => `tel:${text}`,
    () => text.replace(/\d/, "\t"),
    () => text.replace(/\d(?=\d)/, (d) => `${d}\u00a0`),
    () => text.replace(/\d/g, (d) => String.fromCharCode(0xff10 + Number(d))),
    () => `+${text}`,
    () => text.replace("+", "00"),
    () => text.replace("+", ""),
    () => text.replace("+", "+0"),
    () => `${text}a`,
    () => ` ${text}`,
    () => `${text}.`,
    () => text.slice(0, 3),
    () => text.slice(0, 2),
    () => "+",
    () => text.replace(/\d/, "/"),
    () => text + digits(8),
  ])();

interface Case {
  input: unknown;
  defaultCountry?: CountryCode;
}

function cases(): Case[] {
  const all: Case[] = [];
  const countries = getCountries();
  const mobiles = examples as Partial<Record<CountryCode, string>>;
  for (const country of countries) {
    const callingCode = getCountryCallingCode(country);
    const example = mobiles[country] ?? digits(9);
    const e164 = (national: string) => `+${callingCode}${national}`;
    const otherCountry = () => (next() < 0.5 ? undefined : pick(countries));
    for (let i = 0; i < 90; i++)
      all.push({ input: e164(replaceTail(example, 1 + (i % 4))), defaultCountry: otherCountry() });
    for (let i = 0; i < 90; i++) all.push({ input: e164(replaceHead(example, 1 + (i % 3))) });
    for (let i = 0; i < 80; i++)
      all.push({ input: e164(digits(example.length - 2 + (i % 5))), defaultCountry: otherCountry() });
    for (let i = 0; i < 40; i++) all.push({ input: formatted(e164(replaceTail(example, 1 + (i % 4)))) });
    for (let i = 0; i < 20; i++) all.push({ input: e164(`0${replaceTail(example, 2)}`) });
    for (let i = 0; i < 40; i++) {
      // National formats: with the national prefix or without, with the right, another or no default country.
      const national = `${pick(["0", "", "1", "8", "00"])}${replaceTail(example, 1 + (i % 4))}`;
      all.push({
        input: next() < 0.5 ? national : formatted(national),
        defaultCountry: pick([country, country, undefined, pick(countries)]),
      });
    }
    for (let i = 0; i < 60; i++)
      all.push({ input: junk(e164(replaceTail(example, 2))), defaultCountry: otherCountry() });
  }
  // The shared calling codes (+1 NANPA: area code decides the country) and non-geographic numbers.
  for (let i = 0; i < 6000; i++) all.push({ input: `+1${2 + Math.floor(next() * 8)}${digits(9)}` });
  for (let i = 0; i < 1500; i++)
    all.push({ input: `+44${pick(["7", "1", "2", "3", "8", "9", "5", "0"])}${digits(9)}` });
  for (let i = 0; i < 1500; i++) all.push({ input: `+7${pick(["7", "9", "6", "3", "8"])}${digits(9)}` });
  for (let i = 0; i < 1500; i++)
    all.push({
      input: `+${pick(["800", "808", "870", "878", "881", "882", "883", "888", "979"])}${digits(6 + Math.floor(next() * 8))}`,
    });
  for (let i = 0; i < 1000; i++) all.push({ input: `+${digits(1 + Math.floor(next() * 16))}` });
  for (const input of ["", 42, null, undefined, {}, "+1".padEnd(40, "5"), "hello", "+", "++14155551234"])
    all.push({ input });
  return all;
}

const outcome = (run: () => unknown): string => {
  try {
    return JSON.stringify(run());
  } catch (error) {
    if (!(error instanceof OtpError)) throw error;
    return `${error.code}|${error.reason}|${error.message}`;
  }
};

describe("the fast phone validator", () => {
  const inputs = cases();

  it("gives libphonenumber's verdict on more than 10⁵ numbers across every country", () => {
    expect(inputs.length).toBeGreaterThan(100_000);
    const differences: string[] = [];
    const accepted = new Map<string, number>();
    let refused = 0;
    let plainAccepted = 0;
    let fast = 0;
    for (const { input, defaultCountry } of inputs) {
      const before = outcome(() => legacyReadPhone(input, defaultCountry));
      const after = outcome(() => readPhone(input, defaultCountry));
      if (before !== after && differences.length < 20)
        differences.push(`${JSON.stringify(input)} (${defaultCountry}): ${before} → ${after}`);
      if (before.startsWith("{")) {
        const type = (JSON.parse(before) as ParsedPhone).type;
        accepted.set(type, (accepted.get(type) ?? 0) + 1);
        if (typeof input === "string" && /^\+\d+$/.test(input)) {
          plainAccepted++;
          if (fastRead(input)) fast++;
        }
      } else refused++;
    }
    expect(differences).toEqual([]);
    // The inputs are worth something only if they reach every kind of verdict.
    for (const type of ["MOBILE", "FIXED_LINE", "FIXED_LINE_OR_MOBILE", "TOLL_FREE", "PREMIUM_RATE", "VOIP"])
      expect(accepted.get(type) ?? 0, type).toBeGreaterThan(100);
    expect(refused).toBeGreaterThan(10_000);
    // …and only if the fast path is the one answering for most valid E.164 input.
    expect(fast / plainAccepted).toBeGreaterThan(0.9);
  });

  it("gives the same policy verdicts (number types, countries)", () => {
    const policy = {
      blockedCountries: ["GB", "RU"],
      allowedCountries: ["US", "CA", "GB", "RU", "FR", "DE", "IN", "BR", "JE"],
    } as const;
    const differences: string[] = [];
    for (const { input, defaultCountry } of inputs.slice(0, 40_000)) {
      const before = outcome(() => {
        const phone = legacyReadPhone(input, defaultCountry);
        const verdict = phoneVerdict(phone, policy);
        if (verdict) throw verdictError(verdict);
        return phone;
      });
      const after = outcome(() =>
        parsePhone(input, { ...policy, ...(defaultCountry ? { defaultCountry } : {}) }),
      );
      if (before !== after && differences.length < 20)
        differences.push(`${JSON.stringify(input)}: ${before} → ${after}`);
    }
    expect(differences).toEqual([]);
  });

  it("masks every number as before", () => {
    const differences: string[] = [];
    for (const { input } of inputs) {
      if (typeof input !== "string") continue;
      if (legacyMaskPhone(input) !== maskPhone(input) && differences.length < 20)
        differences.push(`${JSON.stringify(input)}: ${legacyMaskPhone(input)} → ${maskPhone(input)}`);
    }
    expect(differences).toEqual([]);
  });
});
