/**
 * `createOtp`: one instance per app, holding the stages DESIGN.md draws —
 *
 *   send     policy → limits + code + hash in one atomic put → message → sender      (send.ts)
 *   deliver  policy → idempotency claim → limits → message → sender, nothing stored  (deliver.ts)
 *   verify   hash the candidate → one atomic check: expiry, attempts, compare, consume (verify.ts)
 *
 * Configuration is checked here, once (config.ts); what the stages share lives in engine.ts.
 */
import type { OtpConfig, OtpOptions } from "./config.js";
import { type DeliverInput, type DeliverResult, deliver } from "./deliver.js";
import { createEngine, guard } from "./engine.js";
import { OtpError } from "./errors.js";
import { ruleHit } from "./keys.js";
import { retrySeconds, tallyOf } from "./limits.js";
import { readPhone } from "./phone.js";
import { type SendInput, type SendResult, send } from "./send.js";
import type { Sender } from "./senders.js";
import type { Store } from "./store.js";
import { checkRules, checkTenant, type RateRule } from "./validate.js";
import { type VerifyInput, type VerifyResult, verify } from "./verify.js";

export interface Otp {
  /** Makes a code, stores its keyed hash and sends it. */
  send(input: SendInput): Promise<SendResult>;
  /** Delivers a code a platform made (and will check itself), under the same policy and budgets. */
  deliver(input: DeliverInput): Promise<DeliverResult>;
  /** Checks a code once, atomically. Wrong, expired or dead codes throw an `OtpError`. */
  verify(input: VerifyInput): Promise<VerifyResult>;
  /**
   * Tells the fraud guard's tripwire that a code `deliver` sent was verified by the platform (an
   * adapter that sees the platform's success signal calls it), so a range with real users keeps
   * its good ratio. Default use: none.
   */
  reportVerified(input: { phone: string; tenant?: string }): Promise<void>;
  /** Counts one event against rules of your own (e.g. per-IP verify attempts), atomically. */
  limit(subject: string, rules: readonly RateRule[], tenant?: string): Promise<void>;
  readonly store: Store;
  readonly sender: Sender | undefined;
  /** The resolved configuration, every default filled in. Holds no secret. */
  readonly config: OtpConfig;
}

export function createOtp(options: OtpOptions): Otp {
  const engine = createEngine(options);
  return {
    send: (input) => send(engine, input),
    deliver: (input) => deliver(engine, input),
    verify: (input) => verify(engine, input),
    async reportVerified(input) {
      const tenant = checkTenant(input?.tenant);
      const { e164, country } = readPhone(input?.phone, engine.phonePolicy.defaultCountry);
      const tally = await tallyOf(engine, tenant, e164, country);
      if (tally.length) await guard(() => engine.store.hit(tally, engine.clock()));
    },
    async limit(subject, rules, tenantInput) {
      const tenant = checkTenant(tenantInput);
      checkRules(rules, "limit");
      if (typeof subject !== "string" || !subject || subject.length > 256)
        throw new OtpError("invalid_request", "A limit subject is 1–256 characters.", { field: "subject" });
      const hits = rules.map((rule) => ruleHit(tenant, "custom", rule, subject));
      const result = await guard(() => engine.store.hit(hits, engine.clock()));
      if (!result.ok) {
        const retryAfter = retrySeconds(result.retryAfterMs);
        throw new OtpError("rate_limited", `Too many requests. Try again in ${retryAfter} seconds.`, {
          retryAfter,
          source: "app",
        });
      }
    },
    store: engine.store,
    sender: engine.sender,
    config: engine.config,
  };
}
