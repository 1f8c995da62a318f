/**
 * `createSendSmsHook`: GoTrue's Send SMS Hook call in, one `otp.deliver` of the code GoTrue made,
 * GoTrue's answer out. The hook holds no security logic of its own: limits, phone policy,
 * idempotency and failover are otp-core's; this file verifies who is calling, reads the payload,
 * keeps the answer inside GoTrue's deadline and speaks GoTrue's answer format.
 */
import {
  type Channel,
  type DeliverResult,
  isOtpError,
  type Otp,
  OtpError,
  type Purpose,
  purposes,
  resolveOtp,
} from "@otpkit/otp-core";
import { isChannelPolicy, pickChannel } from "./channel.js";
import { toHookError } from "./errors.js";
import type { SendSmsHookOptions } from "./options.js";
import { e164, parseSendSmsPayload, type SendSmsPayload } from "./payload.js";
import { isSignedByGoTrue, parseHookSecrets } from "./webhook.js";

/** A Web-standard handler: `Deno.serve(hook)`, or any `(Request) => Response` host. */
export type SendSmsHook = (request: Request) => Promise<Response>;

/** GoTrue's user objects (identities, metadata) are a few KB; this only stops abuse. */
const maxBodyBytes = 256 * 1024;
/** Kept back from the sender's budget for the store's release after a failure and the answer. */
const reserveMs = 300;
/** A WhatsApp failure leaving less than this for SMS answers the failure instead. */
const minFallbackMs = 500;

const configError = (message: string) => new OtpError("invalid_config", message);

/**
 * Rate limits and duplicate detection need one state for every isolate: Supabase runs an Edge
 * Function in as many isolates as it likes, each with its own memory.
 */
function refuseMemoryStoreInProduction(otp: Otp): Otp {
  if (otp.config.production && otp.store.local)
    throw configError(
      "The memory store is refused in production: Supabase runs this function in many isolates, " +
        "each with its own memory, so per-number limits and duplicate detection would not hold. " +
        "Use postgresStore (the project's own database) or redisStore.",
    );
  return otp;
}

async function readText(request: Request): Promise<string | undefined> {
  if (Number(request.headers.get("content-length")) > maxBodyBytes) return undefined;
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBodyBytes) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes);
}

/** GoTrue's success: 200, a JSON content type, `{}` (a JSON string or no content type fails). */
const sent = () => new Response("{}", { status: 200, headers: { "content-type": "application/json" } });

/** GoTrue's failure: 200 `{"error":{"http_code","message"}}`; the client gets `http_code` and the message. */
const refused = (error: { http_code: number; message: string }) => Response.json({ error });

/** Provider trouble that another channel may not share; our own limits and bad input are final. */
function isProviderFailure(error: unknown): boolean {
  if (!isOtpError(error)) return false;
  if (error.code === "send_failed" || error.code === "quota_exceeded") return true;
  if (error.code === "rate_limited") return error.notDelivered === true; // the provider's 429
  return error.code === "invalid_request" && error.field === "channel"; // no WhatsApp sender
}

/**
 * One line per failure for the function's logs: code, message, causes. (Core has already redacted
 * the code from anything a sender threw.)
 */
function logFailure(error: unknown): void {
  const parts: string[] = [];
  for (let current = error, depth = 0; current !== undefined && current !== null && depth < 4; depth++) {
    const {
      name,
      message,
      code: errorCode,
    } = current as { name?: unknown; message?: unknown; code?: unknown };
    parts.push([name, errorCode, message].filter((part) => part !== undefined && part !== "").join(" "));
    current = (current as { cause?: unknown }).cause;
  }
  console.error(`otpkit send-sms hook: ${parts.join(" <- ")}`);
}

function checkOptions(options: SendSmsHookOptions) {
  if (typeof options !== "object" || options === null) throw configError("createSendSmsHook needs options.");
  const purpose: Purpose = options.purpose ?? "login";
  if (!purposes.includes(purpose)) throw configError(`purpose must be one of ${purposes.join(", ")}.`);
  const channel = options.channel ?? "sms";
  if (!isChannelPolicy(channel))
    throw configError('channel must be "sms", "whatsapp", { byCountry, otherwise } or a function.');
  const budgetMs = options.timeoutMs ?? 3500;
  if (!Number.isInteger(budgetMs) || budgetMs < 1000 || budgetMs > 4500)
    throw configError("timeoutMs must be a whole number of milliseconds from 1000 to 4500.");
  if (options.otp === undefined || options.otp === null) throw configError("createSendSmsHook needs `otp`.");
  return { purpose, channel, budgetMs, smsFallback: options.smsFallback ?? true };
}

/**
 * A Supabase Send SMS Hook. Answers:
 * - 401, empty: no valid signature (forged, tampered, stale, unsigned): nothing is sent;
 * - 200 `{}` with a JSON content type: sent, or a duplicate of an invocation already sent;
 * - 200 `{"error":{"http_code","message"}}`: refused (400 bad payload, 429 limits or the phone
 *   policy, 502/503 provider or store down after failover), always within `timeoutMs`.
 */
export function createSendSmsHook(options: SendSmsHookOptions): SendSmsHook {
  const { purpose, channel, budgetMs, smsFallback } = checkOptions(options);
  const webhooks = parseHookSecrets(options.secret);
  const source = options.otp;
  // An instance is checked now (a misconfiguration fails the deploy); a factory on first use.
  if (typeof source !== "function") refuseMemoryStoreInProduction(source);
  const getOtp = resolveOtp(async () =>
    refuseMemoryStoreInProduction(typeof source === "function" ? await source() : source),
  );
  const report = options.onError;

  async function deliver(payload: SendSmsPayload, signal: AbortSignal, deadlineAt: number) {
    const otp = await getOtp();
    const { user, sms, metadata } = payload;
    const phone = e164(sms.phone);
    const codePurpose: Purpose = sms.sms_type === "mfa" ? "two_factor" : purpose;
    let first: Channel = "sms";
    try {
      first = await pickChannel(channel, { phone, user, purpose: codePurpose });
    } catch (error) {
      // The app's policy function failed: the person still gets the code, by SMS.
      (report ?? logFailure)(error);
    }
    const attempt = (by: Channel): Promise<DeliverResult> =>
      otp.deliver({
        phone,
        code: sms.otp,
        purpose: codePurpose,
        subject: user.id,
        ...(metadata?.ip_address ? { ip: metadata.ip_address } : {}),
        // metadata.uuid repeats on GoTrue's retries of one invocation. Older GoTrue sends no
        // metadata: the user and the code GoTrue made then identify the invocation (core stores
        // only a keyed digest of the key).
        idempotencyKey: metadata?.uuid ?? `${user.id}:${sms.otp}`,
        channel: by,
        timeoutMs: Math.max(1, Math.floor(deadlineAt - Date.now() - reserveMs)),
        signal,
      });
    try {
      return await attempt(first);
    } catch (error) {
      const canFallBack =
        first === "whatsapp" &&
        smsFallback &&
        isProviderFailure(error) &&
        deadlineAt - Date.now() - reserveMs >= minFallbackMs;
      if (!canFallBack) throw error;
      return attempt("sms");
    }
  }

  /** Runs the delivery, answering by `deadlineAt` whatever the store or provider do. */
  // CORE-SEAM: deliver's `timeoutMs` bounds only the sender; the store calls keep their own
  // (longer) timeouts. A whole-call deadline in deliver would replace this race.
  async function withinBudget(payload: SendSmsPayload, deadlineAt: number) {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(
          new OtpError(
            "store_unavailable",
            `The store or the provider did not answer within ${budgetMs} ms.`,
          ),
        );
      }, deadlineAt - Date.now());
    });
    const running = deliver(payload, controller.signal, deadlineAt);
    running.catch(() => undefined); // it may settle after the answer
    try {
      return await Promise.race([running, expired]);
    } finally {
      clearTimeout(timer);
    }
  }

  return async (request) => {
    const deadlineAt = Date.now() + budgetMs;
    if (request.method !== "POST") return new Response(null, { status: 405, headers: { allow: "POST" } });
    const body = await readText(request);
    if (body === undefined) return new Response(null, { status: 413 });
    if (!isSignedByGoTrue(webhooks, body, request.headers)) return new Response(null, { status: 401 });

    let payload: SendSmsPayload;
    try {
      payload = parseSendSmsPayload(JSON.parse(body));
    } catch (error) {
      return refused(
        toHookError(
          isOtpError(error)
            ? error
            : new OtpError("invalid_request", "The hook payload is not JSON.", { field: "body" }),
        ),
      );
    }
    try {
      await withinBudget(payload, deadlineAt);
      return sent();
    } catch (error) {
      const answer = toHookError(error);
      if (answer.http_code >= 500) (report ?? logFailure)(error);
      return refused(answer);
    }
  };
}
