/**
 * `otp.deliver`: the platform made the code (Supabase's Send SMS Hook, Auth0's phone provider,
 * Clerk's `sms.created`) and will check it itself; otpkit only delivers it — with the same phone
 * policy, the same rate-limit budgets (same keys as `send`), templates, senders and events. No code
 * is stored: nothing of it outlives the message handed to the sender.
 */
import { randomToken } from "./code.js";
import { dispatch } from "./dispatch.js";
import { type Engine, guard } from "./engine.js";
import { configError, invalid } from "./errors.js";
import { normalizeIp } from "./ip.js";
import { ruleKey } from "./keys.js";
import { countMonitored, refused, requesterOf, sendBudget, spendAcrossTenants } from "./limits.js";
import { templatesFor } from "./locales.js";
import { checkTemplate, composeMessage, type Purpose, withOriginLines } from "./message.js";
import { screenPhone } from "./policy.js";
import type { Channel } from "./senders.js";
import type { RateHit } from "./store.js";
import {
  checkLocale,
  checkMinutes,
  checkPurpose,
  checkSubject,
  checkTenant,
  checkTimeout,
  deliveredCodePattern,
} from "./validate.js";

export interface DeliverInput {
  /** The number, E.164 (or national with `phone.defaultCountry`). */
  phone: string;
  /** The code the platform made: 4–10 digits. Only ever put into the message. */
  code: string;
  /** Picks the template and the budgets' cooldown. Default: `"login"`. */
  purpose?: Purpose;
  /** The person's IP as the platform saw it; canonicalised here. Default: none (the `withoutIp` budget). */
  ip?: string;
  /** Default: none. */
  tenant?: string;
  /** The platform's user id; scopes the idempotency key. Default: none. */
  subject?: string;
  /** Default: `"sms"`. */
  channel?: Channel;
  /** Overrides the purpose's template; must contain `{code}`. Default: the purpose's template. */
  template?: string;
  /** BCP 47 language of the SMS (Auth0's `en_US` too): picks from the `locales` option. Default: the `templates`. */
  locale?: string;
  /**
   * The finished text, when the platform composed it (Auth0's `as_text`, Clerk's message). Must
   * contain the code; the WebOTP line is still appended when configured. Default: the template.
   */
  body?: string;
  /** `{minutes}` in the template: the platform's code lifetime. Default: the purpose's expiry. */
  expiryMinutes?: number;
  /**
   * The platform's retry-stable id for this message (Supabase `metadata.uuid`, Clerk `svix-id`,
   * Auth0's correlation id). Claimed atomically before sending: a repeat within 10 minutes after a
   * successful send, or while the first is still in flight, sends nothing (`status: "duplicate"`).
   * A failed send releases it, so the platform's retry really sends. Stored only as a keyed digest.
   * Default: none (every call sends).
   */
  idempotencyKey?: string;
  /** Milliseconds the sender may take (including failover) before the delivery fails; the sender gets an abort signal. Default: the sender's own timeouts. */
  timeoutMs?: number;
  /** Aborts the delivery. Default: none. */
  signal?: AbortSignal;
}

export interface DeliverResult {
  /** A delivery id (`dlv_…`) for logs; nothing is stored under it. */
  id: string;
  /** `duplicate`: the idempotency key was already claimed, nothing was sent. */
  status: "sent" | "duplicate";
  phone: string;
  maskedPhone: string;
  purpose: Purpose;
  /** The provider's message id, when sent. */
  messageId?: string;
}

/** How long a delivered idempotency key keeps answering `duplicate`. */
const idempotencyWindowSeconds = 600;
const maxBodyLength = 1600;

export async function deliver(engine: Engine, input: DeliverInput): Promise<DeliverResult> {
  if (typeof input !== "object" || input === null)
    throw invalid("body", "Deliver needs an object with a phone and a code.");
  const { config, store } = engine;
  const purpose = checkPurpose(input.purpose ?? "login");
  const tenant = checkTenant(input.tenant);
  const subject = checkSubject(input.subject);
  const timeoutMs = checkTimeout(input.timeoutMs);
  const { code } = input;
  if (typeof code !== "string" || !deliveredCodePattern.test(code))
    throw invalid("code", "The code to deliver is 4 to 10 digits.");
  const ip = normalizeIp(input.ip);
  const { phone, masked, country, safe } = screenPhone(engine, input.phone, {
    tenant,
    ip,
    testNumbers: false,
  });
  const channel = input.channel ?? "sms";
  if (channel !== "sms" && channel !== "whatsapp")
    throw invalid("channel", "Channel must be sms or whatsapp.");
  if (!engine.sender) throw configError("No sender is configured.");
  if (!(engine.sender.channels ?? ["sms"]).includes(channel))
    throw invalid("channel", `This app cannot send by ${channel}.`);
  const key = input.idempotencyKey;
  if (key !== undefined && (typeof key !== "string" || key.length === 0 || key.length > 512))
    throw invalid("idempotencyKey", "An idempotency key is 1–512 characters.");

  let body: string;
  if (input.body !== undefined) {
    if (typeof input.body !== "string" || input.body.length > maxBodyLength || !input.body.includes(code))
      throw invalid(
        "body",
        `A composed body is text of at most ${maxBodyLength} characters containing the code.`,
      );
    // The platform's words, as they are: only the origin lines are added.
    body = withOriginLines(input.body, {
      code,
      domain: config.webOtpDomain,
      androidAppHash: engine.androidAppHash,
    });
  } else {
    body = composeMessage({
      template:
        input.template === undefined
          ? (templatesFor(engine.locales, checkLocale(input.locale))?.[purpose] ?? engine.templates[purpose])
          : checkTemplate(input.template),
      code,
      minutes:
        input.expiryMinutes === undefined
          ? config.expiryMinutes[purpose]
          : checkMinutes(input.expiryMinutes, "expiry_minutes"),
      app: config.appName,
      ...(config.webOtpDomain ? { domain: config.webOtpDomain } : {}),
      ...(engine.androidAppHash ? { androidAppHash: engine.androidAppHash } : {}),
    });
  }

  const now = engine.clock();
  const id = `dlv_${randomToken(12)}`;
  const phoneDigest = await engine.digest("phone", tenant, phone);
  const result = { id, phone, maskedPhone: masked, purpose };
  const event = { purpose, phone: masked, ...(tenant ? { tenant } : {}) };

  // The claim is a window that admits one event: atomic in every store, and `release` frees it.
  let claim: RateHit[] = [];
  if (key !== undefined) {
    const digest = await engine.digest("idempotency", tenant, `${subject ?? ""}|${key}`);
    claim = [
      {
        key: ruleKey(tenant, "idempotency", idempotencyWindowSeconds, digest),
        limit: 1,
        windowMs: idempotencyWindowSeconds * 1000,
      },
    ];
    const claimed = await guard(() => store.hit(claim, now));
    if (!claimed.ok) {
      engine.emit?.({ type: "duplicate", ...event });
      return { ...result, status: "duplicate" };
    }
  }

  const { requester, ipDigest } = await requesterOf(engine, tenant, subject, ip);
  const planned = sendBudget(engine, config.limits, {
    tenant,
    purpose,
    phone,
    country,
    phoneDigest,
    requester,
    ipDigest,
    safe,
    delivering: true,
    // The platform runs its own bot checks before it makes a code.
    challengeRisk: false,
  });
  // A plain budget (node:crypto) is taken without an `await`.
  const budget = planned instanceof Promise ? await planned : planned;
  // A spend budget shared by all tenants lives outside any tenant's keys: counted together here.
  const shared = spendAcrossTenants(engine, country, safe);
  budget.refundable.push(...shared);
  const giveBack = () =>
    claim.length || shared.length
      ? guard(() => store.release([...claim, ...shared], now)).catch(() => undefined)
      : undefined;
  let counted: Awaited<ReturnType<typeof store.hit>>;
  try {
    counted = shared.length ? await guard(() => store.hit(shared, now)) : { ok: true };
    if (counted.ok && budget.hits.length) {
      counted = await guard(() => store.hit(budget.hits, now));
      if (!counted.ok && shared.length) await guard(() => store.release(shared, now)).catch(() => undefined);
    }
  } catch (error) {
    await giveBack();
    throw error;
  }
  if (!counted.ok) {
    // Refused: the platform's retry of this message must be judged again, not called a duplicate.
    if (claim.length) await guard(() => store.release(claim, now)).catch(() => undefined);
    throw refused(engine, counted.key, counted.retryAfterMs, { purpose, phone: masked, tenant, ip });
  }
  await countMonitored(engine, budget.monitored, now, { phone: masked, tenant, ip });

  const messageId = await dispatch(
    engine,
    { to: phone, body, channel, metadata: { type: purpose, delivery_id: id }, tags: [purpose] },
    {
      budget,
      now,
      secrets: [code],
      alsoRelease: claim,
      event: { purpose, phone: masked, id, tenant },
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
      ...(input.signal ? { signal: input.signal } : {}),
    },
  );
  engine.emit?.({ type: "sent", id, delivered: true, ...event, ...(ip ? { ip } : {}) });
  return { ...result, status: "sent", messageId };
}
