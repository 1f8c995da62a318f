import type { OtpEvent } from "@otpkit/otp-core";

type Env = Record<string, string | undefined>;

/**
 * Where the sandbox inbox is (`OTPKIT_INBOX_URL`, e.g. `http://127.0.0.1:4025`), when this app
 * should tell it what became of each code, so it can mark codes used, locked or not delivered. In
 * production only a loopback inbox counts (the demo's): events leave the machine for no one.
 * Without the variable, `pnpm dev` uses the sandbox its development defaults text.
 */
export function inboxUrlFrom(env: Env, usesDevelopmentSandbox: boolean): string | undefined {
  const configured = env.OTPKIT_INBOX_URL?.trim().replace(/\/+$/, "");
  if (!configured)
    return env.NODE_ENV !== "production" && usesDevelopmentSandbox ? "http://127.0.0.1:4025" : undefined;
  let url: URL;
  try {
    url = new URL(configured);
  } catch {
    return undefined;
  }
  const loopback = ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname);
  return env.NODE_ENV === "production" && !loopback ? undefined : url.origin;
}

/**
 * An `onEvent` listener that posts each outcome that names a verification id (verified, failed)
 * to the inbox's `POST /api/sandbox/events`. Only `type`, `id` and `reason` travel — events
 * never hold a code, and the masked phone is not needed. Fire and forget: a sandbox that is down
 * costs the sign-in nothing.
 */
export function postToInbox(inboxUrl: string): (event: OtpEvent) => void {
  const endpoint = `${inboxUrl}/api/sandbox/events`;
  return (event) => {
    // Only outcomes change a mark; the sandbox learns of sends from the SMS itself.
    if ((event.type !== "verified" && event.type !== "failed") || !event.id) return;
    const body = {
      type: event.type,
      id: event.id,
      ...(event.type === "failed" ? { reason: event.reason } : {}),
    };
    fetch(endpoint, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(2000),
    }).catch(() => undefined);
  };
}
