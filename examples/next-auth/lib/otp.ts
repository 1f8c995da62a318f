import { createOtpFromEnv, type Otp } from "@otpkit/next-auth";
import type { CountryCode, OtpEvent } from "@otpkit/otp-core";
import { smsTemplates } from "@otpkit/otp-core/locales";
import { inboxUrlFrom, postToInbox } from "./inbox-events";
import { logOtpEvent } from "./otp-log";
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

/** The login text names the app (`OTP_APP_NAME`): people trust a code that says who sent it. */
const loginTemplate = "{app}: your login code is {code}. Valid for {minutes} minutes. Do not share it.";

/**
 * Core's ready-made texts per locale, each login text naming the app as the English one does;
 * English itself is `loginTemplate` (a locale that has no entry falls back to `templates`).
 */
const localesNamingTheApp = Object.fromEntries(
  Object.entries(smsTemplates)
    .filter(([locale]) => locale !== "en")
    .map(([locale, texts]) => [
      locale,
      { ...texts, ...(texts.login ? { login: `{app}: ${texts.login}` } : {}) },
    ]),
);

/** `OTP_DEFAULT_COUNTRY` (ISO 3166 alpha-2, e.g. `US`): the country of numbers typed without `+`. */
export function defaultCountryFrom(env: Record<string, string | undefined>): CountryCode | undefined {
  const country = env.OTP_DEFAULT_COUNTRY?.trim().toUpperCase();
  if (!country) return undefined;
  if (!/^[A-Z]{2}$/.test(country))
    throw new Error(`OTP_DEFAULT_COUNTRY is a two-letter country code such as US, not "${country}".`);
  return country as CountryCode;
}

async function createAppOtp(): Promise<Otp> {
  const env: Record<string, string | undefined> = { ...process.env };
  const production = env.NODE_ENV === "production";
  const usesDevelopmentSandbox = !env.UNOSEND_API_URL;
  for (const [name, fallback] of Object.entries(developmentDefaults)) {
    if (env[name]) continue;
    if (production) throw new Error(`${name} must be set in production (see .env.example).`);
    env[name] = fallback;
  }
  const store = await storeFromEnv(env);
  const defaultCountry = defaultCountryFrom(env);
  const inboxUrl = inboxUrlFrom(env, usesDevelopmentSandbox);
  const toInbox = inboxUrl ? postToInbox(inboxUrl) : undefined;
  return createOtpFromEnv(
    {
      ...(store ? { store } : {}),
      appName: env.OTP_APP_NAME ?? "otpkit example",
      templates: { login: loginTemplate },
      // The SMS in the sign-in page's language (it sends `locale`); English where none matches.
      locales: localesNamingTheApp,
      // `@127.0.0.1 #123456` as the last SMS line lets browsers offer the code (WebOTP, iOS autofill).
      // A host only: the origin-bound format has no port.
      ...(env.OTP_WEBOTP_DOMAIN ? { webOtpDomain: env.OTP_WEBOTP_DOMAIN } : {}),
      ...(defaultCountry ? { phone: { defaultCountry } } : {}),
      // One line per provider refusal (402 loudly), and the sandbox inbox told what became of each code.
      onEvent: (event: OtpEvent) => {
        logOtpEvent(event);
        toInbox?.(event);
      },
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
