/**
 * The prebuilt phone Actions as Auth0 runs them: the built `.cjs` bundles loaded with `require`
 * on Node, configured only by `event.secrets`, against real Redis and the real otpkit SMS sandbox
 * (a Unosend-compatible gateway on loopback) as the provider and its fallback.
 */
import { randomUUID } from "node:crypto";
import { statSync } from "node:fs";
import { Redis } from "ioredis";
import { type Sandbox, startSandbox } from "otpkit";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { voiceRefusal } from "../src/notification.js";
import {
  ActionsCache,
  bundlePath,
  correlationId,
  customPhoneProviderEvent,
  loadAction,
  type PhoneProviderAction,
  type PostLoginAction,
  runCustomPhoneProvider,
  runSendPhoneMessage,
  type SendPhoneMessageAction,
  sendPhoneMessageEvent,
} from "./harness.js";

const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const prefix = `otp-auth0-test-${randomUUID()}:`;
let primary: Sandbox;
let fallback: Sandbox;
let redis: Redis;

beforeAll(async () => {
  [primary, fallback] = await Promise.all([startSandbox({ port: 0 }), startSandbox({ port: 0 })]);
  redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
});

afterAll(async () => {
  // Every key this run wrote lives under its own prefix (inside the `{…}` hash tag).
  const keys = await redis.keys(`{${prefix}*`);
  if (keys.length) await redis.del(...keys);
  await redis.quit();
  await Promise.all([primary?.close(), fallback?.close()]);
});

beforeEach(() => {
  primary.clear();
  fallback.clear();
  primary.setFaults(undefined);
  fallback.setFaults(undefined);
});

let exchange = 200;
/**
 * A fresh number in a fresh range (the digits before the last four differ: the per-prefix budget
 * is per range) for every test, so that no budget leaks between tests.
 */
const freshRange = () => `+1415${exchange++}`;
const freshPhone = () => `${freshRange()}0123`;
/** Per-IP counts are never given back (not even for failed sends): each test texts from its own address. */
let host = 1;
const freshIp = () => `192.0.2.${host++}`;
const phoneEvent: typeof customPhoneProviderEvent = (input = {}) =>
  customPhoneProviderEvent({ ip: freshIp(), ...input });
const smsEvent: typeof sendPhoneMessageEvent = (input = {}) =>
  sendPhoneMessageEvent({ ip: freshIp(), ...input });

const secrets = (extra: Record<string, string> = {}): Record<string, string> => ({
  OTP_SECRET: "auth0-bundle-test-secret-at-least-32-bytes",
  OTP_COUNTRIES: "US,CA,GB",
  UNOSEND_API_KEY: "sandbox-primary",
  UNOSEND_API_URL: primary.apiUrl,
  REDIS_URL: redisUrl,
  REDIS_PREFIX: prefix,
  ...extra,
});

describe("the built bundles", () => {
  it("load with require on Node and export Auth0's handler names", () => {
    expect(typeof loadAction<PhoneProviderAction>("custom-phone-provider").onExecuteCustomPhoneProvider).toBe(
      "function",
    );
    expect(typeof loadAction<SendPhoneMessageAction>("send-phone-message").onExecuteSendPhoneMessage).toBe(
      "function",
    );
    const stepUp = loadAction<PostLoginAction>("post-login-step-up");
    expect(typeof stepUp.onExecutePostLogin).toBe("function");
    expect(typeof stepUp.onContinuePostLogin).toBe("function");
  });

  it("each stay under Auth0's 100 kB Action limit", () => {
    for (const name of ["custom-phone-provider", "send-phone-message", "post-login-step-up"] as const) {
      const size = statSync(bundlePath(name)).size;
      expect(size, name).toBeGreaterThan(1000);
      expect(size, name).toBeLessThan(100_000);
    }
  });
});

describe("custom-phone-provider bundle", () => {
  it("delivers Auth0's own text with Auth0's code: one SMS, a normal return, the key in api.cache", async () => {
    const action = loadAction<PhoneProviderAction>("custom-phone-provider");
    const phone = freshPhone();
    const event = phoneEvent({ secrets: secrets(), notification: { recipient: phone, code: "604122" } });
    const cache = new ActionsCache();
    const run = await runCustomPhoneProvider(action, event, { cache });
    expect(run.outcome).toBe("success");
    expect(run.executions).toHaveLength(1);
    expect(primary.messages).toHaveLength(1);
    expect(primary.messages[0]!.to).toBe(phone);
    expect(primary.messages[0]!.code).toBe("604122");
    expect(primary.messages[0]!.body).toBe(event.notification.as_text);
    const [key] = [...cache.records.keys()];
    expect(new TextEncoder().encode(key).length).toBeLessThanOrEqual(64);
    expect(key).not.toContain("604122");
    expect(key).not.toContain(phone);
  });

  it("sends an otpkit template instead when SMS_TEMPLATE_<MESSAGE_TYPE> is set", async () => {
    const action = loadAction<PhoneProviderAction>("custom-phone-provider");
    const event = phoneEvent({
      secrets: secrets({ SMS_TEMPLATE_OTP_ENROLL: "Example: {code} enrolls this phone ({minutes} min)." }),
      notification: { recipient: freshPhone(), code: "771203", message_type: "otp_enroll" },
    });
    expect((await runCustomPhoneProvider(action, event)).outcome).toBe("success");
    expect(primary.messages[0]!.body).toBe("Example: 771203 enrolls this phone (10 min).");
  });

  it("sends one SMS for the same correlation id twice: from api.cache, and from the store on a new instance", async () => {
    const phone = freshPhone();
    const event = phoneEvent({ secrets: secrets(), notification: { recipient: phone } });
    const cache = new ActionsCache();
    const first = loadAction<PhoneProviderAction>("custom-phone-provider");
    expect((await runCustomPhoneProvider(first, event, { cache })).outcome).toBe("success");
    // Same instance, same cache: answered from api.cache, the store is not even asked.
    expect((await runCustomPhoneProvider(first, event, { cache })).outcome).toBe("success");
    // Another instance with an empty cache (Auth0's cache is best effort): the store's claim holds.
    const second = loadAction<PhoneProviderAction>("custom-phone-provider");
    expect((await runCustomPhoneProvider(second, event, { cache: new ActionsCache() })).outcome).toBe(
      "success",
    );
    expect(primary.messages).toHaveLength(1);
  });

  it("still sends a resend in the same transaction: a new code is a new message", async () => {
    const action = loadAction<PhoneProviderAction>("custom-phone-provider");
    const phone = freshPhone();
    const transaction = correlationId();
    const withCode = (code: string) =>
      phoneEvent({
        secrets: secrets({ SMS_RESEND_COOLDOWN_SECONDS: "0" }),
        correlationId: transaction,
        notification: { recipient: phone, code },
      });
    const cache = new ActionsCache();
    expect((await runCustomPhoneProvider(action, withCode("111333"), { cache })).outcome).toBe("success");
    expect((await runCustomPhoneProvider(action, withCode("222444"), { cache })).outcome).toBe("success");
    expect(primary.messages.map((message) => message.code).sort()).toEqual(["111333", "222444"]);
  });

  it("drops the message when the per-phone budget or the resend cooldown is spent", async () => {
    const action = loadAction<PhoneProviderAction>("custom-phone-provider");
    const phone = freshPhone();
    const send = (code: string) =>
      runCustomPhoneProvider(
        action,
        phoneEvent({ secrets: secrets(), notification: { recipient: phone, code } }),
      );
    expect((await send("100001")).outcome).toBe("success");
    const cooled = await send("100002");
    expect(cooled.outcome).toBe("drop");
    expect(cooled.executions).toHaveLength(1); // a drop is never retried
    expect(cooled.executions[0]!.reason).toMatch(/^otpkit rate_limited: .*\(retry after \d+ s\)$/);
    expect(cooled.executions[0]!.reason).not.toContain("100002");

    const limited = loadAction<PhoneProviderAction>("custom-phone-provider");
    const other = freshPhone();
    const budgetSecrets = secrets({ SMS_RATE_LIMIT_HOUR: "2", SMS_RESEND_COOLDOWN_SECONDS: "0" });
    const outcomes: string[] = [];
    for (const code of ["300001", "300002", "300003"]) {
      const event = phoneEvent({ secrets: budgetSecrets, notification: { recipient: other, code } });
      outcomes.push((await runCustomPhoneProvider(limited, event)).outcome);
    }
    expect(outcomes).toEqual(["success", "success", "drop"]);
    expect(primary.messages.filter((message) => message.to === other)).toHaveLength(2);
  });

  it("drops SMS pumping across a number range (per-prefix budget: 20 an hour), whatever the IP", async () => {
    const action = loadAction<PhoneProviderAction>("custom-phone-provider");
    const range = freshRange();
    const outcomes: string[] = [];
    for (let i = 0; i < 21; i++) {
      // 21 numbers of one range, each texted once, from 21 addresses: no per-phone or per-IP limit.
      const event = phoneEvent({
        secrets: secrets(),
        ip: `198.51.100.${i + 1}`,
        notification: { recipient: `${range}01${String(i).padStart(2, "0")}` },
      });
      outcomes.push((await runCustomPhoneProvider(action, event)).outcome);
    }
    expect(outcomes.filter((outcome) => outcome === "success")).toHaveLength(20);
    expect(outcomes.at(-1)).toBe("drop");
    expect(primary.messages).toHaveLength(20);
  });

  it("fails over to the fallback provider when the primary is down, and sends once", async () => {
    const action = loadAction<PhoneProviderAction>("custom-phone-provider");
    primary.setFaults({ status: 500 });
    const event = phoneEvent({
      secrets: secrets({
        UNOSEND_FALLBACK_API_KEY: "sandbox-fallback",
        UNOSEND_FALLBACK_API_URL: fallback.apiUrl,
      }),
      notification: { recipient: freshPhone(), code: "905511" },
    });
    const run = await runCustomPhoneProvider(action, event);
    expect(run.outcome).toBe("success");
    expect(primary.messages).toHaveLength(0);
    expect(fallback.messages.map((message) => message.code)).toEqual(["905511"]);
  });

  it("asks Auth0 to retry while both providers are down, and sends once when one is back", async () => {
    const action = loadAction<PhoneProviderAction>("custom-phone-provider");
    primary.setFaults({ status: 500 });
    fallback.setFaults({ status: 503 });
    const event = phoneEvent({
      secrets: secrets({
        UNOSEND_FALLBACK_API_KEY: "sandbox-fallback",
        UNOSEND_FALLBACK_API_URL: fallback.apiUrl,
      }),
      notification: { recipient: freshPhone(), code: "558120" },
    });
    const run = await runCustomPhoneProvider(action, event, {
      beforeRetry: (attempt) => {
        if (attempt === 2) fallback.setFaults(undefined);
      },
    });
    expect(run.executions.map((execution) => execution.outcome)).toEqual(["retry", "retry", "success"]);
    expect(run.executions[0]!.reason).toMatch(/^otpkit send_failed: /);
    expect(fallback.messages.map((message) => message.code)).toEqual(["558120"]);
    expect(primary.messages).toHaveLength(0);
  });

  it("asks for a retry when the provider itself throttles (HTTP 429), unlike otpkit's own budgets", async () => {
    const action = loadAction<PhoneProviderAction>("custom-phone-provider");
    primary.setFaults({ status: 429, count: 1, retryAfter: 2 });
    const run = await runCustomPhoneProvider(
      action,
      phoneEvent({ secrets: secrets(), notification: { recipient: freshPhone(), code: "429429" } }),
    );
    expect(run.executions.map((execution) => execution.outcome)).toEqual(["retry", "success"]);
    expect(run.executions[0]!.reason).toMatch(/^otpkit rate_limited: /);
    expect(primary.messages.map((message) => message.code)).toEqual(["429429"]);
  });

  it("is re-invoked at most 5 more times by Auth0 while the provider stays down, sending nothing", async () => {
    const action = loadAction<PhoneProviderAction>("custom-phone-provider");
    primary.setFaults({ status: 500 });
    const run = await runCustomPhoneProvider(
      action,
      phoneEvent({ secrets: secrets(), notification: { recipient: freshPhone() } }),
    );
    expect(run.outcome).toBe("retry");
    expect(run.executions).toHaveLength(6);
    expect(primary.messages).toHaveLength(0);
  });

  it("sends exactly once when a retried execution carries a new correlation id", async () => {
    const action = loadAction<PhoneProviderAction>("custom-phone-provider");
    primary.setFaults({ status: 500, count: 1 });
    const event = phoneEvent({ secrets: secrets(), notification: { recipient: freshPhone() } });
    const run = await runCustomPhoneProvider(action, event, {
      retryEvent: (original) => ({ ...original, transaction: { correlation_id: correlationId() } }),
    });
    expect(run.executions.map((execution) => execution.outcome)).toEqual(["retry", "success"]);
    expect(primary.messages).toHaveLength(1);
  });

  it("refuses voice delivery with a clear reason and sends nothing", async () => {
    const action = loadAction<PhoneProviderAction>("custom-phone-provider");
    const run = await runCustomPhoneProvider(
      action,
      phoneEvent({ secrets: secrets(), notification: { recipient: freshPhone(), delivery_method: "voice" } }),
    );
    expect(run.outcome).toBe("drop");
    expect(run.executions[0]!.reason).toBe(voiceRefusal);
    expect(primary.messages).toHaveLength(0);
  });

  it("delivers a notification without a code (blocked_account) as Auth0 wrote it", async () => {
    const action = loadAction<PhoneProviderAction>("custom-phone-provider");
    const event = phoneEvent({ secrets: secrets(), notification: { recipient: freshPhone() } });
    event.notification = {
      ...event.notification,
      message_type: "blocked_account",
      as_text: "Example Inc.: your account was blocked after too many failed logins.",
    };
    delete event.notification.code;
    expect((await runCustomPhoneProvider(action, event)).outcome).toBe("success");
    expect(primary.messages.map((message) => message.body)).toEqual([event.notification.as_text]);
  });

  it("refuses the memory store in production unless explicitly allowed (OTP_PRODUCTION defaults to true)", async () => {
    const { REDIS_URL: _url, REDIS_PREFIX: _prefix, ...memory } = secrets();
    const refused = await runCustomPhoneProvider(
      loadAction<PhoneProviderAction>("custom-phone-provider"),
      phoneEvent({ secrets: memory, notification: { recipient: freshPhone() } }),
    );
    expect(refused.outcome).toBe("drop");
    expect(refused.executions[0]!.reason).toMatch(
      /^otpkit invalid_config: The memory store is refused in production/,
    );
    const allowances: Record<string, string>[] = [
      { OTP_ALLOW_MEMORY_STORE: "true" },
      { OTP_PRODUCTION: "false" },
    ];
    for (const allowed of allowances) {
      const run = await runCustomPhoneProvider(
        loadAction<PhoneProviderAction>("custom-phone-provider"),
        phoneEvent({ secrets: { ...memory, ...allowed }, notification: { recipient: freshPhone() } }),
      );
      expect(run.outcome, JSON.stringify(allowed)).toBe("success");
    }
    expect(primary.messages).toHaveLength(2);
  });

  it("drops with invalid_config when OTP_SECRET is missing, and retries while Redis is unreachable", async () => {
    const { OTP_SECRET: _secret, ...noSecret } = secrets();
    const missing = await runCustomPhoneProvider(
      loadAction<PhoneProviderAction>("custom-phone-provider"),
      phoneEvent({ secrets: noSecret }),
    );
    expect(missing.outcome).toBe("drop");
    expect(missing.executions[0]!.reason).toMatch(/^otpkit invalid_config: OTP_SECRET is not set/);

    const down = await runCustomPhoneProvider(
      loadAction<PhoneProviderAction>("custom-phone-provider"),
      phoneEvent({ secrets: secrets({ REDIS_URL: "redis://127.0.0.1:1" }) }),
      { retries: 1 },
    );
    expect(down.executions.map((execution) => execution.outcome)).toEqual(["retry", "retry"]);
    expect(down.executions[0]!.reason).toBe("otpkit store_unavailable: Redis (REDIS_URL) is unavailable.");
    expect(primary.messages).toHaveLength(0);
  });
});

describe("send-phone-message bundle (v2, legacy MFA)", () => {
  it("delivers Auth0's text with its code, once per correlation id", async () => {
    const action = loadAction<SendPhoneMessageAction>("send-phone-message");
    const phone = freshPhone();
    const event = smsEvent({ secrets: secrets(), messageOptions: { recipient: phone, code: "246810" } });
    const cache = new ActionsCache();
    expect((await runSendPhoneMessage(action, event, cache)).outcome).toBe("success");
    expect((await runSendPhoneMessage(action, event, cache)).outcome).toBe("success");
    expect(primary.messages).toHaveLength(1);
    expect(primary.messages[0]).toMatchObject({
      to: phone,
      code: "246810",
      body: event.message_options.text,
    });
  });

  it("fails the send (it has no drop or retry) on a spent budget and on voice, with the reason", async () => {
    const action = loadAction<SendPhoneMessageAction>("send-phone-message");
    const phone = freshPhone();
    const first = smsEvent({ secrets: secrets(), messageOptions: { recipient: phone } });
    expect((await runSendPhoneMessage(action, first)).outcome).toBe("success");
    const again = smsEvent({ secrets: secrets(), messageOptions: { recipient: phone, code: "135790" } });
    const limited = await runSendPhoneMessage(action, again);
    expect(limited.outcome).toBe("unknown");
    expect(limited.reason).toMatch(/^otpkit rate_limited: /);
    expect(limited.reason).not.toContain("135790");
    const voice = await runSendPhoneMessage(
      action,
      smsEvent({ secrets: secrets(), messageOptions: { recipient: freshPhone(), message_type: "voice" } }),
    );
    expect(voice.reason).toBe(voiceRefusal);
    expect(primary.messages).toHaveLength(1);
  });
});
