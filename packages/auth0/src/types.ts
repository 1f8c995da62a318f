/**
 * The `event` and `api` objects of the Auth0 Action triggers this package serves, written by hand
 * from Auth0's documented shapes (the generated reference pages under
 * https://auth0.com/docs/customize/actions/explore-triggers and `auth0/auth0-actions`' type
 * definitions): `@auth0/actions`, which Auth0 documents for these types, is not on npm. Only what
 * the triggers document is here; fields otpkit does not read are kept where they help an Action
 * author, and every object stays open (`[field: string]: unknown`) for fields Auth0 adds later.
 */

/** An Action's secrets: `event.secrets.NAME` (keys ≤ 128 characters, values ≤ 4096). */
export type Secrets = Readonly<Record<string, string | undefined>>;

// ---------------------------------------------------------------------------------------------
// api.cache (every trigger here)

/** A cached value and when it goes (milliseconds since the epoch). */
export interface CacheRecord {
  value: string;
  expires_at: number;
}

/** Why `api.cache.set` / `delete` refused. */
export type CacheWriteErrorCode =
  | "MaxSideEffectsExceeded"
  | "CacheKeySizeExceeded"
  | "CacheValueSizeExceeded"
  | "CacheSizeExceeded"
  | "ItemAlreadyExpired"
  | "InvalidExpiry"
  | "FailedToSetCacheRecord"
  | "FailedToDeleteCacheRecord"
  | "CacheKeyDoesNotExist";

export type CacheWriteResult =
  | { type: "success"; record: CacheRecord }
  | { type: "error"; code: CacheWriteErrorCode };

export type CacheDeleteResult = { type: "success" } | { type: "error"; code: CacheWriteErrorCode };

/** Give one of them; with both, the earlier expiry wins. Default: 15 minutes. */
export interface CacheSetOptions {
  /** Lifetime in milliseconds. */
  ttl?: number;
  /** Absolute expiry, milliseconds since the epoch. */
  expires_at?: number;
}

/**
 * Auth0's Actions cache: scoped to the trigger; keys ≤ 64 bytes, values ≤ 4 KB, at most 20 entries
 * and 8 KB in all, 24 hours at most. Best effort: an entry may be gone on the next execution.
 */
export interface CacheApi {
  get(key: string): CacheRecord | undefined;
  set(key: string, value: string, options?: CacheSetOptions): CacheWriteResult;
  delete(key: string): CacheDeleteResult;
}

// ---------------------------------------------------------------------------------------------
// Shared parts of `event`

export interface GeoIp {
  cityName?: string;
  continentCode?: string;
  countryCode?: string;
  countryCode3?: string;
  countryName?: string;
  latitude?: number;
  longitude?: number;
  subdivisionCode?: string;
  subdivisionName?: string;
  timeZone?: string;
  [field: string]: unknown;
}

/** The request that started the transaction, as Auth0 received it. */
export interface ActionRequest {
  geoip: GeoIp;
  hostname?: string;
  /** The client's IP address, as Auth0 saw it: the one IP an Action can trust. */
  ip: string;
  language?: string;
  method: string;
  user_agent?: string;
  [field: string]: unknown;
}

export interface ActionClient {
  client_id: string;
  name: string;
  metadata: Record<string, string>;
  [field: string]: unknown;
}

export interface ActionTenant {
  /** The tenant's name. */
  id: string;
  friendly_name?: string;
  home_url?: string;
  logo_url?: string;
  support_email?: string;
  support_url?: string;
  [field: string]: unknown;
}

export interface ActionConnection {
  id: string;
  name: string;
  strategy: string;
  metadata?: Record<string, string>;
  [field: string]: unknown;
}

export interface ActionOrganization {
  id: string;
  name: string;
  display_name: string;
  metadata: Record<string, string>;
  [field: string]: unknown;
}

export interface ActionCustomDomain {
  domain: string;
  domain_metadata: Record<string, string>;
}

export interface ActionUser {
  /** The Auth0 user id (`auth0|…`, `sms|…`): the subject every code is bound to. */
  user_id: string;
  app_metadata: Record<string, unknown>;
  user_metadata: Record<string, unknown>;
  created_at: string;
  updated_at: string;
  email?: string;
  email_verified: boolean;
  phone_number?: string;
  phone_verified?: boolean;
  name?: string;
  nickname?: string;
  given_name?: string;
  family_name?: string;
  username?: string;
  picture?: string;
  last_password_reset?: string;
  identities?: Array<Record<string, unknown>>;
  [field: string]: unknown;
}

// ---------------------------------------------------------------------------------------------
// custom-phone-provider

/** `notification.message_type`. `otp_verify` and `otp_enroll` carry a `code`; the others may not. */
export type MessageType =
  | "otp_verify"
  | "otp_enroll"
  | "blocked_account"
  | "change_password"
  | "password_breach";

export const messageTypes: readonly MessageType[] = [
  "otp_verify",
  "otp_enroll",
  "blocked_account",
  "change_password",
  "password_breach",
];

/** `event.notification` of the `custom-phone-provider` trigger. */
export interface PhoneNotification {
  /** The SMS text Auth0 rendered (localised, with the code). */
  as_text: string;
  /** The text Auth0 rendered for a voice call. */
  as_voice: string;
  /** The one-time code Auth0 made, for the types that have one (`otp_verify`, `otp_enroll`). */
  code?: string;
  delivery_method: "text" | "voice";
  /** The sender number (E.164), when configured. */
  from?: string;
  /** The locale the text was rendered in, e.g. `en_US`. */
  locale?: string;
  message_type: MessageType;
  /** The recipient, E.164. */
  recipient: string;
}

/** `event` of `exports.onExecuteCustomPhoneProvider`. */
export interface CustomPhoneProviderEvent {
  client: ActionClient;
  connection?: ActionConnection;
  custom_domain?: ActionCustomDomain;
  notification: PhoneNotification;
  organization?: ActionOrganization;
  request: ActionRequest;
  tenant: ActionTenant;
  /** For tracing; `correlation_id` is what otpkit dedupes Auth0's retries by. */
  transaction?: { correlation_id?: string };
  user: ActionUser;
  secrets: Secrets;
  configuration?: Record<string, unknown>;
}

/** `api` of `exports.onExecuteCustomPhoneProvider`. A normal return means "sent". */
export interface CustomPhoneProviderApi {
  readonly cache: CacheApi;
  /** If both are called, the last call counts. `reason` (≤ 1024 characters) goes to Auth0's logs. */
  readonly notification: {
    /** Failed for good: logged, never retried. */
    drop(reason: string): void;
    /** Failed for now: Auth0 retries, up to 5 times in the next minutes. */
    retry(reason: string): void;
  };
}

// ---------------------------------------------------------------------------------------------
// send-phone-message v2 (MFA only, tenants without the Unified Phone Experience)

/** `event.message_options` of the `send-phone-message` trigger. */
export interface PhoneMessageOptions {
  action: "enrollment" | "second-factor-authentication";
  code: string;
  message_type: "sms" | "voice";
  recipient: string;
  text: string;
}

/** `event` of `exports.onExecuteSendPhoneMessage`. */
export interface SendPhoneMessageEvent {
  client?: ActionClient;
  custom_domain?: ActionCustomDomain;
  message_options: PhoneMessageOptions;
  request: ActionRequest;
  security_context?: { ja3?: string; ja4?: string };
  tenant: { id: string; [field: string]: unknown };
  transaction?: { correlation_id?: string };
  user: ActionUser;
  secrets: Secrets;
  configuration?: Record<string, unknown>;
}

/** `api` of `exports.onExecuteSendPhoneMessage`: only the cache; a thrown error is the failure signal. */
export interface SendPhoneMessageApi {
  readonly cache: CacheApi;
}

// ---------------------------------------------------------------------------------------------
// post-login v3 (the parts a redirect step-up uses)

/** One completed authentication method of the session: `pwd`, `sms`, `mfa`, … or a recorded URL. */
export interface AuthenticationMethod {
  name: string;
  /** ISO 8601. */
  timestamp: string;
  [field: string]: unknown;
}

/** `event` of `exports.onExecutePostLogin` / `exports.onContinuePostLogin`. */
export interface PostLoginEvent {
  authentication?: { methods: AuthenticationMethod[]; [field: string]: unknown };
  client: ActionClient;
  connection: ActionConnection;
  organization?: ActionOrganization;
  /** On `/continue`, `query` and `body` hold what the redirect target sent back. */
  request: ActionRequest & { query?: Record<string, unknown>; body?: Record<string, unknown> };
  tenant: ActionTenant;
  transaction?: { id?: string; correlation_id?: string; protocol?: string; [field: string]: unknown };
  user: ActionUser;
  secrets: Secrets;
  configuration?: Record<string, unknown>;
  stats?: { logins_count: number };
}

export interface EncodeTokenOptions {
  /** The HS256 key shared with the redirect target. */
  secret: string;
  /** Custom claims; Auth0 adds `sub` (user id), `iss` (tenant host), `exp` and `ip`. */
  payload: Record<string, unknown>;
  /** Default: 900. */
  expiresInSeconds?: number;
}

export interface ValidateTokenOptions {
  secret: string;
  /** The `/continue` query or body parameter holding the token. Default: `"session_token"`. */
  tokenParameterName?: string;
}

/** `api` of the post-login trigger (v3), the parts this package and its users need. */
export interface PostLoginApi {
  access: { deny(reason: string): PostLoginApi };
  authentication: {
    /** Only in `onContinuePostLogin`: `event.authentication.methods` then lists `{ name: url }`. */
    recordMethod(providerUrl: string): PostLoginApi;
    challengeWith(factor: { type: string; options?: Record<string, unknown> }, options?: unknown): void;
    [method: string]: unknown;
  };
  redirect: {
    /** An HS256 JWT with `sub`, `iss`, `exp`, `ip` and the payload. */
    encodeToken(options: EncodeTokenOptions): string;
    /** Auth0 appends `state` to the URL. */
    sendUserTo(url: string, options?: { query?: Record<string, string> }): PostLoginApi;
    /**
     * Reads the token from the `/continue` query or body and checks its HS256 signature, its
     * `exp` and that its `state` claim is this transaction's state; throws otherwise. Returns the
     * token's claims.
     */
    validateToken(options: ValidateTokenOptions): Record<string, unknown>;
    [method: string]: unknown;
  };
  cache: CacheApi;
  multifactor?: { enable(provider: string, options?: Record<string, unknown>): PostLoginApi };
  user?: {
    setAppMetadata(key: string, value: unknown): PostLoginApi;
    setUserMetadata(key: string, value: unknown): PostLoginApi;
  };
  idToken?: { setCustomClaim(key: string, value: unknown): PostLoginApi };
  accessToken?: { setCustomClaim(key: string, value: unknown): PostLoginApi };
  [namespace: string]: unknown;
}
