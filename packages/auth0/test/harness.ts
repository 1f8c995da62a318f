/**
 * A contract double of the Auth0 Actions runtime (nothing of Auth0 runs offline), following the
 * documented shapes and behaviour (PLATFORMS.md section 4; Auth0's generated Actions reference):
 *
 * - `event` objects with exactly the documented fields of `custom-phone-provider`,
 *   `send-phone-message` v2 and post-login v3;
 * - every `api` call recorded; `drop`/`retry`: the last call wins, a normal return is success, a
 *   throw is an "unknown" outcome (Auth0's behaviour there is not documented);
 * - on `retry`, the handler runs again, at most 5 more times;
 * - `api.cache` with `ttl` / `expires_at` (the earlier wins), a 15-minute default, 24 hours at
 *   most, 64-byte keys, 4 KB values, 20 entries and 8 KB in all;
 * - post-login redirects with HS256 tokens made and checked with node:crypto (independent of the
 *   `jose` code under test): `encodeToken` adds `sub`, `iss`, `iat`, `exp` (default 900 s) and
 *   `ip`; `sendUserTo` appends `state`; `validateToken` reads the token from the `/continue` body
 *   or query and checks signature, `exp` and the `state` claim; `recordMethod` only works in
 *   `onContinuePostLogin` and shows up in the session's `event.authentication.methods`;
 * - Actions loaded with `require` from the built `.cjs` bundles, one fresh module instance per
 *   `loadAction` (top-level code runs once per Auth0 instance).
 */
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import type {
  CacheApi,
  CacheRecord,
  CacheSetOptions,
  CacheWriteResult,
  CustomPhoneProviderApi,
  CustomPhoneProviderEvent,
  PhoneNotification,
  PostLoginApi,
  PostLoginEvent,
  SendPhoneMessageApi,
  SendPhoneMessageEvent,
} from "../src/types.js";

// ---------------------------------------------------------------------------------------------
// Loading built Actions

export type ActionName = "custom-phone-provider" | "send-phone-message" | "post-login-step-up";

export const bundlePath = (name: ActionName): string =>
  fileURLToPath(new URL(`../dist/actions/${name}.cjs`, import.meta.url));

const nodeRequire = createRequire(import.meta.url);

/** A new Action instance: the bundle's module scope evaluated afresh, as Auth0 does per instance. */
export function loadAction<T>(name: ActionName): T {
  const path = bundlePath(name);
  delete nodeRequire.cache[path];
  return nodeRequire(path) as T;
}

export interface PhoneProviderAction {
  onExecuteCustomPhoneProvider(event: CustomPhoneProviderEvent, api: CustomPhoneProviderApi): Promise<void>;
}
export interface SendPhoneMessageAction {
  onExecuteSendPhoneMessage(event: SendPhoneMessageEvent, api: SendPhoneMessageApi): Promise<void>;
}
export interface PostLoginAction {
  onExecutePostLogin(event: PostLoginEvent, api: PostLoginApi): Promise<void>;
  onContinuePostLogin(event: PostLoginEvent, api: PostLoginApi): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// A clock the harness owns (cache lifetimes, token expiry): tests move it, nothing sleeps.

export class Clock {
  constructor(public now = Date.now()) {}
  advance(ms: number): void {
    this.now += ms;
  }
  readonly read = (): number => this.now;
}

// ---------------------------------------------------------------------------------------------
// api.cache

const cacheLimits = {
  entries: 20,
  keyBytes: 64,
  valueBytes: 4096,
  totalBytes: 8192,
  defaultTtlMs: 15 * 60_000,
  maxTtlMs: 24 * 3600_000,
};
const byteLength = (text: string) => new TextEncoder().encode(text).length;

/** Auth0's Actions cache, scoped to one trigger: give every execution of that trigger the same one. */
export class ActionsCache implements CacheApi {
  readonly records = new Map<string, CacheRecord>();
  readonly calls: Array<{ method: "get" | "set" | "delete"; key: string; options?: CacheSetOptions }> = [];
  constructor(private readonly clock: Clock = new Clock()) {}

  private sweep(): void {
    for (const [key, record] of this.records)
      if (record.expires_at <= this.clock.now) this.records.delete(key);
  }

  get(key: string): CacheRecord | undefined {
    this.calls.push({ method: "get", key });
    this.sweep();
    const record = this.records.get(key);
    return record && { ...record };
  }

  set(key: string, value: string, options: CacheSetOptions = {}): CacheWriteResult {
    this.calls.push({ method: "set", key, options });
    this.sweep();
    if (byteLength(key) > cacheLimits.keyBytes) return { type: "error", code: "CacheKeySizeExceeded" };
    if (byteLength(value) > cacheLimits.valueBytes) return { type: "error", code: "CacheValueSizeExceeded" };
    const now = this.clock.now;
    const candidates: number[] = [];
    if (options.ttl !== undefined) candidates.push(now + options.ttl);
    if (options.expires_at !== undefined) candidates.push(options.expires_at);
    if (candidates.some((at) => !Number.isFinite(at))) return { type: "error", code: "InvalidExpiry" };
    const expiresAt = Math.min(
      candidates.length ? Math.min(...candidates) : now + cacheLimits.defaultTtlMs,
      now + cacheLimits.maxTtlMs,
    );
    if (expiresAt <= now) return { type: "error", code: "ItemAlreadyExpired" };
    const others = [...this.records].filter(([other]) => other !== key);
    const total = others.reduce((sum, [k, r]) => sum + byteLength(k) + byteLength(r.value), 0);
    if (
      others.length >= cacheLimits.entries ||
      total + byteLength(key) + byteLength(value) > cacheLimits.totalBytes
    )
      return { type: "error", code: "CacheSizeExceeded" };
    const record = { value, expires_at: expiresAt };
    this.records.set(key, record);
    return { type: "success", record: { ...record } };
  }

  delete(key: string) {
    this.calls.push({ method: "delete", key });
    return this.records.delete(key)
      ? ({ type: "success" } as const)
      : ({ type: "error", code: "CacheKeyDoesNotExist" } as const);
  }
}

// ---------------------------------------------------------------------------------------------
// Events, as documented

const user = (overrides: Partial<PostLoginEvent["user"]> = {}): PostLoginEvent["user"] => ({
  user_id: "auth0|64f1c0ffee0000000000a001",
  email: "ada@example.com",
  email_verified: true,
  name: "Ada Lovelace",
  nickname: "ada",
  given_name: "Ada",
  family_name: "Lovelace",
  picture: "https://s.gravatar.com/avatar/ada.png",
  phone_number: "+14155550123",
  phone_verified: true,
  created_at: "2025-01-15T10:00:00.000Z",
  updated_at: "2026-08-01T10:00:00.000Z",
  app_metadata: {},
  user_metadata: {},
  identities: [{ connection: "Username-Password-Authentication", provider: "auth0", isSocial: false }],
  ...overrides,
});

const request = (ip: string) => ({
  geoip: {
    cityName: "San Francisco",
    continentCode: "NA",
    countryCode: "US",
    countryCode3: "USA",
    countryName: "United States",
    latitude: 37.77,
    longitude: -122.42,
    subdivisionCode: "CA",
    subdivisionName: "California",
    timeZone: "America/Los_Angeles",
  },
  hostname: "example.us.auth0.com",
  ip,
  language: "en-US",
  method: "POST",
  user_agent: "Mozilla/5.0 (X11; Linux x86_64) otpkit-harness",
});

const client = {
  client_id: "kbX9o0gYtKq7Wn3mTzP2aLc5",
  name: "Example App",
  metadata: {},
};
const tenant = {
  id: "example",
  friendly_name: "Example Inc.",
  home_url: "https://example.com",
  logo_url: "https://example.com/logo.png",
  support_email: "support@example.com",
  support_url: "https://example.com/support",
};

export const correlationId = () => `corr_${randomUUID()}`;

export interface PhoneEventInput {
  notification?: Partial<PhoneNotification>;
  secrets?: Record<string, string>;
  ip?: string;
  userId?: string;
  /** `null` leaves `transaction` out (it is optional). */
  correlationId?: string | null;
}

/** `event` of `custom-phone-provider`: an MFA verification SMS with Auth0's code by default. */
export function customPhoneProviderEvent(input: PhoneEventInput = {}): CustomPhoneProviderEvent {
  const code = input.notification?.code ?? "482913";
  const notification: PhoneNotification = {
    as_text: `${code} is your verification code for Example Inc. Please enter this code to verify your enrollment.`,
    as_voice: `Your verification code for Example Inc is ${code.split("").join(" ")}.`,
    code,
    delivery_method: "text",
    locale: "en_US",
    message_type: "otp_verify",
    recipient: "+14155550123",
    ...input.notification,
  };
  return {
    client,
    connection: {
      id: "con_0000000000000001",
      name: "Username-Password-Authentication",
      strategy: "auth0",
      metadata: {},
    },
    custom_domain: { domain: "login.example.com", domain_metadata: {} },
    notification,
    request: request(input.ip ?? "203.0.113.7"),
    tenant,
    ...(input.correlationId === null
      ? {}
      : { transaction: { correlation_id: input.correlationId ?? correlationId() } }),
    user: user(input.userId ? { user_id: input.userId } : {}),
    secrets: { ...input.secrets },
    configuration: {},
  };
}

export interface SendPhoneMessageInput {
  messageOptions?: Partial<SendPhoneMessageEvent["message_options"]>;
  secrets?: Record<string, string>;
  ip?: string;
  correlationId?: string | null;
}

/** `event` of `send-phone-message` v2: an MFA challenge SMS by default. */
export function sendPhoneMessageEvent(input: SendPhoneMessageInput = {}): SendPhoneMessageEvent {
  const code = input.messageOptions?.code ?? "730214";
  return {
    client,
    custom_domain: { domain: "login.example.com", domain_metadata: {} },
    message_options: {
      action: "second-factor-authentication",
      code,
      message_type: "sms",
      recipient: "+14155550123",
      text: `${code} is your verification code for Example Inc.`,
      ...input.messageOptions,
    },
    request: request(input.ip ?? "203.0.113.7"),
    security_context: { ja3: "769,47-53-5-10-49161", ja4: "t13d1516h2_8daaf6152771_b186095e22b6" },
    tenant: { id: tenant.id },
    ...(input.correlationId === null
      ? {}
      : { transaction: { correlation_id: input.correlationId ?? correlationId() } }),
    user: user(),
    secrets: { ...input.secrets },
    configuration: {},
  };
}

export interface PostLoginInput {
  user?: Partial<PostLoginEvent["user"]>;
  secrets?: Record<string, string>;
  ip?: string;
}

/** `event` of post-login v3: a password login. */
export function postLoginEvent(input: PostLoginInput = {}): PostLoginEvent {
  return {
    authentication: { methods: [{ name: "pwd", timestamp: new Date().toISOString() }] },
    client,
    connection: { id: "con_0000000000000001", name: "Username-Password-Authentication", strategy: "auth0" },
    request: { ...request(input.ip ?? "203.0.113.7"), query: {}, body: {} },
    tenant,
    transaction: {
      id: randomUUID(),
      correlation_id: correlationId(),
      protocol: "oidc-basic-profile",
      locale: "en",
      requested_scopes: ["openid", "profile"],
    },
    user: user(input.user),
    secrets: { ...input.secrets },
    configuration: {},
    stats: { logins_count: 12 },
  };
}

// ---------------------------------------------------------------------------------------------
// custom-phone-provider and send-phone-message executions

export interface Call {
  method: string;
  args: unknown[];
}

export interface Execution {
  outcome: "success" | "drop" | "retry" | "unknown";
  /** The reason of the deciding drop/retry call, or the thrown error's message. */
  reason?: string;
  calls: Call[];
  error?: unknown;
}

export interface PhoneProviderRun {
  /** The final outcome, after Auth0's retries. */
  outcome: Execution["outcome"];
  executions: Execution[];
}

export interface RunOptions {
  cache?: ActionsCache;
  /** Re-invocations after `retry`. Default: 5, Auth0's documented limit. */
  retries?: number;
  /**
   * The event of retry number `attempt` (1–5). Default: the identical event. Whether Auth0 hands a
   * retry the same event is not documented, so tests also give a new correlation id.
   */
  retryEvent?: (event: CustomPhoneProviderEvent, attempt: number) => CustomPhoneProviderEvent;
  /** Runs before each retry (e.g. a provider comes back). */
  beforeRetry?: (attempt: number) => void | Promise<void>;
}

/** The trigger's cache, with every call recorded for the execution. */
function recordingCache(cache: ActionsCache, calls: Call[]): CacheApi {
  return {
    get(key) {
      calls.push({ method: "cache.get", args: [key] });
      return cache.get(key);
    },
    set(key, value, options) {
      calls.push({ method: "cache.set", args: [key, value, options] });
      return cache.set(key, value, options);
    },
    delete(key) {
      calls.push({ method: "cache.delete", args: [key] });
      return cache.delete(key);
    },
  };
}

async function executeOnce(
  action: PhoneProviderAction,
  event: CustomPhoneProviderEvent,
  cache: ActionsCache,
): Promise<Execution> {
  const calls: Call[] = [];
  let decision: { outcome: "drop" | "retry"; reason: string } | undefined;
  const api: CustomPhoneProviderApi = {
    cache: recordingCache(cache, calls),
    notification: {
      drop(reason) {
        calls.push({ method: "notification.drop", args: [reason] });
        decision = { outcome: "drop", reason: String(reason).slice(0, 1024) };
      },
      retry(reason) {
        calls.push({ method: "notification.retry", args: [reason] });
        decision = { outcome: "retry", reason: String(reason).slice(0, 1024) };
      },
    },
  };
  try {
    await action.onExecuteCustomPhoneProvider(structuredClone(event), api);
  } catch (error) {
    return {
      outcome: "unknown",
      reason: error instanceof Error ? error.message : String(error),
      calls,
      error,
    };
  }
  return decision ? { ...decision, calls } : { outcome: "success", calls };
}

/** One notification through a custom phone provider, with Auth0's retries. */
export async function runCustomPhoneProvider(
  action: PhoneProviderAction,
  event: CustomPhoneProviderEvent,
  options: RunOptions = {},
): Promise<PhoneProviderRun> {
  const cache = options.cache ?? new ActionsCache();
  const retries = options.retries ?? 5;
  const executions = [await executeOnce(action, event, cache)];
  for (let attempt = 1; attempt <= retries && executions.at(-1)!.outcome === "retry"; attempt++) {
    await options.beforeRetry?.(attempt);
    const next = options.retryEvent ? options.retryEvent(event, attempt) : event;
    executions.push(await executeOnce(action, next, cache));
  }
  return { outcome: executions.at(-1)!.outcome, executions };
}

/** One `send-phone-message` execution: it has no answer API, so success or a thrown error. */
export async function runSendPhoneMessage(
  action: SendPhoneMessageAction,
  event: SendPhoneMessageEvent,
  cache: ActionsCache = new ActionsCache(),
): Promise<Execution> {
  const calls: Call[] = [];
  const api: SendPhoneMessageApi = {
    cache: recordingCache(cache, calls),
  };
  try {
    await action.onExecuteSendPhoneMessage(structuredClone(event), api);
    return { outcome: "success", calls };
  } catch (error) {
    return {
      outcome: "unknown",
      reason: error instanceof Error ? error.message : String(error),
      calls,
      error,
    };
  }
}

// ---------------------------------------------------------------------------------------------
// post-login: HS256 redirect tokens with node:crypto

const b64url = (data: Buffer | string) => Buffer.from(data).toString("base64url");

export function signHs256(claims: Record<string, unknown>, secret: string): string {
  const head = b64url(JSON.stringify({ alg: "HS256", typ: "JWT" }));
  const body = b64url(JSON.stringify(claims));
  const signature = createHmac("sha256", secret).update(`${head}.${body}`).digest("base64url");
  return `${head}.${body}.${signature}`;
}

/** The claims of a valid HS256 token, or an Error saying why not (signature and `exp` only). */
export function verifyHs256(token: unknown, secret: string, nowSeconds: number): Record<string, unknown> {
  if (typeof token !== "string") throw new Error("No token.");
  const [head, body, signature, ...rest] = token.split(".");
  if (!head || !body || !signature || rest.length) throw new Error("Malformed token.");
  const header = JSON.parse(Buffer.from(head, "base64url").toString());
  if (header.alg !== "HS256") throw new Error("Unexpected algorithm.");
  const expected = createHmac("sha256", secret).update(`${head}.${body}`).digest();
  const given = Buffer.from(signature, "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    throw new Error("Invalid signature.");
  const claims = JSON.parse(Buffer.from(body, "base64url").toString());
  if (typeof claims.exp !== "number" || claims.exp <= nowSeconds) throw new Error("Token expired.");
  return claims;
}

export interface Redirect {
  /** The URL the browser is sent to, with the query and Auth0's `state`. */
  location: URL;
  state: string;
}

export interface LoginResult {
  redirect?: Redirect;
  denied?: string;
  calls: Call[];
  error?: unknown;
}

export interface ContinueResult {
  denied?: string;
  recordedMethods: string[];
  calls: Call[];
  error?: unknown;
}

/**
 * One Auth0 login transaction through a post-login Action: `login` runs `onExecutePostLogin`; a
 * redirect suspends it; `resume` posts to `/continue` and runs `onContinuePostLogin` on a new
 * `event.request` (as Auth0 issues one per resume) with the state of that redirect.
 */
export class LoginTransaction {
  private state: string | undefined;
  readonly methods: PostLoginEvent["authentication"] = { methods: [] };

  constructor(
    private readonly action: PostLoginAction,
    readonly event: PostLoginEvent,
    private readonly clock: Clock = new Clock(),
  ) {
    this.methods = { methods: [...(event.authentication?.methods ?? [])] };
  }

  private api(calls: Call[], phase: "execute" | "continue", requestData: PostLoginEvent["request"]) {
    const record = (method: string, ...args: unknown[]) => calls.push({ method, args });
    const self = this;
    const api: PostLoginApi = {
      access: {
        deny(reason) {
          record("access.deny", reason);
          return api;
        },
      },
      authentication: {
        recordMethod(url) {
          record("authentication.recordMethod", url);
          if (phase !== "continue") throw new Error("recordMethod is only available in onContinuePostLogin.");
          if (!/^https?:\/\//.test(url)) throw new Error("recordMethod needs an http(s) URL.");
          self.methods!.methods.push({ name: url, timestamp: new Date(self.clock.now).toISOString() });
          return api;
        },
        challengeWith(...args) {
          record("authentication.challengeWith", ...args);
        },
      },
      redirect: {
        encodeToken({ secret, payload, expiresInSeconds = 900 }) {
          record("redirect.encodeToken", { payload, expiresInSeconds });
          const iat = Math.floor(self.clock.now / 1000);
          return signHs256(
            {
              ...payload,
              sub: self.event.user.user_id,
              iss: self.event.request.hostname,
              iat,
              exp: iat + expiresInSeconds,
              ip: self.event.request.ip,
            },
            secret,
          );
        },
        sendUserTo(url, options = {}) {
          record("redirect.sendUserTo", url, options);
          if (phase !== "execute")
            throw new Error("sendUserTo is only available in onExecutePostLogin here.");
          self.state = randomBytes(24).toString("base64url");
          return api;
        },
        validateToken({ secret, tokenParameterName = "session_token" }) {
          record("redirect.validateToken", { tokenParameterName });
          const token = requestData.body?.[tokenParameterName] ?? requestData.query?.[tokenParameterName];
          const claims = verifyHs256(token, secret, Math.floor(self.clock.now / 1000));
          if (!self.state || claims.state !== self.state)
            throw new Error("The token's state does not match.");
          return claims;
        },
      },
      cache: new ActionsCache(self.clock),
    };
    return api;
  }

  private event_(requestData: PostLoginEvent["request"]): PostLoginEvent {
    return structuredClone({ ...this.event, request: requestData, authentication: this.methods });
  }

  async login(): Promise<LoginResult> {
    const calls: Call[] = [];
    const requestData = { ...this.event.request, query: {}, body: {} };
    const api = this.api(calls, "execute", requestData);
    try {
      await this.action.onExecutePostLogin(this.event_(requestData), api);
    } catch (error) {
      return { calls, error };
    }
    return this.summary(calls);
  }

  private summary(calls: Call[]): LoginResult {
    const deny = calls.findLast((call) => call.method === "access.deny");
    const send = calls.findLast((call) => call.method === "redirect.sendUserTo");
    if (deny) return { denied: String(deny.args[0]), calls };
    if (!send || !this.state) return { calls };
    const location = new URL(String(send.args[0]));
    const query = (send.args[1] as { query?: Record<string, string> } | undefined)?.query ?? {};
    for (const [name, value] of Object.entries(query)) location.searchParams.set(name, value);
    location.searchParams.set("state", this.state);
    return { redirect: { location, state: this.state }, calls };
  }

  /** `POST https://{domain}/continue` with `fields` as the form body (and `state` in it, as forms do). */
  async resume(fields: {
    body?: Record<string, string>;
    query?: Record<string, string>;
  }): Promise<ContinueResult> {
    const calls: Call[] = [];
    const requestData = {
      ...this.event.request,
      method: fields.body ? "POST" : "GET",
      query: { ...fields.query },
      body: { ...fields.body },
    };
    // Auth0 resumes only the transaction whose state comes back; another state is an error page.
    const returned = fields.body?.state ?? fields.query?.state;
    if (returned !== this.state) throw new Error("/continue: invalid_request (unknown state)");
    const api = this.api(calls, "continue", requestData);
    try {
      await this.action.onContinuePostLogin(this.event_(requestData), api);
    } catch (error) {
      return { calls, error, recordedMethods: [] };
    }
    const deny = calls.findLast((call) => call.method === "access.deny");
    const recordedMethods = calls
      .filter((call) => call.method === "authentication.recordMethod")
      .map((call) => String(call.args[0]));
    return deny ? { denied: String(deny.args[0]), recordedMethods, calls } : { recordedMethods, calls };
  }
}
