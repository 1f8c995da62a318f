// supabase/functions/send-sms/index.ts — Supabase Auth's Send SMS Hook, delivered by otpkit.
//
// Deploy:  supabase functions deploy send-sms --no-verify-jwt
// (GoTrue signs its calls with the hook secret, not with a user's JWT: the hook checks that itself.)
import {
  countryPolicy,
  createOtpFromEnv,
  createSendSmsHook,
  failover,
  type Otp,
  type Sender,
  twilio,
  unosend,
} from "@otpkit/supabase";

const env = Deno.env.toObject();
/**
 * Edge Functions have no NODE_ENV, so production is said here, explicitly: on unless
 * OTPKIT_ENV=development (the safe default for a deployed function). Production refuses the
 * memory store, otpkit's test numbers and every fallback below.
 */
const production = env.OTPKIT_ENV !== "development";

function required(name: string, developmentDefault?: string): string {
  const value = env[name] || (production ? undefined : developmentDefault);
  if (!value)
    throw new Error(
      `${name} must be set${production ? " in production (OTPKIT_ENV is not development)" : ""}.`,
    );
  return value;
}

/**
 * Rate limits and duplicate detection must be shared by every isolate Supabase starts: the
 * project's own PostgreSQL (DATABASE_URL, tables created on first start) or Redis (REDIS_URL).
 * Without either, development gets the memory store (one isolate, lost on restart).
 */
async function storeFromEnv() {
  if (env.REDIS_URL) {
    const { redisStore } = await import("@otpkit/storage-redis");
    return redisStore.fromUrl(env.REDIS_URL, env.REDIS_KEY_PREFIX ? { prefix: env.REDIS_KEY_PREFIX } : {});
  }
  if (env.DATABASE_URL) {
    const { postgresStore } = await import("@otpkit/storage-postgres");
    // A small pool: every isolate has its own.
    return postgresStore.fromUrl(env.DATABASE_URL, { max: 2 });
  }
  if (production) throw new Error("DATABASE_URL or REDIS_URL must be set in production: see README.");
  return undefined;
}

/** Unosend (or the local `otpkit sandbox` in development), then Twilio when it is configured. */
function senderFromEnv(): Sender {
  const primary = unosend({
    apiKey: required("UNOSEND_API_KEY", "sandbox"),
    apiUrl: required("UNOSEND_API_URL", "http://127.0.0.1:4025/api/v1"),
  });
  if (!env.TWILIO_ACCOUNT_SID) return primary;
  const backup = twilio({
    accountSid: env.TWILIO_ACCOUNT_SID,
    authToken: required("TWILIO_AUTH_TOKEN"),
    from: required("TWILIO_FROM"),
  });
  // Each provider gets 1.5 s, so both fit in the hook's 3.5 s answer budget.
  return failover([primary, backup], { timeoutMs: 1500 });
}

/** Made on the first hook call (the store connects then), and kept for the isolate's life. */
async function createAppOtp(): Promise<Otp> {
  const store = await storeFromEnv();
  return createOtpFromEnv(
    {
      production,
      // The countries codes may go to: OTP_COUNTRIES ("US,CA", or "all"), required in production.
      phone: countryPolicy(required("OTP_COUNTRIES", "US,CA,GB")),
      sender: senderFromEnv(),
      appName: env.OTP_APP_NAME ?? "",
      ...(store ? { store } : {}),
    },
    env,
  );
}

/** OTP_WHATSAPP_COUNTRIES=BR,IN sends those countries' codes by WhatsApp (SMS if that fails). */
const whatsappCountries = (env.OTP_WHATSAPP_COUNTRIES ?? "")
  .split(",")
  .map((country) => country.trim().toUpperCase())
  .filter(Boolean);

const hook = createSendSmsHook({
  otp: createAppOtp,
  // As Supabase shows it, v1,whsec_…; two joined by | while rotating.
  secret: required("SEND_SMS_HOOK_SECRETS"),
  channel: { byCountry: Object.fromEntries(whatsappCountries.map((country) => [country, "whatsapp"])) },
});

Deno.serve({ hostname: env.HOST ?? "0.0.0.0", port: Number(env.PORT ?? 8000) }, hook);
