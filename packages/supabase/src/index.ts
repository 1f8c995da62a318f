/**
 * `@otpkit/supabase`: a Supabase Send SMS Hook that delivers the codes Supabase makes through any
 * otpkit sender, under otp-core's per-number, per-IP and per-prefix limits, with failover and a
 * WhatsApp policy. Runs unchanged on Deno (Supabase Edge Functions) and Node.
 *
 * @example
 * ```ts
 * // supabase/functions/send-sms/index.ts
 * import { createOtp, createSendSmsHook, unosend } from "@otpkit/supabase";
 * import { postgresStore } from "@otpkit/storage-postgres";
 *
 * const hook = createSendSmsHook({
 *   secret: Deno.env.get("SEND_SMS_HOOK_SECRETS")!,
 *   otp: async () => createOtp({ production: true, secret: …, store: await postgresStore.fromUrl(…), sender: … }),
 * });
 * Deno.serve(hook);
 * ```
 *
 * @module
 */
export {
  type Channel,
  countryPolicy,
  createOtp,
  createOtpFromEnv,
  type DeliverInput,
  type DeliverResult,
  failover,
  isOtpError,
  type Otp,
  OtpError,
  type OtpErrorCode,
  type OtpEvent,
  type OtpOptions,
  type OtpSource,
  type Purpose,
  type Sender,
  type Store,
  twilio,
  unosend,
} from "@otpkit/otp-core";
export { type ChannelContext, type ChannelPolicy, pickChannel } from "./channel.js";
export { type HookErrorRow, hookErrors, toHookError } from "./errors.js";
export { createSendSmsHook, type SendSmsHook } from "./hook.js";
export type { SendSmsHookOptions } from "./options.js";
export { parseSendSmsPayload, type SendSmsPayload, type SupabaseUser } from "./payload.js";
export { type HookSecret, isSignedByGoTrue, parseHookSecrets } from "./webhook.js";
