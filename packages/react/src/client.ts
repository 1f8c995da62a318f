import { isOtpErrorCode, parseError, parseSendReply } from "@otpkit/otp-core/protocol";
import type { OtpErrorInfo } from "./messages.js";

/** A failure with a stable error code, thrown by `requestCode` and understood by `useOtpFlow`. */
export class OtpClientError extends Error implements OtpErrorInfo {
  override readonly name = "OtpClientError";
  readonly code: string;
  readonly retryAfter?: number;
  readonly attemptsLeft?: number;
  readonly reason?: string;
  readonly source?: "app" | "provider";

  constructor(info: OtpErrorInfo) {
    super(info.message ?? info.code);
    this.code = info.code;
    if (info.retryAfter !== undefined) this.retryAfter = info.retryAfter;
    if (info.attemptsLeft !== undefined) this.attemptsLeft = info.attemptsLeft;
    if (info.reason !== undefined) this.reason = info.reason;
    if (info.source !== undefined) this.source = info.source;
  }
}

/** What the UI needs from a send: the server's answer with its dates parsed. */
export interface SentCode {
  /** The verification id. */
  id: string;
  /** The normalized E.164 number: verify with this, not with what the person typed. */
  phone: string;
  /** The number as it may be shown, e.g. `+1 ***-***-0123`. */
  maskedPhone: string;
  expiresAt: Date;
  /** When the resend button unlocks. */
  resendAvailableAt: Date;
}

export interface RequestCodeOptions {
  /** Extra JSON fields for the send endpoint, e.g. `{ purpose: "signup" }`. Default: none. */
  body?: Record<string, unknown>;
  /** Default: `globalThis.fetch`. */
  fetch?: typeof globalThis.fetch;
  signal?: AbortSignal;
}

/**
 * POSTs `{ phone, ...body }` to an otpkit send endpoint and returns the sent code's details.
 * Failures become an `OtpClientError` carrying the server's stable code (`network_error` when the
 * server cannot be reached, `unknown` when it answers something that is not otpkit's JSON).
 */
export async function requestCode(
  url: string,
  phone: string,
  { body, fetch = globalThis.fetch, signal }: RequestCodeOptions = {},
): Promise<SentCode> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ ...body, phone }),
      ...(signal ? { signal } : {}),
    });
  } catch (cause) {
    if (signal?.aborted) throw cause;
    throw new OtpClientError({ code: "network_error" });
  }
  const json: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    const error = parseError(json, response.status, response.headers.get("retry-after"));
    // Not otpkit's JSON (a proxy's error page): say so rather than guess a cause from the status.
    const ours = isOtpErrorCode((json as { error?: { code?: unknown } } | null)?.error?.code);
    throw new OtpClientError({
      code: ours || response.status === 429 ? error.code : "unknown",
      ...(ours ? { message: error.message } : {}),
      ...(error.retry_after !== undefined ? { retryAfter: error.retry_after } : {}),
      ...(error.attempts_left !== undefined ? { attemptsLeft: error.attempts_left } : {}),
      ...(ours && error.reason !== undefined ? { reason: error.reason } : {}),
      ...(ours && error.source !== undefined ? { source: error.source } : {}),
    });
  }
  const reply = parseSendReply(json);
  if (!reply) throw new OtpClientError({ code: "unknown" });
  return {
    id: reply.id,
    phone: reply.phone,
    maskedPhone: reply.masked_phone,
    expiresAt: new Date(reply.expires_at),
    // Without the field the server has no cooldown to tell: the button is ready at once.
    resendAvailableAt: new Date(reply.resend_available_at),
  };
}

/**
 * A code with details as `@otpkit/next-auth` writes them into NextAuth's one channel, the error
 * message: `invalid_code;attempts_left=2`, `too_many_attempts;retry_after=30`. A bare code reads as itself.
 */
function fromMessage(text: string): OtpErrorInfo {
  const [code = "unknown", ...pairs] = text.split(";");
  const info: OtpErrorInfo = { code: code || "unknown" };
  for (const pair of pairs) {
    const [name, raw] = pair.split("=");
    const number = Number(raw);
    if (!Number.isFinite(number) || number < 0) continue;
    if (name === "attempts_left") info.attemptsLeft = number;
    else if (name === "retry_after" && number > 0) info.retryAfter = number;
  }
  return info;
}

/** Reads a stable error out of anything `verify` threw or returned (NextAuth's `{ error }` included). */
export function toErrorInfo(error: unknown): OtpErrorInfo {
  if (typeof error === "string") return fromMessage(error);
  if (error && typeof error === "object") {
    const candidate = error as Partial<OtpErrorInfo> & { error?: unknown };
    if (typeof candidate.code === "string") return candidate as OtpErrorInfo;
    if (typeof candidate.error === "string") return fromMessage(candidate.error);
  }
  return { code: "unknown" };
}
