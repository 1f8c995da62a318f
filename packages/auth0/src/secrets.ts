/**
 * An otp-core instance from an Action's secrets: what the prebuilt Actions use, and what your own
 * Action can use as `otp: (event) => otpFromSecrets(event.secrets)`.
 *
 * `NODE_ENV` means nothing in an Action, so `production` is set here explicitly: from
 * `OTP_PRODUCTION`, **true unless it is `false`** — a deployed Action serves real people.
 */
import {
  createOtpFromEnv,
  failover,
  type Otp,
  OtpError,
  type OtpOptions,
  type Sender,
  type Store,
  unosend,
} from "@otpkit/otp-core";
import type { MessageType, PhoneNotification, Secrets } from "./types.js";

/** The secrets `otpFromSecrets` reads. Only `OTP_SECRET` and `UNOSEND_API_KEY` are required. */
export const secretNames = [
  "OTP_SECRET",
  "UNOSEND_API_KEY",
  "UNOSEND_API_URL",
  "UNOSEND_FALLBACK_API_KEY",
  "UNOSEND_FALLBACK_API_URL",
  "REDIS_URL",
  "REDIS_PREFIX",
  "OTP_PRODUCTION",
  "OTP_ALLOW_MEMORY_STORE",
  "OTP_APP_NAME",
  "OTP_COUNTRIES",
  "SMS_RATE_LIMIT_HOUR",
  "SMS_RATE_LIMIT_DAY",
  "SMS_RATE_LIMIT_IP",
  "SMS_RESEND_COOLDOWN_SECONDS",
] as const;

/** Per-sender budget inside the failover: two tries must fit Auth0's 20-second execution. */
const senderTimeoutMs = 5000;

function flag(secrets: Secrets, name: string, fallback: boolean): boolean {
  const value = secrets[name]?.trim().toLowerCase();
  if (value === undefined || value === "") return fallback;
  if (value === "true" || value === "1") return true;
  if (value === "false" || value === "0") return false;
  throw new OtpError("invalid_config", `${name} must be true or false.`);
}

function senderFromSecrets(secrets: Secrets): Sender {
  const primaryKey = secrets.UNOSEND_API_KEY;
  if (!primaryKey)
    throw new OtpError("invalid_config", "UNOSEND_API_KEY is not set in the Action's secrets.");
  const primary = unosend({
    apiKey: primaryKey,
    timeoutMs: senderTimeoutMs,
    ...(secrets.UNOSEND_API_URL ? { apiUrl: secrets.UNOSEND_API_URL } : {}),
  });
  const fallbackKey = secrets.UNOSEND_FALLBACK_API_KEY;
  if (!fallbackKey) return primary;
  const fallback = unosend({
    apiKey: fallbackKey,
    timeoutMs: senderTimeoutMs,
    ...(secrets.UNOSEND_FALLBACK_API_URL ? { apiUrl: secrets.UNOSEND_FALLBACK_API_URL } : {}),
  });
  return failover([primary, fallback], { timeoutMs: senderTimeoutMs });
}

/**
 * `REDIS_URL` → a Redis store shared by every Action instance (and your app). Without it, the
 * memory store, which the phone Actions refuse in production unless `OTP_ALLOW_MEMORY_STORE=true`
 * (`memoryStoreAllowed`): each instance would keep its own budgets and idempotency keys.
 */
async function storeFromSecrets(secrets: Secrets): Promise<Store | undefined> {
  const url = secrets.REDIS_URL;
  if (!url) return undefined;
  const { redisStore } = await import("@otpkit/storage-redis");
  try {
    return await redisStore.fromUrl(url, {
      ...(secrets.REDIS_PREFIX ? { prefix: secrets.REDIS_PREFIX } : {}),
      timeoutMs: 2000,
      connectTimeoutMs: 2000,
    });
  } catch (cause) {
    // Not cached by resolveOtp: the next execution connects again.
    throw new OtpError("store_unavailable", "Redis (REDIS_URL) is unavailable.", { cause });
  }
}

/** `OTP_ALLOW_MEMORY_STORE=true`: the `allowMemoryStore` option of the phone Actions. Default: `false`. */
export const memoryStoreAllowed = (secrets: Secrets): boolean =>
  flag(secrets, "OTP_ALLOW_MEMORY_STORE", false);

/**
 * Reads `OTP_SECRET` (comma-separated to rotate), `UNOSEND_API_KEY` / `UNOSEND_API_URL`, the
 * optional fallback provider `UNOSEND_FALLBACK_API_KEY` / `UNOSEND_FALLBACK_API_URL` (failover),
 * `REDIS_URL` / `REDIS_PREFIX` (else the memory store), `OTP_PRODUCTION` (default `true`),
 * `OTP_APP_NAME`, `OTP_COUNTRIES` (the countries codes may go to: `US,CA` or `all`; required in
 * production) and otp-core's `SMS_RATE_LIMIT_HOUR` / `_DAY` / `_IP` and
 * `SMS_RESEND_COOLDOWN_SECONDS`. `overrides` win.
 */
export async function otpFromSecrets(secrets: Secrets, overrides: Partial<OtpOptions> = {}): Promise<Otp> {
  const env = { ...secrets };
  const production = overrides.production ?? flag(secrets, "OTP_PRODUCTION", true);
  const options: Partial<OtpOptions> = {
    ...(secrets.OTP_APP_NAME ? { appName: secrets.OTP_APP_NAME } : {}),
    ...overrides,
    production,
    sender: overrides.sender ?? senderFromSecrets(secrets),
  };
  // Every check that needs no connection first (a dry run on the memory store): a missing or
  // short secret never opens, and leaks, a Redis connection on every execution.
  createOtpFromEnv(options, env);
  const store = overrides.store ?? (await storeFromSecrets(secrets));
  return createOtpFromEnv({ ...options, ...(store ? { store } : {}) }, env);
}

/** `SMS_TEMPLATE_OTP_VERIFY`, `SMS_TEMPLATE_OTP_ENROLL`, …: an otpkit template per message type, else Auth0's text. */
export function templateFromSecrets(secrets: Secrets, notification: PhoneNotification): string | undefined {
  const type: MessageType = notification.message_type;
  return secrets[`SMS_TEMPLATE_${type.toUpperCase()}`] || undefined;
}
