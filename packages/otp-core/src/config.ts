/**
 * `createOtp`'s options, checked once at startup, and the resolved, secret-free `OtpConfig` an
 * instance exposes (`otp.config`): what the HTTP handler and adapters need to know (cooldown,
 * expiries, code length), never the secret itself.
 */
import { configError } from "./errors.js";
import type { EventListener } from "./events.js";
import { type GuardOptions, type ResolvedGuard, resolveGuard } from "./guard.js";
import { type Preset, withPreset } from "./lint.js";
import { checkTemplate, defaultExpiryMinutes, defaultTemplates, type Purpose, purposes } from "./message.js";
import type { PhonePolicy } from "./phone.js";
import type { Sender } from "./senders.js";
import type { Store } from "./store.js";
import {
  checkCodeLength,
  checkMinutes,
  checkRules,
  codePattern,
  configured,
  isWholeIn,
  type RateRule,
} from "./validate.js";

/** A consecutive-failure bound: refusals start at `threshold` wrong codes in a row and double. */
export interface FailureBound {
  /** Wrong codes in a row before refusals start. */
  threshold: number;
  /** The first refusal, in seconds; each further wrong code doubles it. */
  backoffSeconds: number;
  /** The longest refusal, in seconds. */
  maxBackoffSeconds: number;
}

export interface LimitOptions {
  /**
   * Sends per phone number **and requester** (the signed-in subject, else the client IP, else
   * "no IP"), across purposes: one requester can never spend a phone's whole budget. Default: 3 per
   * hour and 10 per day (`SMS_RATE_LIMIT_HOUR`/`_DAY`, the seed's numbers).
   */
  perPhone?: readonly RateRule[];
  /**
   * Sends per phone number from all requesters together, per purpose group (login, two_factor
   * and magic_link share one; every other purpose has its own, so a signup or password-reset storm
   * never blocks login). The ceiling against SMS bombing. Default: 10 per hour and 30 per day
   * (`SMS_RATE_LIMIT_PHONE_HOUR`/`_DAY`).
   */
  phoneCeiling?: readonly RateRule[];
  /**
   * Bounds on consecutive wrong codes, across codes and purposes, counted in the same atomic check
   * and reset by a right code. `perRequester`: per phone (or subject) and requester — default 10,
   * then refusals from 1 minute doubling to 1 day. `perPhone`: per phone (or subject) for everyone —
   * default 100 (NIST SP 800-63B §5.2.2's bound, the most allowed), then refusals from 1 second
   * doubling to 15 minutes: it only slows everyone down, it never refuses the owner's fresh code for
   * longer. `false` turns one off.
   */
  failures?: { perRequester?: FailureBound | false; perPhone?: FailureBound | false };
  /**
   * Verifications per client IP (when `verify` is given one, as the HTTP handler does): one client
   * cannot spray guesses across many pending codes. Default: 30 per 10 minutes.
   */
  verifyPerIp?: readonly RateRule[];
  /** Sends per client IP (IPv6 per /64). Default: 10 per 10 minutes (`SMS_RATE_LIMIT_IP`). */
  perIp?: readonly RateRule[];
  /**
   * Sends that come without a usable client IP (none given, or one that does not parse), counted
   * together per tenant: the fallback budget, so that an unknown IP is never a way around `perIp`
   * and never charged to somebody else's address. Default: none (server-side callers that have
   * no client IP are not limited by it; the HTTP handler's adapters set their own).
   */
  withoutIp?: readonly RateRule[];
  /** Seconds before the same phone can get another code for the same purpose. Default: 60 (`SMS_RESEND_COOLDOWN_SECONDS`). */
  resendCooldownSeconds?: number;
  /**
   * Sends per number range (the E.164 number without its last `hiddenDigits` digits), against
   * SMS-pumping fraud that walks sequential numbers. Default: 20 per hour, 4 hidden digits; `false` turns it off.
   */
  perPrefix?: { rules: readonly RateRule[]; hiddenDigits?: number } | false;
  /** A budget for the whole app (per tenant). Default: none. */
  global?: readonly RateRule[];
}

export interface OtpOptions {
  /**
   * Key for every HMAC, at least 32 bytes. A list enables rotation: the first signs, all verify.
   * Required; `OTP_SECRET` (comma-separated for rotation) with `createOtpFromEnv`.
   */
  secret: string | readonly string[];
  /** Where pending codes and rate windows live. Default: `memoryStore()` (one process only). */
  store?: Store;
  /** The send API. Required unless every number is a test number. Default: none. */
  sender?: Sender;
  /** Replaces `{app}` in templates. Default: `""`. */
  appName?: string;
  /** Digits per code, 4–8. Default: 6. */
  codeLength?: number;
  /** Wrong guesses allowed per code before it dies, 1–10. Default: 3. */
  maxAttempts?: number;
  /**
   * Minutes a code lives, per purpose, 1–60. Defaults: login/two_factor/transaction 5,
   * signup/phone_verification/magic_link 10, password_reset 15.
   */
  expiryMinutes?: Partial<Record<Purpose, number>>;
  /** Message templates per purpose with `{code}`, `{minutes}`, `{app}` (and `{link}`). Default: `defaultTemplates`. */
  templates?: Partial<Record<Purpose, string>>;
  /**
   * Texts per BCP 47 locale (`{ "pt-BR": { login: "…" } }`), picked by `send`/`deliver`'s `locale`
   * (exact tag, else language); purposes a locale leaves out use `templates`. Ready-made:
   * `smsTemplates` from `@otpkit/otp-core/locales`. Default: none (every send in `templates`).
   */
  locales?: Record<string, Partial<Record<Purpose, string>>>;
  /** Rate limits; see each field for its default. */
  limits?: LimitOptions;
  /**
   * Phone parsing and country policy. Default: E.164 input, every country (production requires an
   * explicit `allowedCountries`), mobile numbers only (no landline, premium, VoIP…).
   */
  phone?: PhonePolicy;
  /** The fraud guard (lists, velocity per country, conversion tripwire, spend, bot checks). See `GuardOptions`. */
  guard?: GuardOptions;
  /**
   * What a resend does to the pending code: `rotate` — a new code with fresh attempts (OWASP);
   * `carry` — a new code that inherits the pending one's attempts and expiry, so resends never buy
   * more guesses or time. Either way only hashes are stored. Default: `"rotate"`.
   */
  resendPolicy?: "rotate" | "carry";
  /**
   * Defaults from a standard: `nist-800-63b` (codes valid ≤ 10 minutes, ≥ 6 digits, ≤ 100
   * consecutive failures, a new code on resend) or `owasp`. Options you give still win;
   * `lintConfig(options)` reports where they depart from it. Default: none (otpkit's own defaults).
   */
  preset?: Preset;
  /**
   * Numbers with fixed codes that never reach the sender (app review, end-to-end tests), e.g.
   * `{ "+14255550123": "123456" }`. Refused when `production` is true. Default: none.
   */
  testNumbers?: Record<string, string>;
  /**
   * Refuse development-only settings (test numbers). Default: `process.env.NODE_ENV === "production"`
   * where a `process` exists, else `false` — set it explicitly on runtimes where `NODE_ENV` means
   * nothing (Deno Deploy / Supabase Edge Functions, Auth0 Actions, Cloudflare Workers).
   */
  production?: boolean;
  /** Adds the WebOTP / iOS one-time-code origin line `@domain #code` as the last line. Default: none. */
  webOtpDomain?: string;
  /** Android SMS Retriever app hash appended to messages. Default: none. */
  androidAppHash?: string;
  /** Magic links: `url` gets `{token}` replaced by a one-time token; verify accepts the token once. Default: off. */
  magicLink?: { url: string };
  /** Milliseconds since the epoch. Default: `Date.now`. Inject for tests. */
  clock?: () => number;
  /** Audit hook: phones are masked, codes never appear. Errors thrown here are swallowed. Default: none. */
  onEvent?: EventListener;
}

/** The resolved configuration of an instance: every default filled in, no secret. */
export interface OtpConfig {
  readonly production: boolean;
  readonly appName: string;
  readonly codeLength: number;
  readonly maxAttempts: number;
  readonly expiryMinutes: Readonly<Record<Purpose, number>>;
  readonly limits: {
    readonly perPhone: readonly RateRule[];
    readonly phoneCeiling: readonly RateRule[];
    readonly failures: {
      readonly perRequester: FailureBound | false;
      readonly perPhone: FailureBound | false;
    };
    readonly verifyPerIp: readonly RateRule[];
    readonly perIp: readonly RateRule[];
    readonly withoutIp: readonly RateRule[];
    readonly resendCooldownSeconds: number;
    readonly perPrefix: { readonly rules: readonly RateRule[]; readonly hiddenDigits: number } | false;
    readonly global: readonly RateRule[];
  };
  /** How many secrets verify (the first one signs). */
  readonly secretCount: number;
  readonly magicLinks: boolean;
  readonly webOtpDomain?: string;
  readonly testNumberCount: number;
  readonly resendPolicy: "rotate" | "carry";
  /** The country policy: `"all"` or the allowed countries; `undefined` when none was chosen. */
  readonly allowedCountries: readonly string[] | "all" | undefined;
}

const encoder = new TextEncoder();

function checkBound(
  value: FailureBound | false | undefined,
  fallback: FailureBound,
  option: string,
  maxThreshold: number,
): FailureBound | false {
  if (value === false) return false;
  const bound = value ?? fallback;
  if (
    !isWholeIn(bound.threshold, 1, maxThreshold) ||
    !isWholeIn(bound.backoffSeconds, 1, 86_400) ||
    !isWholeIn(bound.maxBackoffSeconds, bound.backoffSeconds, 30 * 86_400)
  ) {
    throw configError(
      `${option}: threshold is 1–${maxThreshold} wrong codes, backoffSeconds 1–86400, maxBackoffSeconds at least backoffSeconds.`,
    );
  }
  return bound;
}

/**
 * Obviously weak secrets (`"a".repeat(32)`, few distinct characters): refused in production.
 * Shannon entropy of the characters times the length, a generous lower bound for random secrets
 * (`openssl rand -base64 32` gives ~230 bits by this measure, 64 hex digits 256).
 */
function estimatedBits(secret: string): number {
  const counts = new Map<string, number>();
  for (const character of secret) counts.set(character, (counts.get(character) ?? 0) + 1);
  const length = [...secret].length;
  let perCharacter = 0;
  for (const count of counts.values()) perCharacter -= (count / length) * Math.log2(count / length);
  return perCharacter * length;
}

/** Whether `secret` is a shorter text repeated (`"0123456789".repeat(4)`). */
function isRepetition(secret: string): boolean {
  for (let period = 1; period <= secret.length / 2; period++) {
    if (secret.length % period === 0 && secret.slice(0, period).repeat(secret.length / period) === secret)
      return true;
  }
  return false;
}

/** What the stages need besides the public config: never exposed on the instance. */
export interface Resolved {
  config: OtpConfig;
  secrets: string[];
  templates: Record<Purpose, string>;
  locales: Record<string, Partial<Record<Purpose, string>>>;
  testNumbers: Map<string, string>;
  phonePolicy: PhonePolicy;
  guard: ResolvedGuard;
  magicLinkUrl: string | undefined;
  androidAppHash: string | undefined;
}

export function resolveOptions(given: OtpOptions): Resolved {
  if (typeof given !== "object" || given === null) throw configError("createOtp needs options.");
  const options = withPreset(given);
  if (given.preset !== undefined && given.preset !== "nist-800-63b" && given.preset !== "owasp")
    throw configError('preset is "nist-800-63b" or "owasp".');
  const secrets = typeof options.secret === "string" ? [options.secret] : [...(options.secret ?? [])];
  if (
    !secrets.length ||
    secrets.some((secret) => typeof secret !== "string" || encoder.encode(secret).length < 32)
  ) {
    throw configError("OTP_SECRET must be set to at least 32 bytes (e.g. `openssl rand -base64 32`).");
  }
  const production =
    options.production ??
    (globalThis as { process?: { env?: Record<string, string> } }).process?.env?.NODE_ENV === "production";
  if (production && secrets.some((secret) => estimatedBits(secret) < 128 || isRepetition(secret))) {
    throw configError(
      "OTP_SECRET looks guessable (too few distinct characters for its length): use a random one, e.g. `openssl rand -base64 32`.",
    );
  }
  const codeLength = configured("codeLength", () => checkCodeLength(options.codeLength ?? 6, "codeLength"));
  const maxAttempts = options.maxAttempts ?? 3;
  if (!isWholeIn(maxAttempts, 1, 10)) throw configError("maxAttempts must be a whole number from 1 to 10.");
  const expiryMinutes = { ...defaultExpiryMinutes, ...options.expiryMinutes };
  for (const purpose of purposes)
    configured(`expiryMinutes.${purpose}`, () => checkMinutes(expiryMinutes[purpose], purpose));
  const templates = { ...defaultTemplates, ...options.templates };
  for (const purpose of purposes) configured(`templates.${purpose}`, () => checkTemplate(templates[purpose]));
  const locales = options.locales ?? {};
  for (const [locale, texts] of Object.entries(locales))
    for (const [purpose, text] of Object.entries(texts ?? {}))
      configured(`locales.${locale}.${purpose}`, () => checkTemplate(text));

  const limits = options.limits ?? {};
  const resendCooldownSeconds = limits.resendCooldownSeconds ?? 60;
  if (!isWholeIn(resendCooldownSeconds, 0, 86_400))
    throw configError("limits.resendCooldownSeconds must be a whole number of seconds from 0 to 86400.");
  const perPrefixOption =
    limits.perPrefix === false
      ? false
      : (limits.perPrefix ?? { rules: [{ limit: 20, windowSeconds: 3600 }] });
  const perPrefix =
    perPrefixOption === false
      ? (false as const)
      : {
          rules: checkRules(perPrefixOption.rules, "limits.perPrefix"),
          hiddenDigits: perPrefixOption.hiddenDigits ?? 4,
        };
  if (perPrefix && !isWholeIn(perPrefix.hiddenDigits, 1, 8))
    throw configError("limits.perPrefix.hiddenDigits must be a whole number from 1 to 8.");

  const testNumbers = new Map<string, string>();
  for (const [number, code] of Object.entries(options.testNumbers ?? {})) {
    if (production) throw configError("testNumbers are refused in production: they bypass the SMS.");
    if (!/^\+\d{6,15}$/.test(number) || !codePattern.test(code)) {
      throw configError("testNumbers maps E.164 numbers to codes of 4–8 digits.");
    }
    testNumbers.set(number, code);
  }
  const phonePolicy = options.phone ?? {};
  if (production && phonePolicy.allowedCountries === undefined) {
    throw configError(
      'Choose the countries codes may go to: phone.allowedCountries (e.g. ["US", "CA"], or "all"), or OTP_COUNTRIES. Production refuses to start without one: SMS pumping targets countries you never serve.',
    );
  }
  const resendPolicy = options.resendPolicy ?? "rotate";
  if (resendPolicy !== "rotate" && resendPolicy !== "carry")
    throw configError('resendPolicy is "rotate" or "carry".');
  if (options.magicLink && !options.magicLink.url?.includes("{token}")) {
    throw configError("magicLink.url must contain {token}.");
  }

  const config: OtpConfig = {
    production,
    appName: options.appName ?? "",
    codeLength,
    maxAttempts,
    expiryMinutes,
    limits: {
      perPhone: checkRules(
        limits.perPhone ?? [
          { limit: 3, windowSeconds: 3600 },
          { limit: 10, windowSeconds: 86_400 },
        ],
        "limits.perPhone",
      ),
      phoneCeiling: checkRules(
        limits.phoneCeiling ?? [
          { limit: 10, windowSeconds: 3600 },
          { limit: 30, windowSeconds: 86_400 },
        ],
        "limits.phoneCeiling",
      ),
      failures: {
        perRequester: checkBound(
          limits.failures?.perRequester,
          { threshold: 10, backoffSeconds: 60, maxBackoffSeconds: 86_400 },
          "limits.failures.perRequester",
          1000,
        ),
        perPhone: checkBound(
          limits.failures?.perPhone,
          { threshold: 100, backoffSeconds: 1, maxBackoffSeconds: 900 },
          "limits.failures.perPhone",
          100,
        ),
      },
      verifyPerIp: checkRules(
        limits.verifyPerIp ?? [{ limit: 30, windowSeconds: 600 }],
        "limits.verifyPerIp",
      ),
      perIp: checkRules(limits.perIp ?? [{ limit: 10, windowSeconds: 600 }], "limits.perIp"),
      withoutIp: checkRules(limits.withoutIp ?? [], "limits.withoutIp"),
      resendCooldownSeconds,
      perPrefix,
      global: checkRules(limits.global ?? [], "limits.global"),
    },
    secretCount: secrets.length,
    magicLinks: options.magicLink !== undefined,
    ...(options.webOtpDomain ? { webOtpDomain: options.webOtpDomain } : {}),
    testNumberCount: testNumbers.size,
    resendPolicy,
    allowedCountries: phonePolicy.allowedCountries,
  };
  return {
    config,
    secrets,
    templates,
    locales,
    testNumbers,
    phonePolicy,
    guard: resolveGuard(options.guard),
    magicLinkUrl: options.magicLink?.url,
    androidAppHash: options.androidAppHash || undefined,
  };
}
