/**
 * The hook on Node, in process: signed `Request`s in, `Response`s out, with otp-core's outbox,
 * faulty senders and faulty stores standing in for providers and databases.
 */
import { randomUUID } from "node:crypto";
import { createOtp, memoryStore, type OtpOptions, outbox, type Sender } from "@otpkit/otp-core";
import { faultySender, faultyStore } from "@otpkit/otp-core/testing";
import { afterEach, describe, expect, it, vi } from "vitest";
import { newHookSecret, sendSmsPayload, signHeaders } from "../test/sign.js";
import { createSendSmsHook } from "./hook.js";
import type { SendSmsHookOptions } from "./options.js";

const secret = newHookSecret();
const otpSecret = "unit-test-secret-of-at-least-32-bytes!!";
const phone = "+14155550123";

function setup(options: Partial<SendSmsHookOptions> = {}, otpOptions: Partial<OtpOptions> = {}) {
  const sms = outbox();
  const otp = createOtp({ secret: otpSecret, sender: sms, production: false, ...otpOptions });
  const hook = createSendSmsHook({ secret, otp, ...options });
  return { sms, otp, hook };
}

function signed(payload: unknown, init: { method?: string; body?: string } = {}) {
  const body = init.body ?? JSON.stringify(payload);
  return new Request("http://localhost/functions/v1/send-sms", {
    method: init.method ?? "POST",
    headers: signHeaders([secret], body),
    body,
  });
}

async function answer(response: Response) {
  return { status: response.status, type: response.headers.get("content-type"), body: await response.text() };
}

afterEach(() => vi.restoreAllMocks());

describe("createSendSmsHook on Node", () => {
  it("delivers with the user as subject, the + added, metadata.ip_address as IP", async () => {
    const { hook, sms } = setup(
      {},
      { limits: { perIp: [{ limit: 1, windowSeconds: 600 }], perPrefix: false } },
    );
    const first = sendSmsPayload({ phone, ip: "198.51.100.1" });
    expect(await answer(await hook(signed(first)))).toEqual({
      status: 200,
      type: "application/json",
      body: "{}",
    });
    expect(sms.messages[0]).toMatchObject({ to: phone, channel: "sms" });
    expect(sms.lastCode(phone)).toBe(first.sms.otp);
    // The same IP is now over its budget of one; another IP is not.
    const sameIp = await hook(signed(sendSmsPayload({ phone: "+14155550124", ip: "198.51.100.1" })));
    expect(JSON.parse(await sameIp.text())).toMatchObject({ error: { http_code: 429 } });
    const otherIp = await hook(signed(sendSmsPayload({ phone: "+14155550125", ip: "198.51.100.2" })));
    expect(await otherIp.text()).toBe("{}");
  });

  it("scopes the dedupe key to the user: the same uuid for another user is another message", async () => {
    const { hook, sms } = setup();
    const uuid = randomUUID();
    await hook(signed(sendSmsPayload({ phone, uuid })));
    await hook(signed(sendSmsPayload({ phone: "+14155550199", uuid })));
    expect(sms.messages).toHaveLength(2);
  });

  it("keeps every answer inside timeoutMs: a hanging provider gets the rest of the budget, then 502", async () => {
    const sender = faultySender("hang");
    const { hook } = setup({ timeoutMs: 1000, onError: () => {} }, { sender });
    const response = await hook(signed(sendSmsPayload({ phone })));
    // 502 (the sender's own bound fired), not 503 (the hook's last-resort deadline).
    expect(JSON.parse(await response.text())).toEqual({
      error: { http_code: 502, message: expect.stringMatching(/could not be sent/) },
    });
    expect(sender.attempts).toHaveLength(1);
  });

  it("answers 503 within timeoutMs when the store hangs", async () => {
    const { hook, sms } = setup(
      { timeoutMs: 1000, onError: () => {} },
      { store: faultyStore({ fault: "hang" }) },
    );
    const response = await hook(signed(sendSmsPayload({ phone })));
    expect(JSON.parse(await response.text())).toMatchObject({ error: { http_code: 503 } });
    expect(sms.messages).toEqual([]);
  });

  it("answers 503 when the store refuses", async () => {
    const { hook } = setup({ onError: () => {} }, { store: faultyStore() });
    expect(JSON.parse(await (await hook(signed(sendSmsPayload({ phone })))).text())).toMatchObject({
      error: { http_code: 503, message: expect.stringMatching(/temporarily unavailable/) },
    });
  });

  it("picks the channel with a function of the user, and falls back to SMS when WhatsApp fails", async () => {
    const sms = outbox();
    const whatsappDown: Sender = { ...faultySender("refused"), name: "wa", channels: ["whatsapp"] };
    const sender: Sender = {
      name: "both",
      channels: ["sms", "whatsapp"],
      send: (message, options) =>
        (message.channel === "whatsapp" ? whatsappDown : sms).send(message, options),
    };
    const otp = createOtp({ secret: otpSecret, sender, production: false });
    const policy = vi.fn(({ user }: { user: { user_metadata?: Record<string, unknown> } }) =>
      user.user_metadata?.otp_channel === "whatsapp" ? ("whatsapp" as const) : ("sms" as const),
    );
    const hook = createSendSmsHook({ secret, otp, channel: policy });
    const payload = sendSmsPayload({ phone, userMetadata: { otp_channel: "whatsapp" } });
    expect(await (await hook(signed(payload))).text()).toBe("{}");
    expect(policy).toHaveBeenCalledWith(expect.objectContaining({ phone, country: "US", purpose: "login" }));
    expect(sms.messages.map((message) => message.channel)).toEqual(["sms"]);

    const noFallback = createSendSmsHook({
      secret,
      otp,
      channel: "whatsapp",
      smsFallback: false,
      onError: () => {},
    });
    const refused = await noFallback(signed(sendSmsPayload({ phone: "+14155550177" })));
    expect(JSON.parse(await refused.text())).toMatchObject({ error: { http_code: 502 } });
    expect(sms.messages).toHaveLength(1);
  });

  it("sends WhatsApp through a sender that can, and SMS when the sender cannot do WhatsApp", async () => {
    const both = setup({ channel: "whatsapp" });
    await both.hook(signed(sendSmsPayload({ phone })));
    expect(both.sms.messages[0]?.channel).toBe("whatsapp");

    const smsOnly = outbox();
    const sender: Sender = { name: "sms-only", send: (message) => smsOnly.send(message) };
    const hook = createSendSmsHook({
      secret,
      channel: "whatsapp",
      otp: createOtp({ secret: otpSecret, sender, production: false }),
    });
    expect(await (await hook(signed(sendSmsPayload({ phone })))).text()).toBe("{}");
    expect(smsOnly.messages.map((message) => message.channel)).toEqual(["sms"]);
  });

  it("sends by SMS when the app's channel function throws or answers nonsense", async () => {
    const onError = vi.fn();
    const failing = setup({
      onError,
      channel: () => {
        throw new Error("policy bug");
      },
    });
    expect(await (await failing.hook(signed(sendSmsPayload({ phone })))).text()).toBe("{}");
    expect(failing.sms.messages[0]?.channel).toBe("sms");
    expect(onError).toHaveBeenCalledWith(expect.objectContaining({ message: "policy bug" }));
    const nonsense = setup({ channel: () => "pigeon" as "sms" });
    await nonsense.hook(signed(sendSmsPayload({ phone })));
    expect(nonsense.sms.messages[0]?.channel).toBe("sms");
  });

  it("refuses the memory store in production: at creation for an instance, on first use for a factory", async () => {
    const production = () =>
      createOtp({
        secret: otpSecret,
        sender: outbox(),
        production: true,
        phone: { allowedCountries: ["US"] },
      });
    expect(() => createSendSmsHook({ secret, otp: production() })).toThrow(
      /memory store is refused in production/,
    );
    const onError = vi.fn();
    const hook = createSendSmsHook({ secret, otp: production, onError });
    const response = await hook(signed(sendSmsPayload({ phone })));
    expect(JSON.parse(await response.text())).toEqual({
      error: { http_code: 500, message: expect.stringMatching(/\S/) },
    });
    expect(onError.mock.calls[0]?.[0]).toMatchObject({ code: "invalid_config" });
    // A shared store is fine in production; the memory store is fine outside it.
    expect(() =>
      createSendSmsHook({
        secret,
        otp: createOtp({
          secret: otpSecret,
          sender: outbox(),
          production: true,
          phone: { allowedCountries: "all" },
          store: faultyStore({ base: memoryStore() }),
        }),
      }),
    ).not.toThrow();
  });

  it("logs 5xx failures on one line with the code redacted, even when a provider SDK quotes the text", async () => {
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    const { hook } = setup({}, { sender: faultySender("throws") });
    const payload = sendSmsPayload({ phone });
    const response = await hook(signed(payload));
    expect(JSON.parse(await response.text())).toMatchObject({ error: { http_code: 502 } });
    expect(logged).toHaveBeenCalledTimes(1);
    const line = String(logged.mock.calls[0]?.[0]);
    expect(line).toMatch(/^otpkit send-sms hook: OtpError send_failed/);
    expect(line).toContain("[redacted]"); // core scrubs the code from the sender's error
    expect(line).not.toContain(payload.sms.otp);
  });

  it("answers non-POST with 405 and oversized bodies with 413, sending nothing", async () => {
    const { hook, sms } = setup();
    expect((await hook(new Request("http://localhost/", { method: "GET" }))).status).toBe(405);
    const huge = JSON.stringify({ ...sendSmsPayload({ phone }), padding: "x".repeat(300 * 1024) });
    expect((await hook(signed(undefined, { body: huge }))).status).toBe(413);
    expect(sms.messages).toEqual([]);
  });

  it("refuses bad options when it is created", () => {
    const otp = createOtp({ secret: otpSecret, sender: outbox(), production: false });
    const bad: Array<Partial<SendSmsHookOptions>> = [
      { secret: "" },
      { secret: "whsec_" },
      { timeoutMs: 6000 },
      { timeoutMs: 10 },
      { purpose: "nope" as "login" },
      { channel: "carrier-pigeon" as "sms" },
      { channel: { byCountry: { BR: "fax" as "sms" } } },
      { otp: undefined as never },
    ];
    for (const options of bad)
      expect(() => createSendSmsHook({ secret, otp, ...options }), JSON.stringify(options)).toThrow(
        expect.objectContaining({ code: "invalid_config" }),
      );
  });

  it("passes the fraud guard's refusals on: a blocked number → http_code 403, a paused range → 403, nothing sent", async () => {
    const { hook, sms } = setup({}, { guard: { blockList: [phone] } });
    const refused = JSON.parse(await (await hook(signed(sendSmsPayload({ phone })))).text());
    expect(refused).toMatchObject({ error: { http_code: 403 } });
    expect(refused.error.message).toMatch(/cannot be sent to this number/);
    expect(sms.messages).toHaveLength(0);
  });
});
