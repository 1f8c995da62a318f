import { generateCode, randomToken } from "./code.js";
import { createHmac, type Hmac } from "./crypto.js";
import { invalid, OtpError } from "./errors.js";
import { memoryStore } from "./memory-store.js";
import {
  checkTemplate,
  composeMessage,
  defaultExpiryMinutes,
  defaultTemplates,
  type Purpose,
  purposes,
} from "./message.js";
import { maskPhone, type PhonePolicy, parsePhone } from "./phone.js";
import type { Channel, Sender } from "./senders.js";
import type { CheckResult, OtpRecord, RateHit, Store } from "./store.js";

/** At most `limit` events in any sliding window of `windowSeconds`. */
export interface RateRule {
  limit: number;
  windowSeconds: number;
}

export interface LimitOptions {
  /** Sends per phone number, across purposes. Default: 3 per hour and 10 per day (`SMS_RATE_LIMIT_HOUR`/`_DAY`). */
  perPhone?: RateRule[];
  /** Sends per client IP. Default: 10 per 10 minutes. */
  perIp?: RateRule[];
  /** Seconds before the same phone can get another code for the same purpose. Default: 60. */
  resendCooldownSeconds?: number;
  /**
   * Sends per number range (the E.164 number without its last `hiddenDigits` digits), against
   * SMS-pumping fraud that walks sequential numbers. Default: 20 per hour, 4 hidden digits; `false` turns it off.
   */
  perPrefix?: { rules: RateRule[]; hiddenDigits?: number } | false;
  /** A budget for the whole app (per tenant). Default: none. */
  global?: RateRule[];
}

export type OtpEvent =
  | {
      type: "sent";
      id: string;
      purpose: Purpose;
      phone: string;
      tenant?: string;
      ip?: string;
      test?: boolean;
    }
  | { type: "verified"; id: string; purpose: Purpose; phone: string; tenant?: string }
  | { type: "failed"; reason: string; purpose: Purpose; phone?: string; id?: string; tenant?: string }
  | {
      type: "limited";
      rule: string;
      retryAfter: number;
      purpose: Purpose;
      phone: string;
      tenant?: string;
      ip?: string;
    }
  | { type: "blocked"; reason: string; tenant?: string; ip?: string };

export interface OtpOptions {
  /**
   * Key for every HMAC, at least 32 bytes. A list enables rotation: the first signs, all verify.
   * Required; `OTP_SECRET` (comma-separated for rotation) with `createOtpFromEnv`.
   */
  secret: string | readonly string[];
  /** Where pending codes and rate windows live. Default: `memoryStore()` (one process only). */
  store?: Store;
  /** The send API. Required unless every number is a test number. */
  sender?: Sender;
  /** Replaces `{app}` in templates. Default: `""`. */
  appName?: string;
  /** Digits per code, 4–8. Default: 6. */
  codeLength?: number;
  /** Wrong guesses allowed per code before it dies. Default: 3. */
  maxAttempts?: number;
  /** Minutes a code lives, per purpose, 1–60. Defaults: login/two_factor/transaction 5, signup/phone_verification/magic_link 10, password_reset 15. */
  expiryMinutes?: Partial<Record<Purpose, number>>;
  /** Message templates per purpose with `{code}`, `{minutes}`, `{app}` (and `{link}`). Defaults: see `defaultTemplates`. */
  templates?: Partial<Record<Purpose, string>>;
  limits?: LimitOptions;
  /** Phone parsing and country policy. Default: E.164 input, every country, mobile-capable numbers only. */
  phone?: PhonePolicy;
  /**
   * Numbers with fixed codes that never reach the sender (app review, end-to-end tests), e.g.
   * `{ "+14255550123": "123456" }`. Refused when `production` is true. Default: none.
   */
  testNumbers?: Record<string, string>;
  /** Refuse development-only settings (test numbers). Default: `process.env.NODE_ENV === "production"` where available. */
  production?: boolean;
  /** Adds the WebOTP / iOS one-time-code origin line `@domain #code` as the last line. Default: none. */
  webOtpDomain?: string;
  /** Android SMS Retriever app hash appended to messages. Default: none. */
  androidAppHash?: string;
  /** Magic links: `url` gets `{token}` replaced by a one-time token; verify accepts the token once. Default: off. */
  magicLink?: { url: string };
  /** Milliseconds since the epoch. Default: `Date.now`. Inject for tests. */
  clock?: () => number;
  /** Audit hook: phones are masked, codes never appear. Errors thrown here are swallowed. */
  onEvent?: (event: OtpEvent) => void;
}

export interface SendInput {
  phone: string;
  /** Default: `"login"`. */
  purpose?: Purpose;
  /** The caller's IP, for per-IP limits. */
  ip?: string;
  /** Separates organisations sharing one deployment; one pending code per phone+purpose+tenant. */
  tenant?: string;
  /** Default: `"sms"`. */
  channel?: Channel;
  /** Overrides the purpose's template; must contain `{code}`. */
  template?: string;
  /** 4–8. Default: the `codeLength` option. */
  codeLength?: number;
  /** 1–60. Default: the purpose's expiry. */
  expiryMinutes?: number;
  /** A small JSON object kept with the verification and returned by `verify`. */
  metadata?: Record<string, unknown>;
  /** Also send a one-time magic link (needs the `magicLink` option). Default: true for `magic_link`. */
  link?: boolean;
}

export interface SendResult {
  id: string;
  phone: string;
  maskedPhone: string;
  purpose: Purpose;
  status: "sent";
  expiresAt: Date;
  resendAvailableAt: Date;
  /** The provider's message id (absent for test numbers). */
  messageId?: string;
}

export interface VerifyInput {
  /** The verification id from `send`. Or give `phone` (+ `purpose`). */
  id?: string;
  phone?: string;
  /** Default: the purpose in the id, else `"login"`. */
  purpose?: Purpose;
  tenant?: string;
  /** The code the person typed. Or give `token` from a magic link. */
  code?: string;
  token?: string;
}

export interface VerifyResult {
  id: string;
  phone: string;
  purpose: Purpose;
  status: "approved";
  metadata: Record<string, unknown>;
}

export interface Otp {
  send(input: SendInput): Promise<SendResult>;
  verify(input: VerifyInput): Promise<VerifyResult>;
  /** Counts one event against rules of your own (e.g. per-IP verify attempts), atomically. */
  limit(subject: string, rules: RateRule[], tenant?: string): Promise<void>;
  readonly store: Store;
  readonly sender: Sender | undefined;
  readonly options: Readonly<OtpOptions>;
}

/** One letter per purpose inside verification ids. */
const purposeLetters = "lstprmx";
/** `ver_` + purpose letter + code length + 16 chars of phone key + 16 random chars. */
const idPattern = /^ver_([lstprmx])([4-8])([\w-]{16})([\w-]{16})$/;
const tenantPattern = /^[\w.-]{1,64}$/;
const codePattern = /^\d{4,8}$/;
const e164Pattern = /^\+[1-9]\d{6,14}$/;
/** Records outlive their expiry by this much so that a late attempt hears `expired`, not `not_found`. */
const expiredRetentionMs = 10 * 60_000;
const maxMetadataBytes = 1024;
const encoder = new TextEncoder();

const isWholeIn = (value: unknown, min: number, max: number): value is number =>
  Number.isInteger(value) && (value as number) >= min && (value as number) <= max;
const minutesInRange = (value: unknown, field: string): number => {
  if (!isWholeIn(value, 1, 60))
    throw invalid(field, "Expiry must be a whole number of minutes from 1 to 60.");
  return value;
};
const lengthInRange = (value: unknown, field: string): number => {
  if (!isWholeIn(value, 4, 8)) throw invalid(field, "Codes have 4 to 8 digits.");
  return value;
};
const checkPurpose = (value: unknown): Purpose => {
  if (!purposes.includes(value as Purpose)) throw invalid("purpose", `Purpose must be one of ${purposes}.`);
  return value as Purpose;
};
const configError = (message: string) => new OtpError("invalid_config", message);
const checkRules = (rules: RateRule[], field: string): RateRule[] => {
  if (!rules.every((rule) => isWholeIn(rule.limit, 1, 1e9) && isWholeIn(rule.windowSeconds, 1, 1e9))) {
    throw configError(`${field}: each rule needs a positive whole limit and windowSeconds.`);
  }
  return rules;
};
const checkTenant = (tenant: unknown): string => {
  if (tenant === undefined || tenant === "") return "";
  if (typeof tenant !== "string" || !tenantPattern.test(tenant))
    throw invalid("tenant", "Tenant ids are 1–64 letters, digits, '.', '_' or '-'.");
  return tenant;
};
const checkMetadata = (metadata: unknown): Record<string, unknown> => {
  if (metadata === undefined) return {};
  const valid =
    typeof metadata === "object" &&
    metadata !== null &&
    !Array.isArray(metadata) &&
    Object.getPrototypeOf(metadata) === Object.prototype;
  const json = valid ? JSON.stringify(metadata) : "";
  if (!valid || encoder.encode(json).length > maxMetadataBytes) {
    throw invalid("metadata", `Metadata is a plain JSON object of at most ${maxMetadataBytes} bytes.`);
  }
  // Re-parsing yields a clean copy: no prototype tricks, no shared references.
  return JSON.parse(json);
};

/** Store failures are outages, never answers: fail closed with `store_unavailable`. */
function guard<T>(operation: () => Promise<T>): Promise<T> {
  const unavailable = (cause: unknown): never => {
    if (cause instanceof OtpError) throw cause;
    throw new OtpError("store_unavailable", "Verification storage is unavailable. Try again shortly.", {
      cause,
    });
  };
  // Not an async function: on the hot path one promise is cheaper than an async frame around it.
  try {
    return operation().catch(unavailable);
  } catch (cause) {
    return Promise.reject(cause).catch(unavailable);
  }
}

/** Runs a request validator on configuration, reporting failures as `invalid_config` naming the option. */
function configured<T>(option: string, validate: () => T): T {
  try {
    return validate();
  } catch (error) {
    throw configError(`${option}: ${(error as Error).message}`);
  }
}

export function createOtp(options: OtpOptions): Otp {
  const secrets = typeof options.secret === "string" ? [options.secret] : [...(options.secret ?? [])];
  if (
    !secrets.length ||
    secrets.some((secret) => typeof secret !== "string" || encoder.encode(secret).length < 32)
  ) {
    throw configError("OTP_SECRET must be set to at least 32 bytes (e.g. `openssl rand -base64 32`).");
  }
  const production =
    options.production ??
    (globalThis as { process?: { env?: Record<string, string> } }).process?.env?.NODE_ENV === "production";
  const store = options.store ?? memoryStore();
  const sender = options.sender;
  const clock = options.clock ?? Date.now;
  const app = options.appName ?? "";
  const codeLength = configured("codeLength", () => lengthInRange(options.codeLength ?? 6, "codeLength"));
  const maxAttempts = options.maxAttempts ?? 3;
  if (!isWholeIn(maxAttempts, 1, 10)) throw configError("maxAttempts must be a whole number from 1 to 10.");
  const expiry = { ...defaultExpiryMinutes, ...options.expiryMinutes };
  for (const purpose of purposes)
    configured(`expiryMinutes.${purpose}`, () => minutesInRange(expiry[purpose], purpose));
  const templates = { ...defaultTemplates, ...options.templates };
  for (const purpose of purposes) configured(`templates.${purpose}`, () => checkTemplate(templates[purpose]));
  const limits = options.limits ?? {};
  const perPhone = checkRules(
    limits.perPhone ?? [
      { limit: 3, windowSeconds: 3600 },
      { limit: 10, windowSeconds: 86_400 },
    ],
    "perPhone",
  );
  const perIp = checkRules(limits.perIp ?? [{ limit: 10, windowSeconds: 600 }], "perIp");
  const cooldown = limits.resendCooldownSeconds ?? 60;
  const perPrefix =
    limits.perPrefix === false
      ? undefined
      : (limits.perPrefix ?? { rules: [{ limit: 20, windowSeconds: 3600 }] });
  if (perPrefix) checkRules(perPrefix.rules, "perPrefix");
  const hiddenDigits = perPrefix?.hiddenDigits ?? 4;
  const globalRules = checkRules(limits.global ?? [], "global");
  const phonePolicy = options.phone ?? {};

  const testNumbers = new Map<string, string>();
  for (const [number, code] of Object.entries(options.testNumbers ?? {})) {
    if (production) throw configError("testNumbers are refused in production: they bypass the SMS.");
    if (!/^\+\d{6,15}$/.test(number) || !codePattern.test(code)) {
      throw configError("testNumbers maps E.164 numbers to codes of 4–8 digits.");
    }
    testNumbers.set(number, code);
  }
  if (options.magicLink && !options.magicLink.url.includes("{token}")) {
    throw configError("magicLink.url must contain {token}.");
  }

  const signers: Hmac[] = secrets.map((secret) => createHmac(encoder.encode(secret)));
  const sign = signers[0]!;

  const emit = (event: OtpEvent) => {
    try {
      options.onEvent?.(event);
    } catch {
      // An audit hook must never turn a verification into a failure.
    }
  };

  /** Record key: tenant, purpose and a keyed digest of the phone, so stores never hold numbers in keys. */
  const recordKey = (tenant: string, purposeLetter: string, phoneDigest: string) =>
    `${tenant}:${purposeLetter}:${phoneDigest}`;
  const phoneDigest = async (tenant: string, phone: string) =>
    (await sign(`phone|${tenant}|${phone}`)).slice(0, 16);
  /** Candidate hashes under every secret; the code hash is bound to the record key (tenant, purpose, phone). */
  const candidates = async (key: string, kind: "code" | "link", value: string): Promise<string[]> => {
    const message = `${kind}|${key}|${value}`;
    // One secret is the common case: skip Promise.all's allocations on the hot path.
    return signers.length === 1
      ? [await sign(message)]
      : Promise.all(signers.map((signer) => signer(message)));
  };

  const ruleKey = (tenant: string, name: string, rule: RateRule, subject: string): RateHit => ({
    key: `${tenant}:rl:${name}:${rule.windowSeconds}:${subject}`,
    limit: rule.limit,
    windowMs: rule.windowSeconds * 1000,
  });

  const describeRule = (key: string) => key.split(":")[2] ?? "limit";

  async function send(input: SendInput): Promise<SendResult> {
    if (typeof input !== "object" || input === null)
      throw invalid("body", "Send needs an object with a phone.");
    const purpose = checkPurpose(input.purpose ?? "login");
    const tenant = checkTenant(input.tenant);
    // A test number matches as typed (it may be one libphonenumber calls invalid, like +1 555…)
    // or once normalised, so "+1 425 555 0123" can never slip past its entry to a real SMS.
    let testCode = typeof input.phone === "string" ? testNumbers.get(input.phone) : undefined;
    let phone: string;
    let maskedPhone: string;
    try {
      ({ e164: phone, masked: maskedPhone } = testCode
        ? { e164: input.phone as string, masked: maskPhone(input.phone as string) }
        : parsePhone(input.phone, phonePolicy));
      testCode ??= testNumbers.get(phone);
    } catch (error) {
      if (error instanceof OtpError && error.code === "blocked") {
        emit({ type: "blocked", reason: "country", tenant: tenant || undefined, ip: input.ip });
      }
      throw error;
    }
    const length =
      input.codeLength === undefined ? codeLength : lengthInRange(input.codeLength, "code_length");
    if (testCode && testCode.length !== length)
      throw invalid("code_length", "This test number's code has another length.");
    const minutes =
      input.expiryMinutes === undefined
        ? expiry[purpose]
        : minutesInRange(input.expiryMinutes, "expiry_minutes");
    const template = input.template === undefined ? templates[purpose] : checkTemplate(input.template);
    const metadata = checkMetadata(input.metadata);
    const channel = input.channel ?? "sms";
    if (channel !== "sms" && channel !== "whatsapp")
      throw invalid("channel", "Channel must be sms or whatsapp.");
    if (!testCode) {
      if (!sender) throw configError("No sender is configured.");
      if (!(sender.channels ?? ["sms"]).includes(channel))
        throw invalid("channel", `This app cannot send by ${channel}.`);
    }
    const withLink = input.link ?? purpose === "magic_link";
    if (withLink && !options.magicLink) throw invalid("link", "Magic links are not configured.");
    const ip = typeof input.ip === "string" && input.ip.length <= 64 ? input.ip : undefined;

    const now = clock();
    const letter = purposeLetters[purposes.indexOf(purpose)]!;
    const digest = await phoneDigest(tenant, phone);
    const key = recordKey(tenant, letter, digest);
    const id = `ver_${letter}${length}${digest}${randomToken(12)}`;
    const code = testCode ?? generateCode(length);
    const token = withLink ? `${id}.${randomToken(24)}` : undefined;
    const expiresAt = now + minutes * 60_000;
    const record: OtpRecord = {
      id,
      hash: await sign(`code|${key}|${code}`),
      expiresAt,
      attempts: 0,
      maxAttempts,
      data: JSON.stringify({ phone, masked: maskedPhone, metadata }),
    };
    if (token) record.linkHash = await sign(`link|${key}|${token}`);

    const hits: RateHit[] = [];
    for (const rule of perPhone) hits.push(ruleKey(tenant, "phone", rule, digest));
    if (cooldown > 0)
      hits.push(ruleKey(tenant, "cooldown", { limit: 1, windowSeconds: cooldown }, `${letter}${digest}`));
    if (ip) for (const rule of perIp) hits.push(ruleKey(tenant, "ip", rule, ip));
    if (perPrefix)
      for (const rule of perPrefix.rules)
        hits.push(ruleKey(tenant, "prefix", rule, phone.slice(0, -hiddenDigits)));
    for (const rule of globalRules) hits.push(ruleKey(tenant, "global", rule, "all"));

    const retainUntil = expiresAt + expiredRetentionMs;
    const put = await guard(() => store.put(key, record, { now, retainUntil, hits }));
    if (!put.ok) {
      const retryAfter = Math.max(1, Math.ceil(put.retryAfterMs / 1000));
      emit({
        type: "limited",
        rule: describeRule(put.key),
        retryAfter,
        purpose,
        phone: maskedPhone,
        tenant: tenant || undefined,
        ip,
      });
      throw new OtpError("rate_limited", `Too many codes requested. Try again in ${retryAfter} seconds.`, {
        retryAfter,
      });
    }

    let messageId: string | undefined;
    if (!testCode) {
      const link = token
        ? options.magicLink!.url.replaceAll("{token}", encodeURIComponent(token))
        : undefined;
      const body = composeMessage({
        template,
        code,
        minutes,
        app,
        ...(link ? { link } : {}),
        ...(options.webOtpDomain ? { domain: options.webOtpDomain } : {}),
        ...(options.androidAppHash ? { androidAppHash: options.androidAppHash } : {}),
      });
      try {
        ({ id: messageId } = await sender!.send({
          to: phone,
          body,
          channel,
          metadata: { type: purpose, verification_id: id },
          tags: [purpose],
        }));
      } catch (error) {
        // A failed send must not cost the person the code they already have: put it back, unless
        // something newer has replaced our record meanwhile (ifId).
        const previous = put.previous;
        await guard<unknown>(() =>
          previous && previous.expiresAt > now
            ? store.put(key, previous, {
                now,
                retainUntil: previous.expiresAt + expiredRetentionMs,
                ifId: id,
              })
            : store.delete(key, id),
        ).catch(() => undefined);
        const failure =
          error instanceof OtpError
            ? error
            : new OtpError("send_failed", "The SMS could not be sent.", { cause: error });
        emit({
          type: "failed",
          reason: failure.code,
          purpose,
          phone: maskedPhone,
          id,
          tenant: tenant || undefined,
        });
        throw failure;
      }
    }
    emit({
      type: "sent",
      id,
      purpose,
      phone: maskedPhone,
      tenant: tenant || undefined,
      ip,
      ...(testCode ? { test: true } : {}),
    });
    return {
      id,
      phone,
      maskedPhone,
      purpose,
      status: "sent",
      expiresAt: new Date(expiresAt),
      resendAvailableAt: new Date(now + cooldown * 1000),
      ...(messageId ? { messageId } : {}),
    };
  }

  async function verify(input: VerifyInput): Promise<VerifyResult> {
    if (typeof input !== "object" || input === null) throw invalid("body", "Verify needs an object.");
    const tenant = checkTenant(input.tenant);
    const { code, token } = input;
    let id = input.id;
    if ((code === undefined) === (token === undefined))
      throw invalid("code", "Give either a code or a magic-link token.");
    if (token !== undefined) {
      if (typeof token !== "string" || token.length > 120) throw invalid("token", "This link is not valid.");
      id = token.slice(0, token.indexOf("."));
    } else if (typeof code !== "string" || !codePattern.test(code)) {
      throw invalid("code", "Codes are 4 to 8 digits.");
    }

    let key: string;
    let purpose: Purpose;
    let phone: string | undefined;
    let masked: string | undefined;
    if (id !== undefined) {
      const parts = typeof id === "string" ? idPattern.exec(id) : null;
      if (!parts) throw new OtpError("not_found", "No pending verification has this id.");
      purpose = purposes[purposeLetters.indexOf(parts[1]!)]!;
      if (input.purpose !== undefined && checkPurpose(input.purpose) !== purpose)
        throw new OtpError("not_found", "No pending verification has this id.");
      if (code !== undefined && code.length !== Number(parts[2]))
        throw invalid("code", `Codes for this verification have ${parts[2]} digits.`);
      key = recordKey(tenant, parts[1]!, parts[3]!);
    } else {
      purpose = checkPurpose(input.purpose ?? "login");
      // Verification looks a pending code up; the send already applied the country policy.
      // Canonical E.164 (what send stored) needs no parsing: a lookup under a number that was never
      // sent to simply finds nothing. Anything else is parsed and normalised first.
      if (
        typeof input.phone === "string" &&
        (e164Pattern.test(input.phone) || testNumbers.has(input.phone))
      ) {
        phone = input.phone;
      } else {
        ({ e164: phone, masked } = parsePhone(input.phone, {
          defaultCountry: phonePolicy.defaultCountry,
          allowNonMobileTypes: true,
        }));
      }
      key = recordKey(tenant, purposeLetters[purposes.indexOf(purpose)]!, await phoneDigest(tenant, phone));
    }

    const hashes = await candidates(key, token === undefined ? "code" : "link", (token ?? code)!);
    const now = clock();
    const result: CheckResult = await guard(() =>
      store.check(key, id === undefined ? { hashes, now } : { id, hashes, now }),
    );
    if (result.status === "approved") {
      const data = JSON.parse(result.record.data) as {
        phone: string;
        masked: string;
        metadata: Record<string, unknown>;
      };
      if (options.onEvent) {
        emit({
          type: "verified",
          id: result.record.id,
          purpose,
          phone: data.masked,
          tenant: tenant || undefined,
        });
      }
      return {
        id: result.record.id,
        phone: data.phone,
        purpose,
        status: "approved",
        metadata: data.metadata ?? {},
      };
    }
    emit({
      type: "failed",
      reason: result.status,
      purpose,
      phone: masked ?? (phone && options.onEvent ? maskPhone(phone) : undefined),
      id,
      tenant: tenant || undefined,
    });
    switch (result.status) {
      case "invalid":
        throw new OtpError(
          "invalid_code",
          `That code is not right. ${result.attemptsLeft} attempt${result.attemptsLeft === 1 ? "" : "s"} left.`,
          {
            attemptsLeft: result.attemptsLeft,
          },
        );
      case "too_many_attempts":
        throw new OtpError("too_many_attempts", "Too many wrong codes. Request a new code.", {
          attemptsLeft: 0,
        });
      case "expired":
        throw new OtpError("expired", "This code has expired. Request a new code.");
      default:
        throw new OtpError("not_found", "No pending code for this request. Request a new code.");
    }
  }

  async function limit(subject: string, rules: RateRule[], tenantInput?: string): Promise<void> {
    const tenant = checkTenant(tenantInput);
    checkRules(rules, "limit");
    const hits = rules.map((rule) => ruleKey(tenant, "custom", rule, subject));
    const result = await guard(() => store.hit(hits, clock()));
    if (!result.ok) {
      const retryAfter = Math.max(1, Math.ceil(result.retryAfterMs / 1000));
      throw new OtpError("rate_limited", `Too many requests. Try again in ${retryAfter} seconds.`, {
        retryAfter,
      });
    }
  }

  return { send, verify, limit, store, sender, options };
}
