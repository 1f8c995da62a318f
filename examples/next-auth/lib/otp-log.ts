import { isOtpError, type OtpEvent } from "@otpkit/otp-core";

type Env = Record<string, string | undefined>;

/**
 * One line per failure in the app's terminal. The defaults print a whole error: a provider 500 is
 * a 15-line stack, a timeout drags in the DOMException table. The operator needs the error code and
 * what the provider said; `OTPKIT_DEBUG=1` prints the full error as well.
 */
export function oneLine(error: unknown): string {
  if (!isOtpError(error))
    return `otpkit: unexpected error: ${error instanceof Error ? error.message : String(error)}`;
  const cause = error.cause as { name?: string; message?: string } | undefined;
  // The cause's message only: it can be long (a DOMException), but never several lines here.
  const detail = cause?.message
    ? ` (${cause.name ? `${cause.name}: ` : ""}${cause.message.split("\n")[0]})`
    : "";
  return `otpkit: ${error.code} (HTTP ${error.status}): ${error.message}${detail}`;
}

/** The send route's `onError` (every 5xx: provider and store outages). */
export function logServerError(error: unknown, env: Env = process.env): void {
  // A bug (not an OtpError) keeps its stack: that is what a stack is for.
  if (!isOtpError(error)) return void console.error("otpkit: unexpected error:", error);
  console.error(oneLine(error));
  if (env.OTPKIT_DEBUG) console.error(error);
}

/**
 * The provider refusals that are not 5xx and so never reach `onError`: a 402 (the account is out of
 * credit — nothing will be delivered until someone acts) loudly, a provider 429 as a warning.
 * Send failures come with the verification id; verify failures (wrong codes) are not logged.
 */
export function logOtpEvent(event: OtpEvent): void {
  if (event.type !== "failed" || !event.id) return;
  if (event.reason === "quota_exceeded")
    console.error(
      `otpkit: SMS quota exhausted — the provider refused the code to ${event.phone ?? "a number"} (402 quota_exceeded). No code is delivered until the account is topped up.`,
    );
  else if (event.reason === "rate_limited")
    console.warn(
      `otpkit: the SMS provider is rate limiting sends (429 rate_limited); ${event.phone ?? "a number"} got no code.`,
    );
}
