/**
 * Mode B against fixtures signed with `standardwebhooks`, each cross-checked with `@clerk/backend`'s
 * own `verifyWebhook` (what a Clerk app would run), through a real `createOtp` with core's outbox and
 * faulty senders/stores.
 */
import { inspect } from "node:util";
import { verifyWebhook } from "@clerk/backend/webhooks";
import { createOtp, memoryStore, type OtpEvent, type OtpOptions, outbox } from "@otpkit/otp-core";
import { faultySender, faultyStore } from "@otpkit/otp-core/testing";
import { describe, expect, it, vi } from "vitest";
import { newSigningSecret, type SmsFixture, signed, smsEvent, toRequest } from "../test/sms-fixtures";
import { createSmsWebhook, type SmsDrop, type SmsWebhookOptions } from "./index";

const url = "http://localhost/api/webhooks/clerk-sms";
const otpSecret = "clerk-webhook-test-secret-0123456789abcdef";

function setup(options: Partial<SmsWebhookOptions> = {}, otpOptions: Partial<OtpOptions> = {}) {
  const signingSecret = newSigningSecret();
  const sms = outbox();
  const events: OtpEvent[] = [];
  const otp = createOtp({
    secret: otpSecret,
    sender: sms,
    store: memoryStore(),
    production: false,
    onEvent: (event) => events.push(event),
    ...otpOptions,
  });
  const drops: SmsDrop[] = [];
  const errors: unknown[] = [];
  const webhook = createSmsWebhook({
    otp,
    signingSecret,
    onDropped: (drop) => drops.push(drop),
    onError: (error) => errors.push(error),
    ...options,
  });
  /** Signs the event, proves Clerk's own verifier accepts it, and posts it. */
  const post = async (fixture: SmsFixture | { type: string; data: object } = {}, id?: string) => {
    const payload = "type" in fixture ? fixture : smsEvent(fixture);
    const message = signed(signingSecret, payload, id ? { id } : {});
    const verified = await verifyWebhook(toRequest(url, message), { signingSecret });
    expect(verified).toEqual(payload);
    return webhook(toRequest(url, message));
  };
  return { webhook, post, sms, events, drops, errors, signingSecret };
}

describe("createSmsWebhook", () => {
  it("delivers Clerk's code and text through the provider, with the user as subject and the user's IP", async () => {
    const { post, sms, events } = setup();
    const response = await post({
      to: "+14155550150",
      message: "482913 is your verification code for Acme.",
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: "sent" });
    expect(sms.messages).toHaveLength(1);
    expect(sms.messages[0]).toMatchObject({
      to: "+14155550150",
      body: "482913 is your verification code for Acme.",
    });
    expect(events).toContainEqual(
      expect.objectContaining({ type: "sent", delivered: true, ip: "203.0.113.7" }),
    );
  });

  it("takes the code from data.otp_code and can compose otpkit's own template around it", async () => {
    const { post, sms } = setup({ text: "template" }, { appName: "Acme" });
    await post({ otpCode: "771204", message: "Your Clerk code: 771204" });
    expect(sms.messages[0]!.body).toContain("771204");
    expect(sms.messages[0]!.body).not.toContain("Your Clerk code");
    expect(sms.messages[0]!.body).toMatch(/10 minutes/);
  });

  it("refuses a bad signature with 401 and sends nothing (Clerk's verifier refuses it too)", async () => {
    const { webhook, sms, signingSecret } = setup();
    const message = signed(signingSecret, smsEvent());
    const tampered = { ...message, body: message.body.replace("+14155550150", "+14155550151") };
    await expect(verifyWebhook(toRequest(url, tampered), { signingSecret })).rejects.toThrow();
    expect((await webhook(toRequest(url, tampered))).status).toBe(401);
    const otherSecret = signed(newSigningSecret(), smsEvent());
    expect((await webhook(toRequest(url, otherSecret))).status).toBe(401);
    const unsigned = { body: message.body, headers: { "content-type": "application/json" } };
    expect((await webhook(toRequest(url, unsigned))).status).toBe(401);
    // A capture replayed after Standard Webhooks' 5-minute tolerance.
    const old = signed(signingSecret, smsEvent(), { timestamp: new Date(Date.now() - 6 * 60_000) });
    expect((await webhook(toRequest(url, old))).status).toBe(401);
    expect(sms.messages).toHaveLength(0);
  });

  it("ignores an SMS Clerk already delivered", async () => {
    const { post, sms, drops } = setup();
    const response = await post({ deliveredByClerk: true });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "dropped", reason: "delivered_by_clerk" });
    expect(sms.messages).toHaveLength(0);
    expect(drops).toEqual([expect.objectContaining({ reason: "delivered_by_clerk", userId: "user_alice" })]);
  });

  it("sends a retried svix-id once", async () => {
    const { post, sms, drops } = setup();
    const event = smsEvent();
    expect((await post(event, "msg_same")).status).toBe(200);
    const again = await post(event, "msg_same");
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ status: "duplicate", reason: "duplicate" });
    expect(sms.messages).toHaveLength(1);
    expect(drops.map((drop) => drop.reason)).toEqual(["duplicate"]);
  });

  it("drops an event whose SMS is older than Clerk's 10-minute code lifetime", async () => {
    const { post, sms, drops } = setup();
    const response = await post({ ageMs: 10 * 60_000 + 5_000 });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "dropped", reason: "stale" });
    expect(sms.messages).toHaveLength(0);
    expect(drops[0]!.reason).toBe("stale");
    // The spec example's `created_at` counts the same.
    const event = smsEvent();
    const { created_at_ms: _, ...data } = event.data;
    const legacy = { ...event, data: { ...data, created_at: Date.now() - 11 * 60_000 } };
    expect(await (await post(legacy)).json()).toEqual({ status: "dropped", reason: "stale" });
    expect(sms.messages).toHaveLength(0);
    // Nine minutes old is still alive.
    expect(await (await post({ ageMs: 9 * 60_000 })).json()).toMatchObject({ status: "sent" });
  });

  it("answers 200 and sends nothing when the country is blocked, and says so", async () => {
    const { post, sms, drops, events } = setup({}, { phone: { blockedCountries: ["GB"] } });
    const response = await post({ to: "+447400123456" });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "dropped", reason: "refused" });
    expect(sms.messages).toHaveLength(0);
    expect(drops).toEqual([expect.objectContaining({ reason: "refused", code: "blocked" })]);
    expect(events.some((event) => event.type === "blocked")).toBe(true);
  });

  it("answers 200 and sends nothing when otpkit's budget is spent (a new svix-id to the same phone in the cooldown)", async () => {
    const { post, sms, drops, events } = setup();
    await post({ to: "+14155550152" });
    const response = await post({ to: "+14155550152" });
    expect(response.status).toBe(200);
    expect(sms.messages).toHaveLength(1);
    expect(drops).toEqual([expect.objectContaining({ reason: "refused", code: "rate_limited" })]);
    expect(events).toContainEqual(expect.objectContaining({ type: "limited", rule: "cooldown" }));
  });

  it("answers 5xx when the provider is down, so Svix retries, and the retry really sends", async () => {
    const down = faultySender("refused");
    let sender: { send: typeof down.send } = down;
    const { post, sms, errors } = setup(
      {},
      { sender: { name: "switch", send: (message, options) => sender.send(message, options) } },
    );
    const event = smsEvent({ to: "+14155550153" });
    const first = await post(event, "msg_retry");
    expect(first.status).toBe(502);
    expect(await first.json()).toMatchObject({ error: { code: "send_failed" } });
    expect(errors).toHaveLength(1);
    sender = sms;
    const retry = await post(event, "msg_retry");
    expect(retry.status).toBe(200);
    expect(sms.messages).toHaveLength(1);
  });

  it("retries a provider's own 429 and quota, unlike otpkit's budgets", async () => {
    for (const fault of ["rate_limited", "quota"] as const) {
      const { post, drops } = setup({}, { sender: faultySender(fault) });
      const response = await post({ to: "+14155550154" });
      expect(response.status).toBe(503);
      expect(drops).toEqual([]);
    }
  });

  it("bounds a hanging provider by timeoutMs and answers 502 in time for Svix", async () => {
    const { post } = setup({ timeoutMs: 200 }, { sender: faultySender("hang") });
    const response = await post({ to: "+14155550155" });
    expect(response.status).toBe(502);
  });

  it("answers 503 when the store is down (fail closed, nothing sent)", async () => {
    const sms = outbox();
    const { post } = setup({}, { store: faultyStore(), sender: sms });
    expect((await post()).status).toBe(503);
    expect(sms.messages).toHaveLength(0);
  });

  it("answers 500 without a signing secret and reports it", async () => {
    const { errors } = setup();
    const previous = process.env.CLERK_WEBHOOK_SIGNING_SECRET;
    delete process.env.CLERK_WEBHOOK_SIGNING_SECRET;
    try {
      const webhook = createSmsWebhook({
        otp: createOtp({ secret: otpSecret, sender: outbox() }),
        onError: (e) => errors.push(e),
      });
      const response = await webhook(toRequest(url, signed(newSigningSecret(), smsEvent())));
      expect(response.status).toBe(500);
      expect(await response.json()).toEqual({
        error: { code: "internal_error", message: "Something went wrong." },
      });
      expect(errors).toEqual([expect.objectContaining({ code: "invalid_config" })]);
    } finally {
      if (previous !== undefined) process.env.CLERK_WEBHOOK_SIGNING_SECRET = previous;
    }
  });

  it("reads the secret from CLERK_WEBHOOK_SIGNING_SECRET by default", async () => {
    const signingSecret = newSigningSecret();
    const sms = outbox();
    process.env.CLERK_WEBHOOK_SIGNING_SECRET = signingSecret;
    try {
      const webhook = createSmsWebhook({ otp: createOtp({ secret: otpSecret, sender: sms }) });
      expect((await webhook(toRequest(url, signed(signingSecret, smsEvent())))).status).toBe(200);
      expect(sms.messages).toHaveLength(1);
    } finally {
      delete process.env.CLERK_WEBHOOK_SIGNING_SECRET;
    }
  });

  it("ignores other event types and messages without a code, and refuses other methods", async () => {
    const { post, webhook, sms, drops } = setup();
    const other = { ...smsEvent(), type: "user.created" };
    expect(await (await post(other)).json()).toEqual({ status: "dropped", reason: "other_event" });
    expect(
      await (await post({ message: "You have been invited to Acme: https://acme.test/i" })).json(),
    ).toEqual({
      status: "dropped",
      reason: "no_code",
    });
    expect(sms.messages).toHaveLength(0);
    expect(drops.map((drop) => drop.reason)).toEqual(["other_event", "no_code"]);
    expect((await webhook(new Request(url, { method: "GET" }))).status).toBe(405);
  });

  it("refuses an oversized body with 413 before verifying it", async () => {
    const { webhook, signingSecret } = setup();
    const event = smsEvent({ message: `482913 ${"x".repeat(70_000)}` });
    expect((await webhook(toRequest(url, signed(signingSecret, event)))).status).toBe(413);
  });

  it("never puts the code in a reply, a drop or an error", async () => {
    const { post, drops, errors } = setup({}, { sender: faultySender("throws") });
    const response = await post({ otpCode: "905517", message: "905517 is your code" });
    expect(await response.text()).not.toContain("905517");
    expect(JSON.stringify(drops)).not.toContain("905517");
    expect(errors.map((error) => String(error)).join()).not.toContain("905517");
  });

  // As console.error prints it: inspect() shows an error's cause, and a careless SDK's quotes the SMS.
  it("logs a provider failure by default without the cause's text, which may quote the code", async () => {
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      const signingSecret = newSigningSecret();
      const webhook = createSmsWebhook({
        otp: createOtp({ secret: otpSecret, sender: faultySender("throws") }),
        signingSecret,
      });
      const event = smsEvent({ otpCode: "880431", message: "880431 is your code" });
      expect((await webhook(toRequest(url, signed(signingSecret, event)))).status).toBe(502);
      expect(logged).toHaveBeenCalledTimes(1);
      const line = logged.mock.calls
        .flat()
        .map((part) => (typeof part === "string" ? part : inspect(part, { depth: 6 })));
      expect(line.join(" ")).toContain("send_failed");
      expect(line.join(" ")).not.toContain("880431");
    } finally {
      logged.mockRestore();
    }
  });
});
