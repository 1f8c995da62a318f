import { createOtpFromEnv, type Otp } from "@otpkit/next-auth";
import { smsTemplates } from "@otpkit/otp-core/locales";
import { storeFromEnv } from "./store";

/**
 * Development-only defaults, so `pnpm dev` works on a fresh clone: a fixed secret and the local
 * `otpkit sandbox` as the SMS provider. Under NODE_ENV=production (which `next build` and
 * `next start` set) they are refused: a real deployment sets its own values (`pnpm demo` generates them).
 */
const developmentDefaults = {
  OTP_SECRET: "otpkit-example-development-secret-never-use-in-production",
  UNOSEND_API_KEY: "sandbox",
  UNOSEND_API_URL: "http://127.0.0.1:4025/api/v1",
  // The countries codes may go to (the fraud guard's first rule); production must choose its own.
  OTP_COUNTRIES: "US,CA,GB",
};

async function createAppOtp(): Promise<Otp> {
  const env: Record<string, string | undefined> = { ...process.env };
  const production = env.NODE_ENV === "production";
  for (const [name, fallback] of Object.entries(developmentDefaults)) {
    if (env[name]) continue;
    if (production) throw new Error(`${name} must be set in production (see .env.example).`);
    env[name] = fallback;
  }
  const store = await storeFromEnv(env);
  return createOtpFromEnv(
    {
      ...(store ? { store } : {}),
      appName: env.OTP_APP_NAME ?? "otpkit example",
      // The SMS in the sign-in page's language (it sends `locale`); English where none matches.
      locales: smsTemplates,
      // `@127.0.0.1 #123456` as the last SMS line lets browsers offer the code (WebOTP, iOS autofill).
      ...(env.OTP_WEBOTP_DOMAIN ? { webOtpDomain: env.OTP_WEBOTP_DOMAIN } : {}),
    },
    env,
  );
}

// One instance per server process. Next.js may evaluate this module once per route bundle, and
// the memory store must be the same for the send route and the sign-in route: keep it on globalThis.
const holder = globalThis as { otpkitExample?: Promise<Otp> };

/** The app's otp-core instance, created on first use (never during `next build`). */
export function getOtp(): Promise<Otp> {
  holder.otpkitExample ??= createAppOtp().catch((error) => {
    holder.otpkitExample = undefined; // retry on the next request, e.g. once Redis is back
    throw error;
  });
  return holder.otpkitExample;
}
