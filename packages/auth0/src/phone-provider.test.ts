import { createOtp, OtpError, type OtpEvent, outbox } from "@otpkit/otp-core";
import { errorCodes, type OtpErrorCode } from "@otpkit/otp-core/protocol";
import { faultySender, faultyStore } from "@otpkit/otp-core/testing";
import { describe, expect, it, vi } from "vitest";
import {
  ActionsCache,
  correlationId,
  customPhoneProviderEvent,
  runCustomPhoneProvider,
  runSendPhoneMessage,
  sendPhoneMessageEvent,
} from "../test/harness.js";
import { deliveryFailure, notificationOutcome } from "./errors.js";
import { dedupeKey, voiceRefusal } from "./notification.js";
import { createCustomPhoneProvider, createSendPhoneMessage, toPhoneNotification } from "./phone-provider.js";

const secret = "phone-provider-unit-test-secret-32-bytes!";

function setup(options: Partial<Parameters<typeof createOtp>[0]> = {}) {
  const sms = outbox();
  const events: OtpEvent[] = [];
  const otp = createOtp({
    secret,
    sender: sms,
    production: false,
    onEvent: (e) => events.push(e),
    ...options,
  });
  return { sms, otp, events };
}

const throttled = {
  name: "throttled",
  send: () =>
    Promise.reject(
      new OtpError("rate_limited", "The provider is rate limiting messages.", {
        source: "provider",
        notDelivered: true,
        retryAfter: 30,
      }),
    ),
};

describe("createCustomPhoneProvider", () => {
  it("delivers Auth0's code with the user as subject and Auth0's IP, and remembers it in api.cache", async () => {
    const { sms, otp, events } = setup();
    const { onExecuteCustomPhoneProvider } = createCustomPhoneProvider({ otp });
    const event = customPhoneProviderEvent({ ip: "::ffff:203.0.113.9" });
    const cache = new ActionsCache();
    const run = await runCustomPhoneProvider({ onExecuteCustomPhoneProvider }, event, { cache });
    expect(run.outcome).toBe("success");
    expect(sms.messages).toHaveLength(1);
    expect(sms.lastCode("+14155550123")).toBe("482913");
    expect(sms.last()!.body).toBe(event.notification.as_text);
    // The IP reached core (canonicalised there); events carry no code.
    expect(events).toContainEqual(
      expect.objectContaining({ type: "sent", delivered: true, ip: "203.0.113.9" }),
    );
    expect(JSON.stringify(events)).not.toContain("482913");
    const key = await dedupeKey(event.transaction!.correlation_id!, event.notification);
    expect(cache.records.get(key)?.value).toMatch(/"status":"sent"/);
    // 10 minutes, core's idempotency window, rather than the cache's 15-minute default.
    expect(cache.records.get(key)!.expires_at - Date.now()).toBeLessThanOrEqual(10 * 60_000 + 1000);
  });

  it("makes the Otp once per instance from the event and reuses it; a failed creation is retried", async () => {
    const { sms } = setup();
    let made = 0;
    const factory = vi.fn((event: ReturnType<typeof customPhoneProviderEvent>) => {
      made++;
      if (made === 1) throw new OtpError("invalid_config", "OTP_SECRET is not set.");
      return createOtp({ secret: event.secrets.OTP_SECRET!, sender: sms, production: false });
    });
    const provider = createCustomPhoneProvider({ otp: factory });
    const run = (phone: string) =>
      runCustomPhoneProvider(
        provider,
        customPhoneProviderEvent({ secrets: { OTP_SECRET: secret }, notification: { recipient: phone } }),
      );
    expect((await run("+14155550101")).outcome).toBe("drop");
    expect((await run("+14155550102")).outcome).toBe("success");
    expect((await run("+14155550103")).outcome).toBe("success");
    expect(factory).toHaveBeenCalledTimes(2);
  });

  it("uses an otpkit template per message type, or a function of the notification (e.g. by locale)", async () => {
    const { sms, otp } = setup({ appName: "Example" });
    const byType = createCustomPhoneProvider({ otp, templates: { otp_verify: "{app}: {code}" } });
    await runCustomPhoneProvider(byType, customPhoneProviderEvent({ notification: { code: "123987" } }));
    expect(sms.last()!.body).toBe("Example: 123987");
    const byLocale = createCustomPhoneProvider({
      otp,
      purposes: { otp_verify: "two_factor" }, // another cooldown bucket than the send above
      templates: (notification) => (notification.locale === "fr_FR" ? "Votre code : {code}" : undefined),
    });
    await runCustomPhoneProvider(
      byLocale,
      customPhoneProviderEvent({
        notification: { code: "556677", locale: "fr_FR", recipient: "+33612345678" },
      }),
    );
    expect(sms.last()!.body).toBe("Votre code : 556677");
    await runCustomPhoneProvider(
      byLocale,
      customPhoneProviderEvent({ notification: { code: "889900", recipient: "+14155550177" } }),
    );
    expect(sms.last()!.body).toContain("889900 is your verification code for Example Inc.");
  });

  it("drops what the fraud guard refuses (a blocked number), naming the reason, sending nothing", async () => {
    const { sms, otp } = setup({ guard: { blockList: ["+14155550199"] } });
    const refused = await runCustomPhoneProvider(
      createCustomPhoneProvider({ otp }),
      customPhoneProviderEvent({ notification: { code: "123123", recipient: "+14155550199" } }),
    );
    expect(refused.outcome).toBe("drop");
    expect(refused.executions[0]!.reason).toMatch(/blocked/);
    expect(refused.executions[0]!.reason).not.toContain("123123");
    expect(sms.messages).toHaveLength(0);
  });

  it("refuses a one-process store in production unless allowMemoryStore says it is understood", async () => {
    const { sms, otp } = setup({ production: true, phone: { allowedCountries: ["US"] } });
    const refused = await runCustomPhoneProvider(
      createCustomPhoneProvider({ otp }),
      customPhoneProviderEvent(),
    );
    expect(refused.outcome).toBe("drop");
    expect(refused.executions[0]!.reason).toMatch(
      /^otpkit invalid_config: The memory store is refused in production/,
    );
    const allowed = createCustomPhoneProvider({
      otp,
      allowMemoryStore: (event) => event.tenant.id === "example",
    });
    expect((await runCustomPhoneProvider(allowed, customPhoneProviderEvent())).outcome).toBe("success");
    expect(sms.messages).toHaveLength(1);
  });

  it("sends every execution when Auth0 gives no correlation id (nothing to dedupe by)", async () => {
    const { sms, otp } = setup({ limits: { resendCooldownSeconds: 0 } });
    const provider = createCustomPhoneProvider({ otp });
    const event = customPhoneProviderEvent({ correlationId: null });
    const cache = new ActionsCache();
    await runCustomPhoneProvider(provider, event, { cache });
    await runCustomPhoneProvider(provider, event, { cache });
    expect(sms.messages).toHaveLength(2);
    expect(cache.records.size).toBe(0);
  });

  it("dedupes through the store when api.cache is full (its 20 entries)", async () => {
    const { sms, otp } = setup();
    const provider = createCustomPhoneProvider({ otp });
    const cache = new ActionsCache();
    for (let i = 0; i < 20; i++) cache.set(`other-${i}`, "x");
    const event = customPhoneProviderEvent();
    expect((await runCustomPhoneProvider(provider, event, { cache })).outcome).toBe("success");
    expect(cache.calls.at(-1)).toMatchObject({ method: "set" });
    expect(cache.records.size).toBe(20); // refused: CacheSizeExceeded
    expect((await runCustomPhoneProvider(provider, event, { cache })).outcome).toBe("success");
    expect(sms.messages).toHaveLength(1);
  });

  it("drops an otp_verify notification that carries no code, and voice, with a clear reason", async () => {
    const { sms, otp } = setup();
    const provider = createCustomPhoneProvider({ otp });
    const noCode = customPhoneProviderEvent();
    delete noCode.notification.code;
    const run = await runCustomPhoneProvider(provider, noCode);
    expect(run.outcome).toBe("drop");
    expect(run.executions[0]!.reason).toBe(
      "otpkit invalid_request: An otp_verify notification must carry a code.",
    );
    // A failure listener that throws changes nothing; it hears about voice too.
    const heard: string[] = [];
    const listening = createCustomPhoneProvider({
      otp,
      onFailure: (failure) => {
        heard.push(failure.error.code);
        throw new Error("listener bug");
      },
    });
    const voice = await runCustomPhoneProvider(
      listening,
      customPhoneProviderEvent({ notification: { delivery_method: "voice" } }),
    );
    expect(voice.outcome).toBe("drop");
    expect(voice.executions[0]!.reason).toBe(voiceRefusal);
    expect(heard).toEqual(["invalid_request"]);
    expect(sms.messages).toHaveLength(0);
  });

  it("retries on a store outage and on a provider 429, drops on quota, never quoting the SMS", async () => {
    const cases: Array<[ReturnType<typeof setup>["otp"], "drop" | "retry", OtpErrorCode]> = [
      [setup({ store: faultyStore() }).otp, "retry", "store_unavailable"],
      // As unosend() answers a provider's HTTP 429. (faultySender("rate_limited") carries no
      // `source: "provider"`, so it would read as otpkit's own budget.)
      [setup({ sender: throttled }).otp, "retry", "rate_limited"],
      [setup({ sender: faultySender("quota") }).otp, "drop", "quota_exceeded"],
      [setup({ sender: faultySender("timeout") }).otp, "retry", "send_failed"],
      [setup({ sender: faultySender("throws") }).otp, "retry", "send_failed"],
    ];
    for (const [otp, outcome, code] of cases) {
      const failures: string[] = [];
      const provider = createCustomPhoneProvider({
        otp,
        onFailure: (failure) => failures.push(failure.reason),
      });
      const run = await runCustomPhoneProvider(provider, customPhoneProviderEvent(), { retries: 0 });
      expect(run.outcome, code).toBe(outcome);
      expect(run.executions[0]!.reason, code).toMatch(new RegExp(`^otpkit ${code}: `));
      expect(run.executions[0]!.reason, code).not.toContain("482913");
      expect(failures, code).toEqual([run.executions[0]!.reason]);
    }
  });

  it("a repeat after a failed first attempt really sends (the failure freed the idempotency key)", async () => {
    const sms = outbox();
    let down = true;
    const flaky = {
      name: "flaky",
      send: (message: Parameters<typeof sms.send>[0]) =>
        down
          ? Promise.reject(new OtpError("send_failed", "down", { notDelivered: true }))
          : sms.send(message),
    };
    const otp = createOtp({ secret, sender: flaky, production: false });
    const run = await runCustomPhoneProvider(createCustomPhoneProvider({ otp }), customPhoneProviderEvent(), {
      beforeRetry: () => {
        down = false;
      },
    });
    expect(run.executions.map((execution) => execution.outcome)).toEqual(["retry", "success"]);
    expect(sms.messages).toHaveLength(1);
  });
});

describe("dedupeKey", () => {
  it("fits api.cache's 64-byte keys and tells apart what must be sent separately", async () => {
    const notification = customPhoneProviderEvent().notification;
    const id = correlationId();
    const key = await dedupeKey(id, notification);
    expect(new TextEncoder().encode(key).length).toBeLessThanOrEqual(64);
    expect(key).toBe(await dedupeKey(id, { ...notification }));
    const variants = await Promise.all([
      dedupeKey(correlationId(), notification),
      dedupeKey(id, { ...notification, code: "000001" }),
      dedupeKey(id, { ...notification, recipient: "+14155550199" }),
      dedupeKey(id, { ...notification, message_type: "otp_enroll" }),
    ]);
    expect(new Set([key, ...variants]).size).toBe(5);
  });
});

describe("errors table", () => {
  it("maps every core error code to drop or retry", () => {
    for (const code of errorCodes) expect(["drop", "retry"]).toContain(notificationOutcome[code]);
    expect(deliveryFailure(new Error("boom: 482913")).outcome).toBe("retry");
    expect(deliveryFailure(new Error("boom: 482913")).reason).toBe(
      "otpkit internal_error: Something went wrong.",
    );
    expect(deliveryFailure(new OtpError("rate_limited", "Too many.", { retryAfter: 30 })).outcome).toBe(
      "drop",
    );
    expect(deliveryFailure(new OtpError("blocked", "Country.")).outcome).toBe("drop");
    expect(deliveryFailure(new OtpError("send_failed", "y".repeat(2000))).reason).toHaveLength(1024);
  });
});

describe("createSendPhoneMessage", () => {
  it("maps send-phone-message v2 onto the custom-phone-provider notification", () => {
    const event = sendPhoneMessageEvent({ messageOptions: { action: "enrollment", message_type: "voice" } });
    expect(toPhoneNotification(event)).toEqual({
      as_text: event.message_options.text,
      as_voice: event.message_options.text,
      code: event.message_options.code,
      delivery_method: "voice",
      message_type: "otp_enroll",
      recipient: event.message_options.recipient,
      locale: "en-US",
    });
    expect(toPhoneNotification(sendPhoneMessageEvent()).message_type).toBe("otp_verify");
  });

  it("sends once per correlation id and throws the reason when it cannot deliver", async () => {
    const { sms, otp } = setup();
    const { onExecuteSendPhoneMessage } = createSendPhoneMessage({ otp });
    const event = sendPhoneMessageEvent();
    const cache = new ActionsCache();
    expect((await runSendPhoneMessage({ onExecuteSendPhoneMessage }, event, cache)).outcome).toBe("success");
    expect((await runSendPhoneMessage({ onExecuteSendPhoneMessage }, event, cache)).outcome).toBe("success");
    expect(sms.messages).toHaveLength(1);
    expect(sms.lastCode(event.message_options.recipient)).toBe(event.message_options.code);

    const down = createSendPhoneMessage({ otp: setup({ sender: faultySender("refused") }).otp });
    const failed = await runSendPhoneMessage(down, sendPhoneMessageEvent());
    expect(failed.outcome).toBe("unknown");
    expect(failed.error).toBeInstanceOf(Error);
    expect(failed.reason).toMatch(/^otpkit send_failed: /);
  });
});
