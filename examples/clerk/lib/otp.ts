import { createOtpFromEnv, type Otp, type Store } from "@otpkit/clerk";
import type { CountryCode } from "@otpkit/otp-core";

type Env = Record<string, string | undefined>;

/**
 * Development-only defaults, so `pnpm dev` works on a fresh clone: a fixed secret and the local
 * `otpkit sandbox` as the SMS provider. Under NODE_ENV=production (`next build`, `next start`)
 * they are refused: a real deployment sets its own values.
 */
const developmentDefaults = {
  OTP_SECRET: "otpkit-example-development-secret-never-use-in-production",
  UNOSEND_API_KEY: "sandbox",
  UNOSEND_API_URL: "http://127.0.0.1:4025/api/v1",
  // The countries codes may go to (the fraud guard's first rule); production must choose its own.
  OTP_COUNTRIES: "US,CA,GB",
};

/** `REDIS_URL` → Redis (several instances share codes and limits), else one process's memory. */
async function storeFromEnv(env: Env): Promise<Store | undefined> {
  if (!env.REDIS_URL) return undefined;
  const { redisStore } = await import("@otpkit/storage-redis");
  return redisStore.fromUrl(env.REDIS_URL);
}

async function createAppOtp(): Promise<Otp> {
  const env: Env = { ...process.env };
  for (const [name, fallback] of Object.entries(developmentDefaults)) {
    if (env[name]) continue;
    if (env.NODE_ENV === "production")
      throw new Error(`${name} must be set in production (see .env.example).`);
    env[name] = fallback;
  }
  const store = await storeFromEnv(env);
  const blocked = env.OTP_BLOCKED_COUNTRIES?.split(",")
    .map((code) => code.trim().toUpperCase())
    .filter(Boolean);
  return createOtpFromEnv(
    {
      ...(store ? { store } : {}),
      appName: env.OTP_APP_NAME ?? "otpkit example",
      // The country policy applies to both modes: otpkit's own codes and Clerk's (mode B).
      ...(blocked?.length ? { phone: { blockedCountries: blocked as CountryCode[] } } : {}),
      ...(env.OTP_WEBOTP_DOMAIN ? { webOtpDomain: env.OTP_WEBOTP_DOMAIN } : {}),
    },
    env,
  );
}

// One instance per server process, shared by every route bundle (the memory store must be one).
const holder = globalThis as { otpkitClerkExample?: Promise<Otp> };

/** The app's otp-core instance, created on first use (never during `next build`). */
export function getOtp(): Promise<Otp> {
  holder.otpkitClerkExample ??= createAppOtp().catch((error) => {
    holder.otpkitClerkExample = undefined; // retry on the next request, e.g. once Redis is back
    throw error;
  });
  return holder.otpkitClerkExample;
}
