/**
 * `otp.send`: otpkit makes the code. Policy → code → keyed hash → one atomic `put` that checks and
 * counts every limit and replaces the pending code → message → sender.
 */

import { challenged } from "./challenge.js";
import { generateCode, randomToken } from "./code.js";
import { dispatch } from "./dispatch.js";
import { type Engine, guard, storeFailure } from "./engine.js";
import { configError, invalid, OtpError } from "./errors.js";
import { normalizeIp } from "./ip.js";
import { purposeLetter, recordKey, ruleKey, verificationId } from "./keys.js";
import { countMonitored, refused, requesterOf, sendBudget, spendAcrossTenants } from "./limits.js";
import { templatesFor } from "./locales.js";
import { type ComposeInput, checkTemplate, composeMessage, type Purpose } from "./message.js";
import { screenPhone } from "./policy.js";
import type { Channel } from "./senders.js";
import type { OtpRecord, PutResult, RateHit } from "./store.js";
import type { RateRule } from "./validate.js";
import {
  checkCodeLength,
  checkLocale,
  checkMetadata,
  checkMinutes,
  checkPurpose,
  checkSubject,
  checkTenant,
} from "./validate.js";

export interface SendInput {
  /** The number, E.164 (`+14155551234`) or national with `phone.defaultCountry` set. */
  phone: string;
  /** What the code is for: picks the template and the expiry. Default: `"login"`. */
  purpose?: Purpose;
  /** The caller's IP, for per-IP limits; canonicalised here (IPv6 per /64). Default: none (the `withoutIp` budget). */
  ip?: string;
  /** Separates organisations sharing one deployment; one pending code per phone+purpose+tenant. Default: none. */
  tenant?: string;
  /**
   * The server-trusted user the code is for (Clerk `userId`, Firebase `uid`, Auth0 `user_id`),
   * never a value from a request body. The code then verifies only for this subject (and can be
   * found by it: `verify({ subject, code })`); one pending code per subject+purpose. Default: none.
   */
  subject?: string;
  /** Default: `"sms"`. */
  channel?: Channel;
  /** Overrides the purpose's template; must contain `{code}`. Default: the purpose's template. */
  template?: string;
  /** BCP 47 language of the SMS (`pt-BR`, `en_US`): picks from the `locales` option. Default: the `templates`. */
  locale?: string;
  /** 4–8. Default: the `codeLength` option. */
  codeLength?: number;
  /** 1–60. Default: the purpose's expiry. */
  expiryMinutes?: number;
  /** A small JSON object (≤ 1 KB) kept with the verification and returned by `verify`. Default: `{}`. */
  metadata?: Record<string, unknown>;
  /** Also send a one-time magic link (needs the `magicLink` option). Default: true for `magic_link`. */
  link?: boolean;
  /**
   * The budget of this entry point when the call has no usable IP, shared per tenant (a route that
   * cannot see client IPs sets one, so IP-less sends are never unlimited). Default: `limits.withoutIp`.
   */
  withoutIp?: readonly RateRule[];
  /**
   * The bot-check widget's token (Turnstile, hCaptcha, reCAPTCHA), when `guard.challenge` is
   * configured: verified with the provider before anything is counted. Default: none.
   */
  challengeToken?: string;
  /**
   * Makes a retried request safe (`Idempotency-Key` on the HTTP API): scoped to the tenant and the
   * requester, claimed atomically. The same key with the same request within 10 minutes answers the
   * first successful result again and sends nothing; with another request it is refused
   * (`idempotency_mismatch`); while the first is still in flight, `rate_limited` for a second. A
   * failed send frees the key. Default: none.
   */
  idempotencyKey?: string;
}

export interface SendResult {
  /** The verification id (`ver_…`): the page that asked for the code keeps it for `verify`. */
  id: string;
  /** The normalised E.164 number. */
  phone: string;
  /** For display, e.g. `+1 ***-***-1234`. */
  maskedPhone: string;
  purpose: Purpose;
  status: "sent";
  /** The code is accepted strictly before this instant. */
  expiresAt: Date;
  /** When the resend cooldown ends. */
  resendAvailableAt: Date;
  /** The provider's message id (absent for test numbers). */
  messageId?: string;
}

/** A synchronous primitive's answer, or `undefined` for a promise (then awaited). */
const plain = (value: string | Promise<string>): string | undefined =>
  typeof value === "string" ? value : undefined;

/** Records outlive their expiry by this much so that a late attempt hears `expired`, not `not_found`. */
export const expiredRetentionMs = 10 * 60_000;

/** How long an idempotency key holds its answer. */
const idempotencyWindowMs = 10 * 60_000;

export async function send(engine: Engine, input: SendInput): Promise<SendResult> {
  if (typeof input !== "object" || input === null)
    throw invalid("body", "Send needs an object with a phone.");
  const { config, store } = engine;
  const purpose = checkPurpose(input.purpose ?? "login");
  const tenant = checkTenant(input.tenant);
  const subject = checkSubject(input.subject);
  const ip = normalizeIp(input.ip);
  const { phone, masked, country, testCode, safe } = screenPhone(engine, input.phone, {
    tenant,
    ip,
    testNumbers: true,
  });
  const length =
    input.codeLength === undefined ? config.codeLength : checkCodeLength(input.codeLength, "code_length");
  if (testCode && testCode.length !== length)
    throw invalid("code_length", "This test number's code has another length.");
  const minutes =
    input.expiryMinutes === undefined
      ? config.expiryMinutes[purpose]
      : checkMinutes(input.expiryMinutes, "expiry_minutes");
  const template =
    input.template === undefined
      ? (templatesFor(engine.locales, checkLocale(input.locale))?.[purpose] ?? engine.templates[purpose])
      : checkTemplate(input.template);
  const metadata = checkMetadata(input.metadata);
  const channel = input.channel ?? "sms";
  if (channel !== "sms" && channel !== "whatsapp")
    throw invalid("channel", "Channel must be sms or whatsapp.");
  if (!testCode) {
    if (!engine.sender) throw configError("No sender is configured.");
    // (A sender that names no channels sends SMS only: no default array per send.)
    if (engine.sender.channels ? !engine.sender.channels.includes(channel) : channel !== "sms")
      throw invalid("channel", `This app cannot send by ${channel}.`);
  }
  const withLink = input.link ?? purpose === "magic_link";
  if (withLink && !engine.magicLinkUrl) throw invalid("link", "Magic links are not configured.");
  // (Without a configured challenge, `challenged` answers false: skip its promise.)
  const challengeRisk =
    safe || !engine.guard.challenge ? false : await challenged(engine, input.challengeToken, ip);

  const now = engine.clock();
  const letter = purposeLetter(purpose, subject !== undefined);
  // The node:crypto primitives answer plain values: taken as they are, an `await` per call (a
  // microtask each) is saved on the hot path; Web Crypto's promises are awaited.
  const phoneDigested = engine.digest("phone", tenant, phone);
  const phoneDigest = typeof phoneDigested === "string" ? phoneDigested : await phoneDigested;
  // A subject's code lives under the subject's key: nobody else's verify can reach it.
  const digest = subject === undefined ? phoneDigest : await engine.digest("subject", tenant, subject);
  const key = recordKey(tenant, letter, digest);
  const id = verificationId(letter, length, digest, randomToken(12));
  const code = testCode ?? generateCode(length);
  const token = withLink ? `${id}.${randomToken(24)}` : undefined;
  const expiresAt = now + minutes * 60_000;
  // Bound to the record key (tenant, purpose, phone or subject): a hash is worthless elsewhere.
  const signed = engine.sign(`code|${key}|${code}`);
  const hash = plain(signed) ?? (await signed);
  // The number and metadata, encrypted and bound to this key: a store dump reads nothing. (One
  // fixed shape: an undefined country is left out by JSON.stringify, as before.)
  const sealed = engine.seal(JSON.stringify({ phone, masked, metadata, country: country || undefined }), key);
  const record: OtpRecord = {
    id,
    hash,
    expiresAt,
    attempts: 0,
    maxAttempts: config.maxAttempts,
    data: plain(sealed) ?? (await sealed),
  };
  if (token) record.linkHash = await engine.sign(`link|${key}|${token}`);

  // Plain without a subject or an IP, or from node:crypto: no `await` (a microtask) for it.
  const asking = requesterOf(engine, tenant, subject, ip);
  const { requester, ipDigest } = asking instanceof Promise ? await asking : asking;
  const idempotency =
    input.idempotencyKey === undefined
      ? undefined
      : await idempotencyOf(engine, tenant, requester, input.idempotencyKey, {
          phone,
          purpose,
          channel,
          template: input.template,
          codeLength: length,
          expiryMinutes: minutes,
          metadata,
          link: withLink,
        });
  if (idempotency) {
    const claimed = await guard(() => store.hit(idempotency.claim, now));
    if (!claimed.ok) return replay(engine, idempotency, now, { purpose, phone: masked, tenant });
  }
  const planned = sendBudget(engine, config.limits, {
    tenant,
    purpose,
    phone,
    country,
    phoneDigest,
    requester,
    ipDigest,
    safe,
    delivering: false,
    challengeRisk,
    withoutIp: input.withoutIp,
  });
  // A plain budget (node:crypto) is taken without an `await`.
  const budget = planned instanceof Promise ? await planned : planned;
  if (idempotency) budget.cooldown.push(...idempotency.claim); // a failed send frees the key
  // A spend budget shared by all tenants lives outside any tenant's keys: its own atomic step,
  // given back if the send does not go ahead.
  const shared = spendAcrossTenants(engine, country, safe);
  if (shared.length) {
    const spent = await guard(() => store.hit(shared, now));
    if (!spent.ok)
      throw refused(engine, spent.key, spent.retryAfterMs, { purpose, phone: masked, tenant, ip });
    budget.refundable.push(...shared);
  }
  const retainUntil = expiresAt + expiredRetentionMs;
  const carry = config.resendPolicy === "carry";
  let put: PutResult;
  // `guard`'s fail-closed rule written out (the hot path's one store step): the store's failure,
  // thrown or rejected, is `store_unavailable`, and a cross-tenant spend counted above goes back.
  try {
    put = await store.put(
      key,
      record,
      carry ? { now, retainUntil, hits: budget.hits, carry } : { now, retainUntil, hits: budget.hits },
    );
  } catch (error) {
    if (shared.length) await guard(() => store.release(shared, now)).catch(() => undefined);
    throw storeFailure(error);
  }
  if (!put.ok) {
    const unclaim = [...shared, ...(idempotency?.claim ?? [])];
    if (unclaim.length) await guard(() => store.release(unclaim, now)).catch(() => undefined);
    throw refused(engine, put.key, put.retryAfterMs, { purpose, phone: masked, tenant, ip });
  }
  if (budget.monitored.length)
    await countMonitored(engine, budget.monitored, now, { phone: masked, tenant, ip });

  let messageId: string | undefined;
  if (!testCode) {
    const link = token ? engine.magicLinkUrl!.replaceAll("{token}", encodeURIComponent(token)) : undefined;
    // (Optional parts set only when present: no spread of an empty object per send.)
    const compose: ComposeInput = { template, code, minutes, app: config.appName };
    if (link) compose.link = link;
    if (config.webOtpDomain) compose.domain = config.webOtpDomain;
    if (engine.androidAppHash) compose.androidAppHash = engine.androidAppHash;
    const body = composeMessage(compose);
    const previous = put.previous;
    messageId = await dispatch(
      engine,
      {
        to: phone,
        body,
        channel,
        // expires_at lets a sandbox inbox mark the code expired; no secret rides here.
        metadata: { type: purpose, verification_id: id, expires_at: new Date(expiresAt).toISOString() },
        tags: [purpose],
      },
      {
        budget,
        now,
        secrets: link ? [code, token!, link, encodeURIComponent(token!)] : [code],
        event: { purpose, phone: masked, id, tenant },
        // A failed send must not cost the person the code they already have: put it back, unless
        // something newer has replaced our record meanwhile (ifId).
        undo: () =>
          guard<unknown>(() =>
            previous && previous.expiresAt > now
              ? store.put(key, previous, {
                  now,
                  retainUntil: previous.expiresAt + expiredRetentionMs,
                  ifId: id,
                })
              : store.delete(key, id),
          ),
      },
    );
  }
  engine.emit?.({
    type: "sent",
    id,
    purpose,
    phone: masked,
    ...(tenant ? { tenant } : {}),
    ...(ip ? { ip } : {}),
    ...(testCode ? { test: true } : {}),
  });
  const result: SendResult = {
    id,
    phone,
    maskedPhone: masked,
    purpose,
    status: "sent",
    expiresAt: new Date(expiresAt),
    resendAvailableAt: new Date(now + config.limits.resendCooldownSeconds * 1000),
  };
  if (messageId) result.messageId = messageId;
  if (idempotency) {
    // The answer a retry gets: sealed like any record (it holds the number), kept 10 minutes.
    const answer: OtpRecord = {
      id: idempotency.request,
      hash: "-",
      expiresAt: now + idempotencyWindowMs,
      attempts: 0,
      maxAttempts: 1,
      data: await engine.seal(JSON.stringify(result), idempotency.key),
    };
    await guard(() =>
      store.put(idempotency.key, answer, { now, retainUntil: now + idempotencyWindowMs }),
    ).catch(() => undefined);
  }
  return result;
}

interface Idempotency {
  /** The claim: a window that admits one event in 10 minutes. */
  claim: RateHit[];
  /** Where the first answer is kept. */
  key: string;
  /** A digest of the request, to tell a retry from another request under the same key. */
  request: string;
}

async function idempotencyOf(
  engine: Engine,
  tenant: string,
  requester: string,
  key: unknown,
  request: Record<string, unknown>,
): Promise<Idempotency> {
  if (typeof key !== "string" || key.length === 0 || key.length > 255)
    throw invalid("idempotency_key", "An idempotency key is 1–255 characters.");
  const digest = await engine.digest("idempotency", tenant, `send|${requester}|${key}`);
  return {
    claim: [
      {
        key: ruleKey(tenant, "idempotency", idempotencyWindowMs / 1000, digest),
        limit: 1,
        windowMs: idempotencyWindowMs,
      },
    ],
    key: recordKey(tenant, "i", digest),
    request: (await engine.sign(`request|${JSON.stringify(request)}`)).slice(0, 22),
  };
}

/** A key already claimed: the first answer again, or why not. Nothing is sent. */
async function replay(
  engine: Engine,
  idempotency: Idempotency,
  now: number,
  event: { purpose: Purpose; phone: string; tenant: string },
): Promise<SendResult> {
  const stored = await guard(() => engine.store.read(idempotency.key, now));
  if (!stored)
    throw new OtpError("rate_limited", "A request with this idempotency key is still in progress.", {
      retryAfter: 1,
      source: "app",
    });
  if (stored.id !== idempotency.request)
    throw new OtpError("idempotency_mismatch", "This idempotency key was used for another request.", {
      field: "idempotency_key",
    });
  const answer = JSON.parse(await engine.open(stored.data, idempotency.key)) as SendResult;
  engine.emit?.({
    type: "duplicate",
    purpose: event.purpose,
    phone: event.phone,
    ...(event.tenant ? { tenant: event.tenant } : {}),
  });
  return {
    ...answer,
    expiresAt: new Date(answer.expiresAt),
    resendAvailableAt: new Date(answer.resendAvailableAt),
  };
}
