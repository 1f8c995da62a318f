/**
 * The Send SMS Hook's body (GoTrue's `SendSMSInput`), parsed strictly: whatever does not have the
 * documented shape is refused as `invalid_request` (the hook answers GoTrue a 400-style hook error
 * and sends nothing), so a misconfigured hook or a changed payload fails loudly instead of texting
 * the wrong number.
 */
import { OtpError } from "@otpkit/otp-core";

/** The GoTrue user object the hook receives (the fields otpkit reads; GoTrue sends more). */
export interface SupabaseUser {
  id: string;
  aud?: string;
  role?: string;
  email?: string;
  /** May carry a "+" (the docs' example does) or not. */
  phone?: string;
  /** Set during a phone change; `sms.phone` is then this number. */
  new_phone?: string;
  app_metadata?: Record<string, unknown>;
  user_metadata?: Record<string, unknown>;
  [field: string]: unknown;
}

export interface SendSmsPayload {
  /** Absent from GoTrue builds before 2026-02-05 (supabase/auth#2365). */
  metadata?: {
    /** One per hook invocation, the same on GoTrue's retries of it: the dedupe key. */
    uuid: string;
    time?: string;
    name?: "send-sms";
    /** The client IP as GoTrue saw it. */
    ip_address?: string;
  };
  user: SupabaseUser;
  sms: {
    /** The code GoTrue made (and will check). */
    otp: string;
    /** Digits only: GoTrue strips the "+". */
    phone: string;
    /** `"mfa"` only for the MFA phone-factor challenge; absent for login, signup, phone change, reauthentication. */
    sms_type?: string;
  };
}

const bad = (field: string, message: string) => new OtpError("invalid_request", message, { field });

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Optional text: absent, null and "" all mean "not given"; anything else must be a short string. */
function optionalText(value: unknown, field: string, maxLength: number): string | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value !== "string" || value.length > maxLength)
    throw bad(field, `${field} must be text of at most ${maxLength} characters.`);
  return value;
}

/** GoTrue's `formatPhoneNumber` check, `^[1-9][0-9]{1,14}$`; a "+" is tolerated in case a proxy adds one. */
const smsPhonePattern = /^\+?[1-9]\d{1,14}$/;
/** GoTrue's codes are 6–10 digits (`SMS_OTP_LENGTH`, the MFA length); core delivers 4–10. */
const otpPattern = /^\d{4,10}$/;

/**
 * Checks a parsed JSON body against the documented Send SMS Hook payload and returns only what
 * the hook uses, typed. Throws `invalid_request` (with `field`) for anything else.
 */
export function parseSendSmsPayload(body: unknown): SendSmsPayload {
  if (!isObject(body)) throw bad("body", "The hook payload must be a JSON object.");
  const { user, sms, metadata } = body;

  if (!isObject(user)) throw bad("user", "The hook payload has no user object.");
  if (typeof user.id !== "string" || user.id.length === 0 || user.id.length > 255)
    throw bad("user.id", "The hook payload's user has no id.");

  if (!isObject(sms)) throw bad("sms", "The hook payload has no sms object.");
  if (typeof sms.otp !== "string" || !otpPattern.test(sms.otp))
    throw bad("sms.otp", "The hook payload's code must be 4 to 10 digits.");
  // No fallback to user.phone: during a phone change or an MFA challenge the code belongs to
  // another number (the new one, the factor's), and texting a code to the wrong phone is worse
  // than not texting it. GoTrue has sent sms.phone since 2025-09-23 (supabase/auth#2160).
  if (typeof sms.phone !== "string" || !smsPhonePattern.test(sms.phone))
    throw bad(
      "sms.phone",
      "The hook payload's sms.phone must be the number's digits (GoTrue 2025-09 or later).",
    );
  const smsType = optionalText(sms.sms_type, "sms.sms_type", 32);

  let parsedMetadata: SendSmsPayload["metadata"];
  if (metadata !== undefined && metadata !== null) {
    if (!isObject(metadata)) throw bad("metadata", "The hook payload's metadata must be an object.");
    const uuid = metadata.uuid;
    if (typeof uuid !== "string" || uuid.length === 0 || uuid.length > 128)
      throw bad("metadata.uuid", "The hook payload's metadata has no uuid.");
    // Another hook (send-email, …) pointed at this function by mistake.
    if (metadata.name !== undefined && metadata.name !== "send-sms")
      throw bad("metadata.name", "This function only serves the send-sms hook.");
    const ip = optionalText(metadata.ip_address, "metadata.ip_address", 64);
    const time = optionalText(metadata.time, "metadata.time", 64);
    parsedMetadata = {
      uuid,
      ...(metadata.name ? { name: "send-sms" as const } : {}),
      ...(time ? { time } : {}),
      ...(ip ? { ip_address: ip } : {}),
    };
  }

  return {
    ...(parsedMetadata ? { metadata: parsedMetadata } : {}),
    user: user as SupabaseUser,
    sms: { otp: sms.otp, phone: sms.phone, ...(smsType ? { sms_type: smsType } : {}) },
  };
}

/** The number in E.164: GoTrue strips the "+", the core wants it back. */
export const e164 = (smsPhone: string): string => (smsPhone.startsWith("+") ? smsPhone : `+${smsPhone}`);
