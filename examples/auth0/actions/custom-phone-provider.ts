// actions/custom-phone-provider.ts — the code of Branding › Phone Provider › Custom (trigger
// `custom-phone-provider`), built by `pnpm build` to dist/actions/custom-phone-provider.cjs.
// Secrets: OTP_SECRET, UNOSEND_API_KEY, UNOSEND_API_URL, REDIS_URL (see README.md).
// Dependencies: libphonenumber-js, ioredis.
import { createCustomPhoneProvider, memoryStoreAllowed, otpFromSecrets } from "@otpkit/auth0";

export const { onExecuteCustomPhoneProvider } = createCustomPhoneProvider({
  // Made once per Action instance, on its first execution, then reused.
  otp: (event) => otpFromSecrets(event.secrets, { appName: "Example" }),
  // Production (OTP_PRODUCTION defaults to true) needs REDIS_URL, unless OTP_ALLOW_MEMORY_STORE=true.
  allowMemoryStore: (event) => memoryStoreAllowed(event.secrets),
  // Auth0's own (localised) text, except for enrollment in English: otpkit's template.
  templates: (notification) =>
    notification.message_type === "otp_enroll" && notification.locale?.startsWith("en")
      ? "{app}: {code} confirms this phone for sign-in. It expires in {minutes} minutes."
      : undefined,
  // Each organization gets its own budgets (and nobody else's idempotency keys).
  tenant: (event) => event.organization?.id,
});
