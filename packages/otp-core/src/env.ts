import type { OtpOptions } from "./config.js";
import { OtpError } from "./errors.js";
import { createOtp, type Otp } from "./otp.js";
import type { CountryCode, PhonePolicy } from "./phone.js";
import { unosend } from "./senders.js";

type Env = Record<string, string | undefined>;

function integer(env: Env, name: string, min = 1): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === "") return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    throw new OtpError("invalid_config", `${name} must be a whole number of at least ${min}.`);
  }
  return value;
}

/**
 * Reads the seed's environment variables into `OtpOptions`:
 * `OTP_SECRET` (required, ≥ 32 bytes; comma-separated for rotation, newest first),
 * `UNOSEND_API_KEY` / `UNOSEND_API_URL` (the default sender),
 * `SMS_RATE_LIMIT_HOUR` / `SMS_RATE_LIMIT_DAY` (per phone and requester; defaults 3 and 10),
 * `SMS_RATE_LIMIT_PHONE_HOUR` / `SMS_RATE_LIMIT_PHONE_DAY` (per phone from everyone, per purpose
 * group: the ceiling; defaults 10 and 30),
 * `SMS_RATE_LIMIT_IP` (sends per IP per 10 minutes; default 10),
 * `SMS_RATE_LIMIT_VERIFY_IP` (verifications per IP per 10 minutes; default 30),
 * `SMS_RESEND_COOLDOWN_SECONDS` (default 60; 0 turns it off),
 * `OTP_COUNTRIES` (the countries codes may go to: `US,CA`, or `all`, or `all,!RU,!KP` to exclude some;
 * production requires it),
 * `OTP_EXPIRY_MINUTES` (login, signup, two_factor, transaction),
 * `MAGIC_LINK_EXPIRY_MINUTES`, `PASSWORD_RESET_EXPIRY_MINUTES`.
 * Explicit `overrides` win over the environment.
 */
export function otpOptionsFromEnv(
  env: Env = (globalThis as { process?: { env?: Env } }).process?.env ?? {},
): OtpOptions {
  const secret =
    env.OTP_SECRET?.split(",")
      .map((part) => part.trim())
      .filter(Boolean) ?? [];
  if (!secret.length)
    throw new OtpError(
      "invalid_config",
      "OTP_SECRET is not set. Generate one with `openssl rand -base64 32`.",
    );
  const options: OtpOptions = { secret };
  if (env.UNOSEND_API_KEY) {
    options.sender = unosend({
      apiKey: env.UNOSEND_API_KEY,
      ...(env.UNOSEND_API_URL ? { apiUrl: env.UNOSEND_API_URL } : {}),
    });
  }
  const hour = integer(env, "SMS_RATE_LIMIT_HOUR") ?? 3;
  const day = integer(env, "SMS_RATE_LIMIT_DAY") ?? 10;
  options.limits = {
    perPhone: [
      { limit: hour, windowSeconds: 3600 },
      { limit: day, windowSeconds: 86_400 },
    ],
  };
  const ceilingHour = integer(env, "SMS_RATE_LIMIT_PHONE_HOUR");
  const ceilingDay = integer(env, "SMS_RATE_LIMIT_PHONE_DAY");
  if (ceilingHour !== undefined || ceilingDay !== undefined)
    options.limits.phoneCeiling = [
      { limit: ceilingHour ?? 10, windowSeconds: 3600 },
      { limit: ceilingDay ?? 30, windowSeconds: 86_400 },
    ];
  const verifyPerIp = integer(env, "SMS_RATE_LIMIT_VERIFY_IP");
  if (verifyPerIp) options.limits.verifyPerIp = [{ limit: verifyPerIp, windowSeconds: 600 }];
  const perIp = integer(env, "SMS_RATE_LIMIT_IP");
  if (perIp) options.limits.perIp = [{ limit: perIp, windowSeconds: 600 }];
  const cooldown = integer(env, "SMS_RESEND_COOLDOWN_SECONDS", 0);
  if (cooldown !== undefined) options.limits.resendCooldownSeconds = cooldown;
  const countries = env.OTP_COUNTRIES?.trim();
  if (countries) options.phone = countryPolicy(countries);
  const otpMinutes = integer(env, "OTP_EXPIRY_MINUTES");
  const magicMinutes = integer(env, "MAGIC_LINK_EXPIRY_MINUTES");
  const resetMinutes = integer(env, "PASSWORD_RESET_EXPIRY_MINUTES");
  options.expiryMinutes = {
    ...(otpMinutes
      ? { login: otpMinutes, signup: otpMinutes, two_factor: otpMinutes, transaction: otpMinutes }
      : {}),
    ...(magicMinutes ? { magic_link: magicMinutes } : {}),
    ...(resetMinutes ? { password_reset: resetMinutes } : {}),
  };
  return options;
}

/** `createOtp(otpOptionsFromEnv(env))` with `overrides` on top; a missing or short secret fails at startup. */
export function createOtpFromEnv(overrides: Partial<OtpOptions> = {}, env?: Env): Otp {
  const fromEnv = otpOptionsFromEnv(env);
  return createOtp({
    ...fromEnv,
    ...overrides,
    limits: { ...fromEnv.limits, ...overrides.limits },
    phone: { ...fromEnv.phone, ...overrides.phone },
    expiryMinutes: { ...fromEnv.expiryMinutes, ...overrides.expiryMinutes },
  });
}

/** `US,CA` → allow those; `all` → every country; `all,!RU,!KP` → every country but those. */
export function countryPolicy(text: string): PhonePolicy {
  const parts = text
    .split(",")
    .map((part) => part.trim().toUpperCase())
    .filter(Boolean);
  const blocked = parts.filter((part) => part.startsWith("!")).map((part) => part.slice(1));
  const listed = parts.filter((part) => !part.startsWith("!"));
  const valid = (code: string) => /^[A-Z]{2}$/.test(code);
  if (!listed.length || ![...blocked, ...listed.filter((code) => code !== "ALL")].every(valid))
    throw new OtpError(
      "invalid_config",
      'OTP_COUNTRIES lists ISO 3166 country codes ("US,CA"), or "all", optionally with exclusions ("all,!RU").',
    );
  const allowed = listed.includes("ALL") ? ("all" as const) : (listed as CountryCode[]);
  return {
    allowedCountries: allowed,
    ...(blocked.length ? { blockedCountries: blocked as CountryCode[] } : {}),
  };
}
