/**
 * The verify API, transport-neutral: method, path, headers and a body reader in; status, headers
 * and JSON out. The Web front end (`createOtpHandler`, `Request → Response`) and the node:http one
 * (`@otpkit/otp-core/node`) are thin shells around this, so every adapter gets the same hardening.
 *
 * Hardening, in the order a request meets it: route and method, API key, the app's `identify`,
 * media type, body size, JSON syntax, shape and types (the core then checks ranges). Every refusal
 * is a JSON `4xx` with a stable `error.code`; a `5xx` only ever means the store, the sender, the
 * platform or otpkit itself failed.
 */
import { isOtpError, OtpError, publicError } from "./errors.js";
import { checkDeclaredLength, checkJsonMediaType, parseJsonObject } from "./http-body.js";
import { checkReply, sendInput, sendReply, verifyInput, type WirePolicy } from "./http-wire.js";
import { forwardedIp } from "./ip.js";
import type { Purpose } from "./message.js";
import type { Otp } from "./otp.js";
import { type OtpSource, resolveOtp } from "./source.js";
import { type RateRule, tenantPattern } from "./validate.js";
import type { VerifyResult } from "./verify.js";

/** Looks up the tenant for an API key; `undefined` or `null` refuses the key. */
export type ApiKeyResolver = (
  apiKey: string,
) => string | undefined | null | Promise<string | undefined | null>;

/** Who is asking, as the platform knows it (a session, a verified token) — never from the body. */
export interface Identity {
  /** The signed-in user: codes are bound to them (see `SendInput.subject`). */
  subject?: string;
  /** Their organisation, when the app separates tenants. */
  tenant?: string;
}

export interface OtpHandlerOptions<NativeRequest = Request> {
  /**
   * Path prefix the routes live under, e.g. `"/api/otp"` serves `POST /api/otp/v1/sms/verify/send`.
   * Only the routing handler uses it (`handler.send`/`handler.check` answer wherever they are
   * mounted). Default: `""` (the routes sit at `/v1/sms/verify/…`).
   */
  basePath?: string;
  /**
   * API keys (`Authorization: Bearer <key>`) mapped to the tenant they act for: each tenant has its
   * own pending codes and limits (seed 001: "one active verification per phone number per
   * organization"). Either a record `{ key: tenant }` (use `""` for "no tenant") or a function.
   * When set, every request needs a valid key (401 otherwise). Default: none — the handler is the
   * public endpoint of a single app.
   */
  apiKeys?: Readonly<Record<string, string>> | ApiKeyResolver;
  /**
   * Who is asking, from the platform (`auth()` in Clerk, a verified session token…). Returning
   * `null`/`undefined` refuses the request with 401 `unauthorized`; `{ subject }` binds every code
   * to that user: sent for them, verified only by them (the check body may then carry just the
   * code). Never read a user id from the body here. Default: none (anonymous, unbound codes).
   */
  identify?: (request: NativeRequest) => Identity | null | undefined | Promise<Identity | null | undefined>;
  /**
   * Runs after a code was approved, e.g. to attach the phone to the platform's user. What it
   * returns is added to the check reply (`{ ticket }`…). If it throws, the request fails with that
   * error (an `OtpError` as it is, anything else as 500 `internal_error`) — **after** the code was
   * consumed: the person needs a new code, so report the failure rather than retry silently.
   * Default: none.
   */
  onVerified?: (
    result: VerifyResult,
    request: NativeRequest,
    identity: Identity | undefined,
    // biome-ignore lint/suspicious/noConfusingVoidType: so that a callback returning nothing (`async () => {…}`) fits.
  ) => void | Record<string, unknown> | Promise<void | Record<string, unknown>>;
  /**
   * How an anonymous check finds its code. `"id"`: the verification id the send answered (a 96-bit
   * secret only the requesting page holds) — a third party who knows only the number can neither
   * guess at nor kill the owner's code. `"phone"`: the phone number (+ purpose), for server-side
   * callers that hold no id; such checks answer "no code pending" and "wrong code" alike, so they
   * cannot tell whether a number is signing in. A signed-in subject (`identify`) is always found
   * by subject. Default: `"phone"` when `apiKeys` are configured (the callers are servers: seed
   * 001's `{phone, code}` check), else `"id"`.
   */
  verifyBy?: "id" | "phone";
  /**
   * The budget of sends that arrive without a usable client IP (App Router handlers cannot see the
   * socket; without `getClientIp` or `trustProxy` every send is IP-less), shared per tenant: per-IP
   * limits cannot apply to them, so they are never unlimited. A warning is logged once when the
   * first one arrives. `false` turns it off (only when something else limits per client). Default:
   * 30 per 10 minutes.
   */
  withoutIpLimit?: readonly RateRule[] | false;
  /**
   * Where the one-time warnings go (no client IP). Default: `console.warn`.
   */
  onWarning?: (message: string) => void;
  /**
   * The methods an action answers (a REST-style app may check with `PATCH`). `OPTIONS` answers
   * preflights when `cors` is set. Default: `["POST"]`.
   */
  methods?: readonly ("POST" | "PUT" | "PATCH")[];
  /**
   * The purpose of every code this handler sends and checks; the body's `purpose` is ignored.
   * Default: none (the body picks, else `defaultPurpose`).
   */
  purpose?: Purpose;
  /**
   * The purpose of requests whose body names none. Default: `"phone_verification"` — seed 001's
   * verify API: the generic template ("Your verification code is: {code}. Valid for {minutes}
   * minutes.") and a 10-minute expiry.
   */
  defaultPurpose?: Purpose;
  /**
   * How many reverse proxies in front of this handler append to the forwarding header. The client
   * IP (for per-IP limits) is then read from that header, counting that many hops from the right;
   * anything further left was written by the client and is ignored. Default: `0` — forwarding
   * headers are ignored and the IP is `getClientIp`'s or the socket's.
   */
  trustProxy?: number;
  /**
   * Which forwarding header the trusted proxies write. Only one is read, so a client cannot slip
   * in the other. Default: `"x-forwarded-for"`.
   */
  proxyHeader?: "x-forwarded-for" | "forwarded";
  /**
   * Reads the client IP yourself, e.g. from a header your platform guarantees (`x-real-ip` on
   * Vercel). Wins over the socket address; `trustProxy` wins over both. Default: none.
   */
  getClientIp?: (request: NativeRequest) => string | undefined | null | Promise<string | undefined | null>;
  /**
   * Cross-origin browser access: the exact origins allowed (`"*"` allows any). Default: off — no
   * CORS headers, preflights are refused with 405.
   */
  cors?: { origins: readonly string[] };
  /** Largest request body accepted, in bytes; larger bodies get 413. Default: `4096`. */
  maxBodyBytes?: number;
  /**
   * Whether callers may choose the SMS text (`template`). An anonymous caller who picks the words of
   * an SMS sent from your number can phish with it, so the default is `true` only when `apiKeys`
   * are configured; otherwise a `template` is refused with 400.
   */
  allowCustomTemplates?: boolean;
  /**
   * Whether callers may choose `code_length` and `expiry_minutes`. A 4-digit code that lives 60
   * minutes is ~100x easier to guess in its lifetime than the default, so an anonymous caller must
   * not be able to weaken someone else's code. Default: `true` only when `apiKeys` are configured;
   * otherwise these fields are refused with 400.
   */
  allowCodeOptions?: boolean;
  /**
   * Told about every 5xx: store and sender outages (with their `cause`) and unexpected exceptions.
   * Clients only ever see a generic message. Default: `console.error`.
   */
  onError?: (error: unknown) => void;
}

/** One request, as the transport hands it over. */
export interface HttpExchange<NativeRequest> {
  /** The platform's own request object, for `identify`, `getClientIp` and `onVerified`. */
  request: NativeRequest;
  method: string;
  /** The path without the query. */
  path: string;
  /** A header by lower-case name. */
  header(name: string): string | null | undefined;
  /** The raw body, refusing (`payload_too_large`) as soon as it passes `maxBytes`. */
  body(maxBytes: number): Promise<Uint8Array>;
  /** The TCP peer, when the transport knows it. */
  socketIp?: string | undefined;
}

/** One answer: always JSON (or empty, for a preflight). */
export interface HttpAnswer {
  status: number;
  headers: Record<string, string>;
  body: string | null;
}

export type OtpAction = "send" | "check";

export interface OtpHttp<NativeRequest> {
  /** Routes by path (`…/v1/sms/verify/send` and `…/check`), or serves `action` wherever it is mounted. */
  handle(exchange: HttpExchange<NativeRequest>, action?: OtpAction): Promise<HttpAnswer>;
}

const encoder = new TextEncoder();
const internalError = publicError(undefined).toJSON();
const pendingOracle = new Set(["not_found", "invalid_code", "expired", "too_many_attempts"]);

export function createOtpHttp<NativeRequest>(
  source: OtpSource,
  options: OtpHandlerOptions<NativeRequest> = {},
): OtpHttp<NativeRequest> {
  const getOtp = resolveOtp(source);
  const basePath = normalizeBasePath(options.basePath ?? "");
  const routes = { send: `${basePath}/v1/sms/verify/send`, check: `${basePath}/v1/sms/verify/check` };
  const trustProxy = options.trustProxy ?? 0;
  if (!Number.isInteger(trustProxy) || trustProxy < 0)
    throw new OtpError("invalid_config", "trustProxy must be a whole number of proxies (0 or more).");
  const proxyHeader = options.proxyHeader ?? "x-forwarded-for";
  const maxBodyBytes = options.maxBodyBytes ?? 4096;
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes < 64)
    throw new OtpError("invalid_config", "maxBodyBytes must be a whole number of at least 64.");
  const resolveTenant = apiKeyResolver(options.apiKeys);
  const policy: WirePolicy = {
    allowCustomTemplates: options.allowCustomTemplates ?? resolveTenant !== undefined,
    allowCodeOptions: options.allowCodeOptions ?? resolveTenant !== undefined,
    defaultPurpose: options.defaultPurpose ?? "phone_verification",
    pinnedPurpose: options.purpose,
  };
  const origins = options.cors ? new Set(options.cors.origins) : undefined;
  const onError = options.onError ?? ((error: unknown) => console.error("otpkit:", error));
  const onWarning = options.onWarning ?? ((message: string) => console.warn(`otpkit: ${message}`));
  const verifyBy = options.verifyBy ?? (resolveTenant ? "phone" : "id");
  const methods: readonly string[] = options.methods?.length ? options.methods : ["POST"];
  const withoutIp =
    options.withoutIpLimit === false ? [] : (options.withoutIpLimit ?? [{ limit: 30, windowSeconds: 600 }]);
  let warnedNoIp = false;

  const corsHeaders = (exchange: HttpExchange<NativeRequest>): Record<string, string> => {
    const origin = exchange.header("origin");
    if (!origins || !origin || !(origins.has(origin) || origins.has("*"))) return {};
    return {
      "access-control-allow-origin": origin,
      "access-control-expose-headers": "retry-after",
      vary: "Origin",
    };
  };

  const failure = (error: OtpError, cors: Record<string, string>, otp: Otp | undefined): HttpAnswer => {
    if (error.status >= 500) onError(error);
    // A 500 is otpkit's or the app's own fault (a missing secret, a bug): its text is for the
    // operator, never for the client.
    if (error.status === 500) return json(500, { error: internalError }, cors);
    const headers: Record<string, string> = { ...cors };
    if (error.status === 429) {
      // A 429 must say when to come back. Provider limits may not say, and a dead code (too many
      // attempts) needs a new send, which the resend cooldown governs.
      const fallback = Math.max(1, otp?.config.limits.resendCooldownSeconds ?? 60);
      headers["retry-after"] = String(error.retryAfter ?? fallback);
    }
    if (error.status === 401 && resolveTenant) headers["www-authenticate"] = 'Bearer realm="otpkit"';
    if (error.status === 405) headers.allow = [...methods, ...(origins ? ["OPTIONS"] : [])].join(", ");
    return json(error.status, { error: error.toJSON() }, headers);
  };

  async function serve(
    exchange: HttpExchange<NativeRequest>,
    action: OtpAction,
    otp: Otp,
    cors: Record<string, string>,
  ): Promise<HttpAnswer> {
    if (exchange.method === "OPTIONS" && origins) return preflight(cors, methods);
    if (!methods.includes(exchange.method))
      throw new OtpError("method_not_allowed", `This endpoint only accepts ${methods.join(", ")}.`);
    const keyTenant = resolveTenant ? await authenticate(exchange, resolveTenant) : undefined;
    let identity: Identity | undefined;
    if (options.identify) {
      identity = (await options.identify(exchange.request)) ?? undefined;
      if (!identity) throw new OtpError("unauthorized", "Sign in first.");
    }
    const tenant = identity?.tenant ?? keyTenant;
    const subject = identity?.subject;
    checkJsonMediaType(exchange.header("content-type"));
    checkDeclaredLength(exchange.header("content-length"), maxBodyBytes);
    const body = parseJsonObject(await exchange.body(maxBodyBytes));
    const ip = options.getClientIp ? await clientIp(exchange) : forwardedIpOf(exchange);
    if (action === "send") {
      if (!ip && !warnedNoIp) {
        warnedNoIp = true;
        onWarning(
          withoutIp.length
            ? `a send arrived without a client IP, so per-IP limits cannot apply; IP-less sends share a budget of ${withoutIp.map((rule) => `${rule.limit} per ${rule.windowSeconds} s`).join(", ")}. Give the handler getClientIp (a header your host guarantees) or trustProxy.`
            : "a send arrived without a client IP and withoutIpLimit is off: IP-less sends are not limited per client.",
        );
      }
      const idempotencyKey = exchange.header("idempotency-key");
      // sendInput answers a fresh object with none of these fields: set them on it (no copies).
      const input = sendInput(body, policy);
      if (tenant) input.tenant = tenant;
      if (subject !== undefined) input.subject = subject;
      input.withoutIp = withoutIp;
      if (idempotencyKey) input.idempotencyKey = idempotencyKey;
      if (ip) input.ip = ip;
      const result = await otp.send(input);
      return json(200, sendReply(result), cors);
    }
    const by = subject !== undefined ? "subject" : verifyBy;
    const input = verifyInput(body, policy, by);
    if (tenant) input.tenant = tenant;
    if (subject !== undefined) input.subject = subject;
    if (ip) input.ip = ip;
    if (by === "phone" && input.id === undefined) {
      try {
        const result = await otp.verify(input);
        const extra = options.onVerified
          ? await options.onVerified(result, exchange.request, identity)
          : undefined;
        return json(
          200,
          checkReply(result, typeof extra === "object" && extra !== null ? extra : undefined),
          cors,
        );
      } catch (error) {
        // By phone, "nothing pending", "wrong", "expired" and "dead" answer alike: a caller who
        // knows only a number cannot learn that it is signing in.
        if (isOtpError(error) && pendingOracle.has(error.code) && error.retryAfter === undefined)
          throw new OtpError(
            "invalid_code",
            "That code is not right, or no code is pending. Request a new code.",
          );
        throw error;
      }
    }
    const result = await otp.verify(input);
    const extra = options.onVerified
      ? await options.onVerified(result, exchange.request, identity)
      : undefined;
    return json(
      200,
      checkReply(result, typeof extra === "object" && extra !== null ? extra : undefined),
      cors,
    );
  }

  async function clientIp(exchange: HttpExchange<NativeRequest>): Promise<string | undefined> {
    const own = (await options.getClientIp?.(exchange.request)) ?? exchange.socketIp;
    return forwardedIp(exchange.header(proxyHeader), trustProxy, proxyHeader, own ?? undefined);
  }

  /** The same without `getClientIp`: no promise to wait for. */
  function forwardedIpOf(exchange: HttpExchange<NativeRequest>): string | undefined {
    return forwardedIp(exchange.header(proxyHeader), trustProxy, proxyHeader, exchange.socketIp ?? undefined);
  }

  return {
    async handle(exchange, fixedAction) {
      let cors: Record<string, string> = {};
      let otp: Otp | undefined;
      try {
        cors = corsHeaders(exchange);
        const action =
          fixedAction ??
          (exchange.path === routes.send ? "send" : exchange.path === routes.check ? "check" : undefined);
        if (!action) throw new OtpError("not_found", "There is no such endpoint.");
        otp = await getOtp();
        return await serve(exchange, action, otp, cors);
      } catch (error) {
        if (isOtpError(error)) return failure(error, cors, otp);
        // Only a bug gets here. The client learns nothing about it; the operator learns everything.
        onError(error);
        return json(500, { error: internalError }, cors);
      }
    },
  };
}

function normalizeBasePath(basePath: string): string {
  const trimmed = basePath.replace(/\/+$/, "");
  if (trimmed !== "" && !/^\/[\w\-./~]*$/.test(trimmed))
    throw new OtpError("invalid_config", 'basePath must be empty or start with "/".');
  return trimmed;
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): HttpAnswer {
  return {
    status,
    headers: {
      "content-type": "application/json; charset=utf-8",
      // Verification answers are per person and per moment: never cache them anywhere.
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
      ...headers,
    },
    body: JSON.stringify(body),
  };
}

function preflight(cors: Record<string, string>, methods: readonly string[]): HttpAnswer {
  // An origin that is not allowed gets no allow-origin header, and the browser stops there.
  return {
    status: 204,
    headers: cors["access-control-allow-origin"]
      ? {
          ...cors,
          "access-control-allow-methods": methods.join(", "),
          "access-control-allow-headers": "authorization, content-type, idempotency-key",
          "access-control-max-age": "600",
        }
      : { vary: "Origin" },
    body: null,
  };
}

function apiKeyResolver(apiKeys: OtpHandlerOptions<unknown>["apiKeys"]): ApiKeyResolver | undefined {
  if (apiKeys === undefined) return undefined;
  if (typeof apiKeys === "function") return apiKeys;
  const entries = Object.entries(apiKeys);
  if (!entries.length) throw new OtpError("invalid_config", "apiKeys is empty: give at least one key.");
  for (const [key, tenant] of entries) {
    if (!key || typeof tenant !== "string" || (tenant !== "" && !tenantPattern.test(tenant)))
      throw new OtpError(
        "invalid_config",
        "apiKeys maps non-empty keys to tenant ids of up to 64 letters, digits, '.', '_' or '-'.",
      );
  }
  // Keys are compared as SHA-256 digests in constant time, so response timing reveals neither how
  // much of a key matched nor how long the real keys are.
  const digests = Promise.all(entries.map(async ([key, tenant]) => [await sha256(key), tenant] as const));
  return async (apiKey) => {
    const candidate = await sha256(apiKey);
    let tenant: string | undefined;
    for (const [digest, owner] of await digests) if (sameBytes(candidate, digest)) tenant = owner;
    return tenant;
  };
}

async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ (b[i] ?? 0);
  return diff === 0;
}

async function authenticate<NativeRequest>(
  exchange: HttpExchange<NativeRequest>,
  resolve: ApiKeyResolver,
): Promise<string> {
  const match = /^Bearer[ \t]+(\S{1,256})[ \t]*$/i.exec(exchange.header("authorization") ?? "");
  const tenant = match ? await resolve(match[1]!) : undefined;
  if (tenant === undefined || tenant === null)
    throw new OtpError("unauthorized", "A valid API key is required (Authorization: Bearer <key>).");
  return tenant;
}
