/**
 * Signed Send SMS Hook calls for tests, made with the `standardwebhooks` package the way GoTrue
 * signs them: `v1,<base64 HMAC>` per secret, joined by ", ", over `<id>.<timestamp>.<body>`.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { Webhook } from "standardwebhooks";

/** A hook secret as Supabase shows it. */
export const newHookSecret = () => `v1,whsec_${randomBytes(32).toString("base64")}`;

/** `webhook-*` headers for `body`, signed with every secret (GoTrue's rotation form). */
export function signHeaders(
  secrets: readonly string[],
  body: string,
  { id = randomUUID(), at = new Date() }: { id?: string; at?: Date } = {},
): Record<string, string> {
  const signature = secrets
    .map((secret) => new Webhook(secret.replace(/^v1,/, "")).sign(id, at, body))
    .join(", ");
  return {
    "content-type": "application/json",
    "accept-encoding": "identity",
    "webhook-id": id,
    "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
    "webhook-signature": signature,
  };
}

export interface PayloadInput {
  phone: string;
  otp?: string;
  userId?: string;
  uuid?: string;
  ip?: string;
  smsType?: "mfa";
  /** `false`: a GoTrue older than 2026-02-05, which sends no `metadata`. */
  metadata?: boolean;
  userMetadata?: Record<string, unknown>;
}

/** A digits-only code of six. */
export const randomCode = () => String(randomBytes(4).readUInt32BE() % 1_000_000).padStart(6, "0");

/** A documented `SendSMSInput` body. `phone` is E.164; GoTrue sends it without the "+". */
export function sendSmsPayload(input: PayloadInput) {
  const userId = input.userId ?? randomUUID();
  const now = new Date().toISOString();
  return {
    ...(input.metadata === false
      ? {}
      : {
          metadata: {
            uuid: input.uuid ?? randomUUID(),
            time: now,
            name: "send-sms",
            ip_address: input.ip ?? "203.0.113.7",
          },
        }),
    user: {
      id: userId,
      aud: "authenticated",
      role: "authenticated",
      email: "",
      phone: input.phone.replace("+", ""),
      app_metadata: { provider: "phone", providers: ["phone"] },
      user_metadata: input.userMetadata ?? {},
      identities: [],
      created_at: now,
      updated_at: now,
      is_anonymous: false,
    },
    sms: {
      otp: input.otp ?? randomCode(),
      phone: input.phone.replace("+", ""),
      ...(input.smsType ? { sms_type: input.smsType } : {}),
    },
  };
}

export interface HookAnswer {
  status: number;
  contentType: string | null;
  text: string;
  json: unknown;
}

/** POSTs `body` with `headers` and reads the whole answer. */
export async function post(url: string, body: string, headers: Record<string, string>): Promise<HookAnswer> {
  const response = await fetch(url, { method: "POST", body, headers });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, contentType: response.headers.get("content-type"), text, json };
}

/** A signed call of `payload`, as GoTrue makes it. */
export function callHook(
  url: string,
  secrets: readonly string[],
  payload: unknown,
  options?: { id?: string; at?: Date },
) {
  const body = JSON.stringify(payload);
  return post(url, body, signHeaders(secrets, body, options));
}
