/**
 * `sms.created` fixtures as Clerk sends them through Svix (`webhooks/2025-04-15.yml`
 * `SmsEventPayload`), signed with `standardwebhooks` and sent with `svix-*` headers.
 */
import { randomBytes } from "node:crypto";
import { Webhook } from "standardwebhooks";

export const newSigningSecret = () => `whsec_${randomBytes(24).toString("base64")}`;

export interface SmsFixture {
  to?: string;
  userId?: string | null;
  message?: string;
  otpCode?: string;
  slug?: string;
  deliveredByClerk?: boolean;
  /** Milliseconds before now that Clerk created the SMS. Default: 0. */
  ageMs?: number;
  clientIp?: string;
}

export function smsEvent(fixture: SmsFixture = {}) {
  const createdAt = Date.now() - (fixture.ageMs ?? 0);
  const code = fixture.otpCode ?? "482913";
  return {
    type: "sms.created",
    object: "event",
    instance_id: "ins_2abcdefghijklmnop",
    timestamp: Math.floor(createdAt / 1000),
    event_attributes: {
      http_request: { client_ip: fixture.clientIp ?? "203.0.113.7", user_agent: "Mozilla/5.0 (test)" },
    },
    data: {
      object: "sms_message",
      id: `sms_${randomBytes(8).toString("hex")}`,
      slug: fixture.slug ?? "verification_code",
      from_phone_number: "+15555550100",
      to_phone_number: fixture.to ?? "+14155550150",
      phone_number_id: "idn_2abc",
      user_id: fixture.userId === undefined ? "user_alice" : fixture.userId,
      message: fixture.message ?? `${code} is your verification code for Acme.`,
      status: "queued",
      data: fixture.otpCode === undefined ? {} : { otp_code: fixture.otpCode },
      delivered_by_clerk: fixture.deliveredByClerk ?? false,
      created_at_ms: createdAt,
    },
  };
}

/** Headers and body as Svix posts them: `svix-id`, `svix-timestamp` (now), `svix-signature`. */
export function signed(secret: string, payload: unknown, options: { id?: string; timestamp?: Date } = {}) {
  const id = options.id ?? `msg_${randomBytes(12).toString("hex")}`;
  const timestamp = options.timestamp ?? new Date();
  const body = JSON.stringify(payload);
  const signature = new Webhook(secret).sign(id, timestamp, body);
  return {
    id,
    body,
    headers: {
      "content-type": "application/json",
      "svix-id": id,
      "svix-timestamp": String(Math.floor(timestamp.getTime() / 1000)),
      "svix-signature": signature,
    } as Record<string, string>,
  };
}

export const toRequest = (
  url: string,
  { body, headers }: { body: string; headers: Record<string, string> },
) => new Request(url, { method: "POST", headers, body });
