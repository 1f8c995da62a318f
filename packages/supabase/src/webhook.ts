/**
 * The Standard Webhooks check GoTrue's hook calls carry (`webhook-id`, `webhook-timestamp`,
 * `webhook-signature`), done by the `standardwebhooks` package: HMAC-SHA-256 over
 * `<id>.<timestamp>.<body>`, compared in constant time, timestamps within 5 minutes either way.
 */
import { OtpError } from "@otpkit/otp-core";
import { Webhook } from "standardwebhooks";

/**
 * The hook secret(s) as Supabase shows them: `v1,whsec_<base64>`. Several for rotation, as a list
 * or in one string joined by `|` (GoTrue's own separator, so `SEND_SMS_HOOK_SECRETS` can be
 * passed as it is).
 */
export type HookSecret = string | readonly string[];

/** The smallest key accepted: Supabase generates far longer ones; a short one is a paste error. */
const minKeyBytes = 16;

function webhookFor(secret: string): Webhook {
  // standardwebhooks strips `whsec_` but not Supabase's `v1,` (it would throw "Base64Coder:
  // incorrect characters"); the `whsec_` is required here so that another value pasted by
  // mistake (a JWT secret, the service key) is caught at startup, not as a 401 per request.
  const key = secret.startsWith("v1,") ? secret.slice(3) : secret;
  const base64 = key.startsWith("whsec_") ? key.slice(6) : undefined;
  let bytes = 0;
  try {
    if (base64 !== undefined) bytes = atob(base64).length;
  } catch {
    bytes = 0;
  }
  if (bytes < minKeyBytes)
    throw new OtpError(
      "invalid_config",
      "The send-sms hook secret must look like v1,whsec_<base64> (copy it from Auth > Hooks).",
    );
  return new Webhook(key);
}

/** Parses the secret(s) once; throws `invalid_config` for anything that is not a hook secret. */
export function parseHookSecrets(secret: HookSecret): Webhook[] {
  const list = (typeof secret === "string" ? secret.split("|") : [...secret])
    .map((part) => (typeof part === "string" ? part.trim() : ""))
    .filter(Boolean);
  if (!list.length)
    throw new OtpError(
      "invalid_config",
      "The send-sms hook needs its secret (v1,whsec_…), e.g. from SEND_SMS_HOOK_SECRETS.",
    );
  return list.map(webhookFor);
}

/**
 * Whether `body` was signed by GoTrue with one of `webhooks`' secrets, recently. Every failure
 * (missing headers, a bad or stale timestamp, no matching signature) is simply `false`: the caller
 * answers 401 and tells the sender nothing more.
 */
export function isSignedByGoTrue(webhooks: readonly Webhook[], body: string, headers: Headers): boolean {
  const signed = {
    "webhook-id": headers.get("webhook-id") ?? "",
    "webhook-timestamp": headers.get("webhook-timestamp") ?? "",
    "webhook-signature": headers.get("webhook-signature") ?? "",
  };
  for (const webhook of webhooks) {
    try {
      webhook.verify(body, signed, { jsonParse: false });
      return true;
    } catch {
      // Not this secret (or not signed at all): try the next one.
    }
  }
  return false;
}
