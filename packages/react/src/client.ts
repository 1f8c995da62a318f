import type { OtpErrorInfo } from "./messages.js";

/** A failure with a stable error code, thrown by `requestCode` and understood by `useOtpFlow`. */
export class OtpClientError extends Error implements OtpErrorInfo {
  override readonly name = "OtpClientError";
  readonly code: string;
  readonly retryAfter?: number;
  readonly attemptsLeft?: number;

  constructor(info: OtpErrorInfo) {
    super(info.message ?? info.code);
    this.code = info.code;
    if (info.retryAfter !== undefined) this.retryAfter = info.retryAfter;
    if (info.attemptsLeft !== undefined) this.attemptsLeft = info.attemptsLeft;
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

const number = (value: unknown) => (typeof value === "number" && Number.isFinite(value) ? value : undefined);

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
  const json = (await response.json().catch(() => null)) as Record<string, any> | null;
  if (!response.ok) {
    const error = json?.error;
    const retryAfter =
      number(error?.retry_after) ?? (Number(response.headers.get("retry-after")) || undefined);
    const attemptsLeft = number(error?.attempts_left);
    throw new OtpClientError({
      code: typeof error?.code === "string" ? error.code : "unknown",
      ...(typeof error?.message === "string" ? { message: error.message } : {}),
      ...(retryAfter !== undefined ? { retryAfter } : {}),
      ...(attemptsLeft !== undefined ? { attemptsLeft } : {}),
    });
  }
  if (typeof json?.id !== "string" || typeof json.phone !== "string")
    throw new OtpClientError({ code: "unknown" });
  return {
    id: json.id,
    phone: json.phone,
    maskedPhone: typeof json.masked_phone === "string" ? json.masked_phone : json.phone,
    expiresAt: new Date(json.expires_at),
    // Without the field the server has no cooldown to tell: the button is ready at once.
    resendAvailableAt: new Date(json.resend_available_at ?? Date.now()),
  };
}

/** Reads a stable error out of anything `verify` threw or returned (NextAuth's `{ error }` included). */
export function toErrorInfo(error: unknown): OtpErrorInfo {
  if (typeof error === "string") return { code: error };
  if (error && typeof error === "object") {
    const candidate = error as Partial<OtpErrorInfo> & { error?: unknown };
    if (typeof candidate.code === "string") return candidate as OtpErrorInfo;
    if (typeof candidate.error === "string") return { code: candidate.error };
  }
  return { code: "unknown" };
}
