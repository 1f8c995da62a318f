/**
 * The verify API (seed 001) as one Web-standard function, `Request → Response`: Next.js route
 * handlers, Deno/Supabase, Bun, Hono and `otpkit serve` all get the same hardened behaviour from
 * here. No framework and no Node APIs inside, on purpose.
 *
 * Hardening, in the order a request meets it: route and method, API key, media type, body size,
 * JSON syntax, shape and types (the core then checks ranges). Every refusal is a JSON `4xx` with a
 * stable `error.code`; a `5xx` only ever means the store, the sender or otpkit itself failed.
 */
import { invalid, isOtpError, OtpError } from "./errors.js";
import type { Purpose } from "./message.js";
import type { Otp, SendInput, SendResult, VerifyInput, VerifyResult } from "./otp.js";

/** Looks up the tenant for an API key; `undefined` or `null` refuses the key. */
export type ApiKeyResolver = (
  apiKey: string,
) => string | undefined | null | Promise<string | undefined | null>;

export interface OtpHandlerOptions {
  /**
   * Path prefix the routes live under, e.g. `"/api/otp"` serves `POST /api/otp/v1/sms/verify/send`.
   * Default: `""` (the routes sit at `/v1/sms/verify/…`).
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
   * How many reverse proxies in front of this handler append to the forwarding header. The client
   * IP (for per-IP limits) is then read from that header, counting that many hops from the right;
   * anything further left was written by the client and is ignored. Default: `0` — forwarding
   * headers are ignored and the IP is `context.ip` (which `otpkit serve` fills from the socket).
   */
  trustProxy?: number;
  /**
   * Which forwarding header the trusted proxies write. Only one is read, so a client cannot slip
   * in the other. Default: `"x-forwarded-for"`.
   */
  proxyHeader?: "x-forwarded-for" | "forwarded";
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
   * The purpose of requests whose body names none. Default: `"phone_verification"` — seed 001's
   * verify API: the generic template ("Your verification code is: {code}. Valid for {minutes}
   * minutes.") and a 10-minute expiry.
   */
  defaultPurpose?: Purpose;
  /**
   * Told about every 5xx: store and sender outages (with their `cause`) and unexpected exceptions.
   * Clients only ever see a generic message. Default: `console.error`.
   */
  onError?: (error: unknown) => void;
}

/** What a server adapter knows about the connection. */
export interface OtpHandlerContext {
  /** The peer address of the TCP connection. */
  ip?: string;
}

export type OtpHandler = (request: Request, context?: OtpHandlerContext) => Promise<Response>;

/** Keys that must never become properties: dropped wherever they appear in a body. */
const pollutingKeys = new Set(["__proto__", "constructor", "prototype"]);
const tenantPattern = /^[\w.-]{0,64}$/;
const encoder = new TextEncoder();

export function createOtpHandler(otp: Otp, options: OtpHandlerOptions = {}): OtpHandler {
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
  const allowCustomTemplates = options.allowCustomTemplates ?? resolveTenant !== undefined;
  const allowCodeOptions = options.allowCodeOptions ?? resolveTenant !== undefined;
  const defaultPurpose = options.defaultPurpose ?? "phone_verification";
  const origins = options.cors ? new Set(options.cors.origins) : undefined;
  const onError = options.onError ?? ((error: unknown) => console.error("otpkit:", error));
  // A 429 must say when to come back. Provider limits may not say, and a dead code (too many
  // attempts) needs a new send, which the resend cooldown governs.
  const fallbackRetryAfter = Math.max(1, otp.options.limits?.resendCooldownSeconds ?? 60);

  const corsHeaders = (request: Request): Record<string, string> => {
    const origin = request.headers.get("origin");
    if (!origins || !origin || !(origins.has(origin) || origins.has("*"))) return {};
    return {
      "access-control-allow-origin": origin,
      "access-control-expose-headers": "retry-after",
      vary: "Origin",
    };
  };

  const failure = (error: OtpError, cors: Record<string, string>): Response => {
    if (error.status >= 500) onError(error);
    const headers: Record<string, string> = { ...cors };
    if (error.status === 429) headers["retry-after"] = String(error.retryAfter ?? fallbackRetryAfter);
    if (error.status === 401) headers["www-authenticate"] = 'Bearer realm="otpkit"';
    if (error.status === 405) headers.allow = origins ? "POST, OPTIONS" : "POST";
    return json(error.status, { error: error.toJSON() }, headers);
  };

  async function route(
    request: Request,
    context: OtpHandlerContext | undefined,
    cors: Record<string, string>,
  ) {
    const path = new URL(request.url).pathname;
    const action = path === routes.send ? "send" : path === routes.check ? "check" : undefined;
    if (!action) throw new OtpError("not_found", "There is no such endpoint.");
    if (request.method === "OPTIONS" && origins) return preflight(cors);
    if (request.method !== "POST")
      throw new OtpError("method_not_allowed", "This endpoint only accepts POST.");
    const tenant = resolveTenant ? await authenticate(request, resolveTenant) : undefined;
    const body = await readJsonObject(request, maxBodyBytes);
    if (action === "send") {
      const input = sendInput(body, { allowCustomTemplates, allowCodeOptions }, defaultPurpose);
      const ip = clientIp(request, context, trustProxy, proxyHeader);
      const result = await otp.send({
        ...input,
        ...(tenant ? { tenant } : {}),
        ...(ip ? { ip } : {}),
      });
      return json(200, sendReply(result), cors);
    }
    const result = await otp.verify({ ...verifyInput(body, defaultPurpose), ...(tenant ? { tenant } : {}) });
    return json(200, checkReply(result), cors);
  }

  return async function otpHandler(request, context) {
    let cors: Record<string, string> = {};
    try {
      cors = corsHeaders(request);
      return await route(request, context, cors);
    } catch (error) {
      if (isOtpError(error)) return failure(error, cors);
      // Only a bug gets here. The client learns nothing about it; the operator learns everything.
      onError(error);
      return json(500, { error: { code: "internal_error", message: "Something went wrong." } }, cors);
    }
  };
}

function normalizeBasePath(basePath: string): string {
  const trimmed = basePath.replace(/\/+$/, "");
  if (trimmed !== "" && !/^\/[\w\-./~]*$/.test(trimmed))
    throw new OtpError("invalid_config", 'basePath must be empty or start with "/".');
  return trimmed;
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: {
      "content-type": "application/json; charset=utf-8",
      // Verification answers are per person and per moment: never cache them anywhere.
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
      ...headers,
    },
  });
}

function preflight(cors: Record<string, string>): Response {
  // An origin that is not allowed gets no allow-origin header, and the browser stops there.
  return new Response(null, {
    status: 204,
    headers: cors["access-control-allow-origin"]
      ? {
          ...cors,
          "access-control-allow-methods": "POST",
          "access-control-allow-headers": "authorization, content-type",
          "access-control-max-age": "600",
        }
      : { vary: "Origin" },
  });
}

function apiKeyResolver(apiKeys: OtpHandlerOptions["apiKeys"]): ApiKeyResolver | undefined {
  if (apiKeys === undefined) return undefined;
  if (typeof apiKeys === "function") return apiKeys;
  const entries = Object.entries(apiKeys);
  if (!entries.length) throw new OtpError("invalid_config", "apiKeys is empty: give at least one key.");
  for (const [key, tenant] of entries) {
    if (!key || typeof tenant !== "string" || !tenantPattern.test(tenant))
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

async function authenticate(request: Request, resolve: ApiKeyResolver): Promise<string> {
  const match = /^Bearer[ \t]+(\S{1,256})[ \t]*$/i.exec(request.headers.get("authorization") ?? "");
  const tenant = match ? await resolve(match[1]!) : undefined;
  if (tenant === undefined || tenant === null)
    throw new OtpError("unauthorized", "A valid API key is required (Authorization: Bearer <key>).");
  return tenant;
}

/** Reads the body as one JSON object, refusing other media types, oversized bodies and bad JSON. */
async function readJsonObject(request: Request, maxBytes: number): Promise<Record<string, unknown>> {
  const [mediaType = "", ...parameters] = (request.headers.get("content-type") ?? "").split(";");
  const charset = parameters
    .map((parameter) => /^\s*charset\s*=\s*"?([^";\s]*)"?\s*$/i.exec(parameter)?.[1]?.toLowerCase())
    .find((value) => value !== undefined);
  if (
    !/^application\/([\w.-]+\+)?json$/i.test(mediaType.trim()) ||
    (charset !== undefined && charset !== "utf-8" && charset !== "utf8")
  ) {
    throw new OtpError("unsupported_media_type", "Send the body as JSON (Content-Type: application/json).");
  }
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > maxBytes) throw tooLarge(maxBytes);

  const bytes = await readAtMost(request, maxBytes);
  let parsed: unknown;
  try {
    // fatal: invalid UTF-8 is refused rather than silently turned into U+FFFD.
    const text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    // The reviver deletes `__proto__`, `constructor` and `prototype` keys at every depth, so
    // nothing downstream (metadata copies, Object.assign in user code) can meet them.
    parsed = JSON.parse(text, (key, value) => (pollutingKeys.has(key) ? undefined : value));
  } catch {
    throw invalid("body", "The body is not valid JSON.");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw invalid("body", "The body must be a JSON object.");
  return parsed as Record<string, unknown>;
}

const tooLarge = (maxBytes: number) =>
  new OtpError("payload_too_large", `The body is larger than ${maxBytes} bytes.`);

/** Streams the body and stops as soon as it passes the cap: a liar's Content-Length costs nothing. */
async function readAtMost(request: Request, maxBytes: number): Promise<Uint8Array> {
  if (!request.body) return new Uint8Array();
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        reader.cancel().catch(() => undefined);
        throw tooLarge(maxBytes);
      }
      chunks.push(value);
    }
  } catch (error) {
    if (isOtpError(error)) throw error;
    throw invalid("body", "The body could not be read.");
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/** An own property of the body; JSON `null` counts as absent, like a missing field. */
function field(body: Record<string, unknown>, name: string): unknown {
  return Object.hasOwn(body, name) && body[name] !== null ? body[name] : undefined;
}

function optionalString(body: Record<string, unknown>, name: string): string | undefined {
  const value = field(body, name);
  if (value !== undefined && typeof value !== "string") throw invalid(name, `${name} must be a string.`);
  return value;
}

function optionalNumber(body: Record<string, unknown>, name: string): number | undefined {
  const value = field(body, name);
  if (value !== undefined && typeof value !== "number") throw invalid(name, `${name} must be a number.`);
  return value;
}

/** Shapes and types here; ranges (code_length 4–8, expiry 1–60, metadata size) in the core. */
function sendInput(
  body: Record<string, unknown>,
  allowed: { allowCustomTemplates: boolean; allowCodeOptions: boolean },
  defaultPurpose: Purpose,
): SendInput {
  const template = optionalString(body, "template");
  if (template !== undefined && !allowed.allowCustomTemplates)
    throw invalid("template", "Custom templates are disabled on this endpoint.");
  const input: SendInput = { phone: field(body, "phone") as string };
  const purpose = optionalString(body, "purpose");
  const channel = optionalString(body, "channel");
  const codeLength = optionalNumber(body, "code_length");
  const expiryMinutes = optionalNumber(body, "expiry_minutes");
  if (!allowed.allowCodeOptions) {
    if (codeLength !== undefined)
      throw invalid("code_length", "This endpoint does not let callers choose code_length.");
    if (expiryMinutes !== undefined)
      throw invalid("expiry_minutes", "This endpoint does not let callers choose expiry_minutes.");
  }
  const metadata = field(body, "metadata");
  if (template !== undefined) input.template = template;
  input.purpose = (purpose ?? defaultPurpose) as Purpose;
  if (channel !== undefined) input.channel = channel as SendInput["channel"];
  if (codeLength !== undefined) input.codeLength = codeLength;
  if (expiryMinutes !== undefined) input.expiryMinutes = expiryMinutes;
  if (metadata !== undefined) input.metadata = metadata as Record<string, unknown>;
  // Magic links are for the app's own server to request, not for a public JSON endpoint.
  input.link = false;
  return input;
}

function verifyInput(body: Record<string, unknown>, defaultPurpose: Purpose): VerifyInput {
  const id = optionalString(body, "id");
  const phone = field(body, "phone");
  if (id === undefined && phone === undefined)
    throw invalid("id", "Give the verification id, or the phone number (and purpose).");
  const input: VerifyInput = {};
  if (id !== undefined) input.id = id;
  else input.phone = phone as string;
  const purpose = optionalString(body, "purpose");
  // By id, the purpose is inside the id; by phone, it picks which pending code is meant.
  if (purpose !== undefined) input.purpose = purpose as Purpose;
  else if (input.phone !== undefined) input.purpose = defaultPurpose;
  const code = field(body, "code");
  const token = optionalString(body, "token");
  // A code sent as a JSON number has already lost its leading zeros: refuse it, do not guess.
  if (code !== undefined && typeof code !== "string")
    throw invalid("code", "code must be a string of digits.");
  if (code !== undefined) input.code = code;
  if (token !== undefined) input.token = token;
  return input;
}

function sendReply(result: SendResult) {
  return {
    id: result.id,
    phone: result.phone,
    status: result.status,
    expires_at: result.expiresAt.toISOString(),
    masked_phone: result.maskedPhone,
    resend_available_at: result.resendAvailableAt.toISOString(),
  };
}

function checkReply(result: VerifyResult) {
  return { id: result.id, phone: result.phone, status: result.status, metadata: result.metadata };
}

/**
 * The client address for per-IP limits. With `trustProxy` hops, the forwarding header's entries
 * were appended right to left by our own proxies: the client is `trustProxy` entries from the
 * right (or the leftmost, if the chain is shorter). Anything unparsable falls back to the socket.
 */
function clientIp(
  request: Request,
  context: OtpHandlerContext | undefined,
  trustProxy: number,
  proxyHeader: "x-forwarded-for" | "forwarded",
): string | undefined {
  const socketIp = typeof context?.ip === "string" ? normalizeIp(context.ip) : undefined;
  if (trustProxy === 0) return socketIp;
  const header = request.headers.get(proxyHeader);
  if (!header) return socketIp;
  const chain =
    proxyHeader === "forwarded"
      ? header.split(",").map((element) => /(?:^|;)\s*for\s*=\s*("[^"]*"|[^;]*)/i.exec(element)?.[1] ?? "")
      : header.split(",");
  const hop = chain[Math.max(0, chain.length - trustProxy)] ?? "";
  return normalizeIp(hop) ?? socketIp;
}

/**
 * A bare IPv4 or IPv6 address (quotes, brackets and ports removed), or `undefined`. IPv4-mapped
 * IPv6 becomes IPv4. IPv6 is cut to its /64: one subscriber usually holds a whole /64, and a
 * per-IP limit per single address would give them 2^64 tries.
 */
export function normalizeIp(raw: string): string | undefined {
  let ip = raw.trim().replace(/^"|"$/g, "");
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(ip);
  if (bracketed) ip = bracketed[1]!;
  else if (/^[\d.]+:\d+$/.test(ip)) ip = ip.slice(0, ip.indexOf(":"));
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) ip = mapped[1]!;
  if (/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(ip))
    return ip.split(".").every((part) => Number(part) <= 255) ? ip : undefined;
  const groups = ipv6Groups(ip);
  return groups && `${groups.slice(0, 4).join(":")}::/64`;
}

/** The eight hextets of an IPv6 address (zone ids refused), or `undefined` if it is not one. */
function ipv6Groups(ip: string): string[] | undefined {
  if (ip.length > 45 || !/^[\da-f:.]+$/i.test(ip) || !ip.includes(":")) return undefined;
  let text = ip.toLowerCase();
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const parts = v4.slice(1).map(Number);
    if (parts.some((part) => part > 255)) return undefined;
    const hex = (high: number, low: number) => ((high << 8) | low).toString(16);
    text = `${text.slice(0, v4.index)}${hex(parts[0]!, parts[1]!)}:${hex(parts[2]!, parts[3]!)}`;
  }
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(":") : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...tail];
  if (!groups.every((group) => /^[\da-f]{1,4}$/.test(group))) return undefined;
  return groups.map((group) => group.replace(/^0+(?=.)/, ""));
}
