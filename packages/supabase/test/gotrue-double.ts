/**
 * A contract double of GoTrue (Supabase Auth) for tests: the Send SMS Hook dispatcher and the
 * `/auth/v1/otp`, `/auth/v1/verify` endpoints the real `@supabase/supabase-js` calls. Written in TS
 * from the behaviour documented in PLATFORMS.md §1 (GoTrue master bc32168e13); no GoTrue code is
 * copied. No GoTrue runs on these machines (no Docker, no Go toolchain), so this is the most real
 * thing available. It is a TEST FIXTURE: never shipped, never demoed or shown as Supabase.
 *
 * Dispatcher, as documented:
 * 1. every attempt signed with every configured secret (", "-joined), a new `webhook-id` per
 *    attempt, the same body bytes (and `metadata.uuid`) on every attempt of one invocation;
 * 2. ONE 5 s deadline across all attempts → 422 `hook_timeout`;
 * 3. 429/503 with `retry-after` retried at once (no backoff), up to 3 attempts; without the
 *    header → 500 "Service currently unavailable due to hook";
 * 4. connection errors retried after 2 s, up to 3 attempts → 422 `hook_timeout_after_retry`;
 * 5. 204 ok; 200/202 need a JSON content type (else 400 `hook_payload_invalid_content_type`),
 *    ≤ 200 KiB, JSON (else 500); a non-empty `error.message` → the client gets `http_code`
 *    (default 500) and the message; 400/401/other → the fixed 500 messages;
 * 6. on the MFA path every hook failure becomes 500 "error invoking hook";
 * 7. test numbers skip the hook; `SMS_MAX_FREQUENCY` applies before anything else;
 * 9. `sms.phone` without "+", `sms_type: "mfa"` only for MFA, `metadata` optional.
 */
import { createHash, createHmac, randomInt, randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";

export interface GoTrueDoubleOptions {
  /** `GOTRUE_HOOK_SEND_SMS_URI`. */
  hookUri: string;
  /** `GOTRUE_HOOK_SEND_SMS_SECRETS`, each `v1,whsec_…`. */
  hookSecrets: readonly string[];
  /** `SMS_MAX_FREQUENCY` in seconds, per user and OTP type. Default: 60. */
  smsMaxFrequencySeconds?: number;
  /** `SMS_OTP_LENGTH`. Default: 6. */
  otpLength?: number;
  /** `SMS_OTP_EXP` in seconds. Default: 60. */
  otpExpirySeconds?: number;
  /** `SMS_TEST_OTP`: phone digits → fixed code; the hook is not called for them. */
  testOtps?: Record<string, string>;
  /** `false`: behave like GoTrue before 2026-02-05, which sent no `metadata`. Default: `true`. */
  sendMetadata?: boolean;
}

/** One HTTP attempt of the dispatcher, as it went out and what came back. */
export interface HookAttempt {
  webhookId: string;
  timestamp: string;
  signature: string;
  body: string;
  /** The hook's HTTP status, or `connection_error` / `deadline`. */
  result: number | "connection_error" | "deadline";
}

export type HookOutcome = { ok: true } | { ok: false; status: number; code: string; message: string };

export interface HookInvocation {
  body: string;
  attempts: HookAttempt[];
  outcome: HookOutcome;
  /** Whether the outcome came from the 5 s deadline firing. */
  deadlineFired: boolean;
}

export interface GoTrueDouble {
  /** The project URL for `createClient(url, anonKey)`. */
  url: string;
  anonKey: string;
  /** Every hook invocation, in order. */
  invocations: HookInvocation[];
  /** The MFA phone-factor challenge path (`challengePhoneFactor`): the hook with `sms_type: "mfa"`. */
  challengePhoneFactor(phone: string): Promise<HookOutcome>;
  close(): Promise<void>;
}

const deadlineMs = 5000;
const connectRetryDelayMs = 2000;
const maxAttempts = 3;
const maxHookResponseBytes = 200 * 1024;
const jwtSecret = "gotrue-double-jwt-secret";

interface DoubleUser {
  id: string;
  phone: string;
  createdAt: string;
  updatedAt: string;
  phoneConfirmedAt?: string;
  confirmationSentAt?: number;
  /** sha224(phone + otp), as GoTrue stores it. */
  tokenHash?: string;
}

const failure = (status: number, code: string, message: string): HookOutcome => ({
  ok: false,
  status,
  code,
  message,
});

/** GoTrue's `formatPhoneNumber` + its E.164 check. */
function formatPhone(phone: unknown): string | undefined {
  if (typeof phone !== "string") return undefined;
  const digits = phone.replace(/[+\s]/g, "");
  return /^[1-9][0-9]{1,14}$/.test(digits) ? digits : undefined;
}

const sha224 = (text: string) => createHash("sha224").update(text).digest("hex");
const base64url = (value: string | Buffer) => Buffer.from(value).toString("base64url");

function userJson(user: DoubleUser) {
  // Always-present fields, then the omitted-when-empty ones that are set.
  return {
    id: user.id,
    aud: "authenticated",
    role: "authenticated",
    email: "",
    phone: user.phone,
    app_metadata: { provider: "phone", providers: ["phone"] },
    user_metadata: {},
    identities: [],
    created_at: user.createdAt,
    updated_at: user.updatedAt,
    is_anonymous: false,
    ...(user.phoneConfirmedAt ? { phone_confirmed_at: user.phoneConfirmedAt } : {}),
    ...(user.confirmationSentAt
      ? { confirmation_sent_at: new Date(user.confirmationSentAt).toISOString() }
      : {}),
  };
}

function isConnectionError(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 4; depth++) {
    const code = (current as { code?: unknown }).code;
    if (
      typeof code === "string" &&
      /^(ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENOTFOUND|UND_ERR_SOCKET)$/.test(code)
    )
      return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });

export async function startGoTrueDouble(options: GoTrueDoubleOptions): Promise<GoTrueDouble> {
  const webhooks = options.hookSecrets.map((secret) => new Webhook(secret.replace(/^v1,/, "")));
  const frequencyMs = (options.smsMaxFrequencySeconds ?? 60) * 1000;
  const otpLength = options.otpLength ?? 6;
  const otpExpiryMs = (options.otpExpirySeconds ?? 60) * 1000;
  const anonKey = `anon-${randomUUID()}`;
  const users = new Map<string, DoubleUser>();
  const invocations: HookInvocation[] = [];

  /** One attempt's answer → the invocation's outcome, or "retry". */
  async function judge(response: Response): Promise<HookOutcome | "retry"> {
    const { status } = response;
    if ((status === 429 || status === 503) && response.headers.has("retry-after")) return "retry";
    if (status === 429 || status === 503)
      return failure(500, "unexpected_failure", "Service currently unavailable due to hook");
    if (status === 204) return { ok: true };
    if (status === 400) return failure(500, "unexpected_failure", "Invalid payload sent to hook");
    if (status === 401) return failure(500, "unexpected_failure", "Hook requires authorization token");
    if (status !== 200 && status !== 202)
      return failure(500, "unexpected_failure", `Unexpected status code returned from hook: ${status}`);
    const mediaType = (response.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
    if (mediaType !== "application/json")
      return failure(
        400,
        "hook_payload_invalid_content_type",
        "Invalid Content-Type: Missing Content-Type header",
      );
    const bytes = Buffer.from(await response.arrayBuffer());
    // Over 200 KiB: a failure; its exact message is not in the contract.
    if (bytes.length > maxHookResponseBytes)
      return failure(500, "unexpected_failure", "Hook response too large");
    let output: unknown;
    try {
      output = bytes.length ? JSON.parse(bytes.toString("utf8")) : {};
    } catch {
      return failure(500, "unexpected_failure", "Error unmarshaling JSON output.");
    }
    const error = (output as { error?: { http_code?: unknown; message?: unknown } } | null)?.error;
    if (error && typeof error.message === "string" && error.message !== "") {
      const code = typeof error.http_code === "number" && error.http_code > 0 ? error.http_code : 500;
      // The API error code GoTrue attaches to a passed-through hook error is not in the contract.
      return failure(code, "hook_error", error.message);
    }
    return { ok: true };
  }

  /** The dispatcher: one invocation, its attempts, one deadline. */
  async function invokeHook(input: unknown, { mfa = false } = {}): Promise<HookOutcome> {
    const body = JSON.stringify(input); // serialised once: every attempt sends these bytes
    const deadline = AbortSignal.timeout(deadlineMs);
    const invocation: HookInvocation = { body, attempts: [], outcome: { ok: true }, deadlineFired: false };
    invocations.push(invocation);
    const finish = (outcome: HookOutcome) => {
      const final = !outcome.ok && mfa ? failure(500, "unexpected_failure", "error invoking hook") : outcome;
      invocation.outcome = final;
      return final;
    };
    const timedOut = () => {
      invocation.deadlineFired = true;
      return finish(
        failure(422, "hook_timeout", "Failed to reach hook within maximum time of 5.000000 seconds"),
      );
    };
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const webhookId = randomUUID();
      const at = new Date();
      const signature = webhooks.map((webhook) => webhook.sign(webhookId, at, body)).join(", ");
      const record: HookAttempt = {
        webhookId,
        timestamp: String(Math.floor(at.getTime() / 1000)),
        signature,
        body,
        result: "connection_error",
      };
      invocation.attempts.push(record);
      let outcome: HookOutcome | "retry";
      try {
        const response = await fetch(options.hookUri, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            "accept-encoding": "identity",
            "webhook-id": webhookId,
            "webhook-timestamp": record.timestamp,
            "webhook-signature": signature,
          },
          body,
          signal: deadline,
        });
        record.result = response.status;
        outcome = await judge(response);
      } catch (error) {
        if (deadline.aborted) {
          record.result = "deadline";
          return timedOut();
        }
        if (!isConnectionError(error)) throw error;
        record.result = "connection_error";
        if (attempt === maxAttempts)
          return finish(
            failure(422, "hook_timeout_after_retry", "Failed to reach hook after maximum retries"),
          );
        try {
          await sleep(connectRetryDelayMs, deadline);
        } catch {
          return timedOut();
        }
        continue;
      }
      if (outcome !== "retry") return finish(outcome);
      if (attempt === maxAttempts)
        return finish(failure(500, "unexpected_failure", "Service currently unavailable due to hook"));
      // 429/503 with retry-after: at once, no backoff (the code, not the docs' two seconds).
    }
    return finish(failure(500, "unexpected_failure", "unreachable"));
  }

  const newOtp = () => Array.from({ length: otpLength }, () => randomInt(10)).join("");

  function hookInput(user: DoubleUser, otp: string, phone: string, mfa: boolean, ip: string) {
    return {
      ...(options.sendMetadata === false
        ? {}
        : {
            metadata: {
              uuid: randomUUID(),
              time: new Date().toISOString(),
              name: "send-sms",
              ip_address: ip,
            },
          }),
      user: userJson(user),
      sms: { otp, phone, ...(mfa ? { sms_type: "mfa" } : {}) },
    };
  }

  function findOrCreate(phone: string, create: boolean): DoubleUser | undefined {
    let user = users.get(phone);
    if (!user && create) {
      const now = new Date().toISOString();
      user = { id: randomUUID(), phone, createdAt: now, updatedAt: now };
      users.set(phone, user);
    }
    return user;
  }

  function accessToken(user: DoubleUser, expiresAt: number): string {
    const header = base64url(JSON.stringify({ alg: "HS256", typ: "JWT" }));
    const claims = base64url(
      JSON.stringify({
        sub: user.id,
        aud: "authenticated",
        role: "authenticated",
        phone: user.phone,
        exp: expiresAt,
        iat: Math.floor(Date.now() / 1000),
        session_id: randomUUID(),
      }),
    );
    const signature = createHmac("sha256", jwtSecret).update(`${header}.${claims}`).digest("base64url");
    return `${header}.${claims}.${signature}`;
  }

  type Reply = { status: number; body: unknown; errorCode?: string };
  const apiError = (status: number, code: string, message: string): Reply => ({
    status,
    body: { code, message },
    errorCode: code,
  });

  async function otp(body: Record<string, unknown>, ip: string): Promise<Reply> {
    const phone = formatPhone(body.phone);
    if (!phone) return apiError(400, "validation_failed", "Invalid phone number format (E.164 required)");
    // `channel` is accepted and dropped while the hook is on (supabase/supabase#30412).
    const user = findOrCreate(phone, body.create_user !== false);
    if (!user) return apiError(422, "otp_disabled", "Signups not allowed for otp");
    const now = Date.now();
    if (user.confirmationSentAt && now - user.confirmationSentAt < frequencyMs) {
      const wait = Math.ceil((frequencyMs - (now - user.confirmationSentAt)) / 1000);
      return apiError(
        429,
        "over_sms_send_rate_limit",
        `For security purposes, you can only request this after ${wait} seconds.`,
      );
    }
    const testOtp = options.testOtps?.[phone];
    const code = testOtp ?? newOtp();
    if (!testOtp) {
      const outcome = await invokeHook(hookInput(user, code, phone, false, ip));
      // The hook runs inside GoTrue's transaction: a failure stores nothing.
      if (!outcome.ok) return apiError(outcome.status, outcome.code, outcome.message);
    }
    user.tokenHash = sha224(phone + code);
    user.confirmationSentAt = now;
    return { status: 200, body: { message_id: "" } };
  }

  function verify(body: Record<string, unknown>): Reply {
    const phone = formatPhone(body.phone);
    const user = phone ? users.get(phone) : undefined;
    const fresh =
      user?.confirmationSentAt !== undefined && Date.now() - user.confirmationSentAt < otpExpiryMs;
    if (
      !user ||
      !fresh ||
      body.type !== "sms" ||
      typeof body.token !== "string" ||
      user.tokenHash !== sha224(phone + body.token)
    )
      return apiError(403, "otp_expired", "Token has expired or is invalid");
    user.tokenHash = undefined;
    user.phoneConfirmedAt ??= new Date().toISOString();
    const expiresIn = 3600;
    const expiresAt = Math.floor(Date.now() / 1000) + expiresIn;
    return {
      status: 200,
      body: {
        access_token: accessToken(user, expiresAt),
        token_type: "bearer",
        expires_in: expiresIn,
        expires_at: expiresAt,
        refresh_token: randomUUID(),
        user: userJson(user),
      },
    };
  }

  async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    try {
      const parsed = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      return typeof parsed === "object" && parsed !== null ? parsed : {};
    } catch {
      return {};
    }
  }

  function send(res: ServerResponse, reply: Reply) {
    res.writeHead(reply.status, {
      "content-type": "application/json",
      ...(reply.errorCode ? { "x-sb-error-code": reply.errorCode } : {}),
    });
    res.end(JSON.stringify(reply.body));
  }

  const server = createServer(async (req, res) => {
    try {
      if (req.headers.apikey !== anonKey) return send(res, apiError(401, "no_api_key", "Invalid API key"));
      const path = new URL(req.url ?? "/", "http://localhost").pathname;
      const body = req.method === "POST" ? await readJson(req) : {};
      const ip = req.socket.remoteAddress ?? "127.0.0.1";
      if (req.method === "POST" && path === "/auth/v1/otp") return send(res, await otp(body, ip));
      if (req.method === "POST" && path === "/auth/v1/verify") return send(res, verify(body));
      send(res, apiError(404, "not_found", "Not found"));
    } catch (error) {
      send(res, apiError(500, "unexpected_failure", String(error)));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    anonKey,
    invocations,
    async challengePhoneFactor(phoneInput) {
      const phone = formatPhone(phoneInput);
      if (!phone) return failure(400, "validation_failed", "Invalid phone number format (E.164 required)");
      const user = findOrCreate(phone, true)!;
      return invokeHook(hookInput(user, newOtp(), phone, true, "127.0.0.1"), { mfa: true });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
