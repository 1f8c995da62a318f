import { createOtpFromEnv, type Otp } from "@otpkit/otp-core";

/**
 * Development-only defaults, so `pnpm dev` works on a fresh clone: a fixed secret and the local
 * `otpkit sandbox` as the SMS provider. Under NODE_ENV=production (`next build`, `next start`) they
 * are refused: a deployment sets its own.
 */
const developmentDefaults = {
  OTP_SECRET: "otpkit-auth0-example-development-secret-never-in-production",
  UNOSEND_API_KEY: "sandbox",
  UNOSEND_API_URL: "http://127.0.0.1:4025/api/v1",
};

async function createAppOtp(): Promise<Otp> {
  const env: Record<string, string | undefined> = { ...process.env };
  const production = env.NODE_ENV === "production";
  for (const [name, fallback] of Object.entries(developmentDefaults)) {
    if (env[name]) continue;
    if (production) throw new Error(`${name} must be set in production (see .env.example).`);
    env[name] = fallback;
  }
  // REDIS_URL: the same Redis the Actions use, so one budget covers Auth0's SMS and the step-up's.
  const store = env.REDIS_URL
    ? await (await import("@otpkit/storage-redis")).redisStore.fromUrl(env.REDIS_URL)
    : undefined;
  return createOtpFromEnv({ ...(store ? { store } : {}), appName: env.OTP_APP_NAME ?? "Example" }, env);
}

// One instance per server process (Next.js may evaluate this module once per route bundle, and
// the memory store must be shared by the send and the check route).
const holder = globalThis as { otpkitAuth0Example?: Promise<Otp> };

/** The app's otp-core instance, made on first use (never during `next build`). */
export function getOtp(): Promise<Otp> {
  holder.otpkitAuth0Example ??= createAppOtp().catch((error) => {
    holder.otpkitAuth0Example = undefined; // retry on the next request, e.g. once Redis is back
    throw error;
  });
  return holder.otpkitAuth0Example;
}
