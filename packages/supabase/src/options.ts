import type { OtpSource, Purpose } from "@otpkit/otp-core";
import type { ChannelPolicy } from "./channel.js";
import type { HookSecret } from "./webhook.js";

export interface SendSmsHookOptions {
  /**
   * The otp-core instance, or a function making it on first use (e.g. once the store client is
   * connected). Its store must be shared across isolates (PostgreSQL or Redis) when
   * `production` is set: the memory store is refused there. Required.
   */
  otp: OtpSource;
  /**
   * The hook secret as Supabase shows it (`v1,whsec_…`). Several for rotation: a list, or joined
   * by `|` as GoTrue's `SEND_SMS_HOOK_SECRETS` is. A request is accepted if any of them signed it.
   * Required.
   */
  secret: HookSecret;
  /**
   * Purpose (template, cooldown) of codes without `sms_type`: login, signup confirmation, phone
   * change and reauthentication arrive alike and cannot be told apart. MFA challenges
   * (`sms_type: "mfa"`) always use `"two_factor"`. Default: `"login"`.
   */
  purpose?: Purpose;
  /**
   * How codes go out: `"sms"`, `"whatsapp"`, `{ byCountry, otherwise }`, or a function of
   * `{ phone, country, user, purpose }`. The hook cannot see the channel the client asked for
   * (supabase/supabase#30412), so this is the app's decision. Default: `"sms"`.
   */
  channel?: ChannelPolicy;
  /**
   * When a WhatsApp delivery fails at the provider, send the code by SMS instead, within the same
   * time budget. Default: `true`.
   */
  smsFallback?: boolean;
  /**
   * Milliseconds the hook may take for its whole answer, failover included. GoTrue gives all its
   * attempts one 5-second deadline; answering within 3.5 s leaves room for the network.
   * 1000–4500. Default: `3500`.
   */
  timeoutMs?: number;
  /**
   * Sees every failure answered with a 5xx `http_code` (provider down, store down, a
   * misconfiguration). The default logs its code, message and causes, with the code redacted.
   * A function of your own gets the error itself: its `cause` may be a provider SDK's error,
   * which can quote the message text. Default: one `console.error` line.
   */
  onError?: (error: unknown) => void;
}
