/**
 * `otp.send`: otpkit makes the code. Policy → code → keyed hash → one atomic `put` that checks and
 * counts every limit and replaces the pending code → message → sender.
 */
import { generateCode, randomToken } from "./code.js";
import { dispatch } from "./dispatch.js";
import { type Engine, guard } from "./engine.js";
import { configError, invalid } from "./errors.js";
import { normalizeIp } from "./ip.js";
import { purposeLetter, recordKey, ruleOf, verificationId } from "./keys.js";
import { requesterOf, retrySeconds, sendBudget, tooManySends } from "./limits.js";
import { checkTemplate, composeMessage, type Purpose } from "./message.js";
import { screenPhone } from "./policy.js";
import type { Channel } from "./senders.js";
import type { OtpRecord } from "./store.js";
import type { RateRule } from "./validate.js";
import {
  checkCodeLength,
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

/** Records outlive their expiry by this much so that a late attempt hears `expired`, not `not_found`. */
export const expiredRetentionMs = 10 * 60_000;

export async function send(engine: Engine, input: SendInput): Promise<SendResult> {
  if (typeof input !== "object" || input === null)
    throw invalid("body", "Send needs an object with a phone.");
  const { config, store } = engine;
  const purpose = checkPurpose(input.purpose ?? "login");
  const tenant = checkTenant(input.tenant);
  const subject = checkSubject(input.subject);
  const ip = normalizeIp(input.ip);
  const { phone, masked, testCode } = screenPhone(engine, input.phone, { tenant, ip, testNumbers: true });
  const length =
    input.codeLength === undefined ? config.codeLength : checkCodeLength(input.codeLength, "code_length");
  if (testCode && testCode.length !== length)
    throw invalid("code_length", "This test number's code has another length.");
  const minutes =
    input.expiryMinutes === undefined
      ? config.expiryMinutes[purpose]
      : checkMinutes(input.expiryMinutes, "expiry_minutes");
  const template = input.template === undefined ? engine.templates[purpose] : checkTemplate(input.template);
  const metadata = checkMetadata(input.metadata);
  const channel = input.channel ?? "sms";
  if (channel !== "sms" && channel !== "whatsapp")
    throw invalid("channel", "Channel must be sms or whatsapp.");
  if (!testCode) {
    if (!engine.sender) throw configError("No sender is configured.");
    if (!(engine.sender.channels ?? ["sms"]).includes(channel))
      throw invalid("channel", `This app cannot send by ${channel}.`);
  }
  const withLink = input.link ?? purpose === "magic_link";
  if (withLink && !engine.magicLinkUrl) throw invalid("link", "Magic links are not configured.");

  const now = engine.clock();
  const letter = purposeLetter(purpose, subject !== undefined);
  const phoneDigest = await engine.digest("phone", tenant, phone);
  // A subject's code lives under the subject's key: nobody else's verify can reach it.
  const digest = subject === undefined ? phoneDigest : await engine.digest("subject", tenant, subject);
  const key = recordKey(tenant, letter, digest);
  const id = verificationId(letter, length, digest, randomToken(12));
  const code = testCode ?? generateCode(length);
  const token = withLink ? `${id}.${randomToken(24)}` : undefined;
  const expiresAt = now + minutes * 60_000;
  const record: OtpRecord = {
    id,
    // Bound to the record key (tenant, purpose, phone or subject): a hash is worthless elsewhere.
    hash: await engine.sign(`code|${key}|${code}`),
    expiresAt,
    attempts: 0,
    maxAttempts: config.maxAttempts,
    // The number and metadata, encrypted and bound to this key: a store dump reads nothing.
    data: await engine.seal(JSON.stringify({ phone, masked, metadata }), key),
  };
  if (token) record.linkHash = await engine.sign(`link|${key}|${token}`);

  const { requester, ipDigest } = await requesterOf(engine, tenant, subject, ip);
  const budget = await sendBudget(engine, config.limits, {
    tenant,
    purpose,
    phone,
    phoneDigest,
    requester,
    ipDigest,
    withoutIp: input.withoutIp,
  });
  const retainUntil = expiresAt + expiredRetentionMs;
  const put = await guard(() => store.put(key, record, { now, retainUntil, hits: budget.hits }));
  if (!put.ok) {
    const retryAfter = retrySeconds(put.retryAfterMs);
    engine.emit?.({
      type: "limited",
      rule: ruleOf(put.key),
      retryAfter,
      purpose,
      phone: masked,
      ...(tenant ? { tenant } : {}),
      ...(ip ? { ip } : {}),
    });
    throw tooManySends(retryAfter);
  }

  let messageId: string | undefined;
  if (!testCode) {
    const link = token ? engine.magicLinkUrl!.replaceAll("{token}", encodeURIComponent(token)) : undefined;
    const body = composeMessage({
      template,
      code,
      minutes,
      app: config.appName,
      ...(link ? { link } : {}),
      ...(config.webOtpDomain ? { domain: config.webOtpDomain } : {}),
      ...(engine.androidAppHash ? { androidAppHash: engine.androidAppHash } : {}),
    });
    const previous = put.previous;
    messageId = await dispatch(
      engine,
      { to: phone, body, channel, metadata: { type: purpose, verification_id: id }, tags: [purpose] },
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
  return {
    id,
    phone,
    maskedPhone: masked,
    purpose,
    status: "sent",
    expiresAt: new Date(expiresAt),
    resendAvailableAt: new Date(now + config.limits.resendCooldownSeconds * 1000),
    ...(messageId ? { messageId } : {}),
  };
}
