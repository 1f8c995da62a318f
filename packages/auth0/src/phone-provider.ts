/**
 * The two Auth0 phone triggers on one core mapping (`notification.ts`):
 *
 * - `custom-phone-provider` (the Unified Phone Experience: MFA, passwordless SMS, phone as
 *   identifier, password reset): the answer is `api.notification.drop` / `retry`, or a normal return;
 * - `send-phone-message` v2 (older MFA-only tenants): it has no answer API, so a failure throws.
 */
import { type OtpSource, resolveOtp } from "@otpkit/otp-core";
import { deliverNotification, type NotificationOptions } from "./notification.js";
import type {
  CustomPhoneProviderApi,
  CustomPhoneProviderEvent,
  PhoneNotification,
  SendPhoneMessageApi,
  SendPhoneMessageEvent,
} from "./types.js";

export interface CustomPhoneProviderOptions extends NotificationOptions<CustomPhoneProviderEvent> {
  /**
   * The otp-core instance, or a function making it from the event (e.g. from `event.secrets`:
   * `otpFromSecrets`). The function runs once per Action instance, on its first execution; the
   * instance is reused after that (a failed creation is retried on the next execution). Required.
   */
  otp: OtpSource<CustomPhoneProviderEvent>;
}

export interface CustomPhoneProvider {
  onExecuteCustomPhoneProvider(event: CustomPhoneProviderEvent, api: CustomPhoneProviderApi): Promise<void>;
}

/**
 * `module.exports = createCustomPhoneProvider({ otp })` in a `custom-phone-provider` Action. Sent
 * (or already sent for this message) → normal return; refused by the fraud guard, a budget or the
 * number policy → `api.notification.drop(reason)`; the provider or the store down →
 * `api.notification.retry(reason)`; voice → dropped with a clear reason.
 */
export function createCustomPhoneProvider(options: CustomPhoneProviderOptions): CustomPhoneProvider {
  const getOtp = resolveOtp(options.otp);
  return {
    async onExecuteCustomPhoneProvider(event, api) {
      const outcome = await deliverNotification(getOtp, options, event, event.notification, api.cache);
      if (outcome.status === "drop") api.notification.drop(outcome.reason);
      else if (outcome.status === "retry") api.notification.retry(outcome.reason);
    },
  };
}

export interface SendPhoneMessageOptions extends NotificationOptions<SendPhoneMessageEvent> {
  /** As for `createCustomPhoneProvider`, made from this trigger's event. Required. */
  otp: OtpSource<SendPhoneMessageEvent>;
}

export interface SendPhoneMessage {
  onExecuteSendPhoneMessage(event: SendPhoneMessageEvent, api: SendPhoneMessageApi): Promise<void>;
}

/** Auth0's migration map, `send-phone-message` v2 → `custom-phone-provider`. */
export function toPhoneNotification(event: SendPhoneMessageEvent): PhoneNotification {
  const options = event.message_options;
  return {
    as_text: options.text,
    as_voice: options.text,
    code: options.code,
    delivery_method: options.message_type === "voice" ? "voice" : "text",
    // Auth0 calls the mapping of `action` "not 1:1"; enrollment and challenge are the nearest pair.
    message_type: options.action === "enrollment" ? "otp_enroll" : "otp_verify",
    recipient: options.recipient,
    ...(event.request.language ? { locale: event.request.language } : {}),
  };
}

/**
 * `module.exports = createSendPhoneMessage({ otp })` in a `send-phone-message` Action: the same
 * mapping as the custom phone provider. This trigger has no drop or retry, so an undelivered
 * message throws an `Error` whose message is the reason (no code in it): Auth0 then fails the send.
 */
export function createSendPhoneMessage(options: SendPhoneMessageOptions): SendPhoneMessage {
  const getOtp = resolveOtp(options.otp);
  return {
    async onExecuteSendPhoneMessage(event, api) {
      const outcome = await deliverNotification(
        getOtp,
        options,
        event,
        toPhoneNotification(event),
        api.cache,
      );
      if (outcome.status === "drop" || outcome.status === "retry") throw new Error(outcome.reason);
    },
  };
}
