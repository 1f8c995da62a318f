/**
 * The hook's behaviour on a real runtime, driven by requests signed with `standardwebhooks` as
 * GoTrue signs them, and — where GoTrue's own reaction is the point (its 5-second deadline, its
 * status mapping) — through the GoTrue double. The same scenarios run on Deno (`deno.test.ts`)
 * and on Node (`node.test.ts`) against the same fixture hooks (`fixtures/hooks.ts`).
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GoTrueDouble, startGoTrueDouble } from "./gotrue-double.js";
import {
  brazilianMobile,
  type Environment,
  mobileNumber,
  numberRange,
  type Served,
  startEnvironment,
} from "./runtime.js";
import { callHook, post, randomCode, sendSmsPayload, signHeaders } from "./sign.js";

export function runtimeScenarios(runtime: string, serve: (env: Record<string, string>) => Promise<Served>) {
  describe(`the send-sms hook on ${runtime}`, () => {
    let environment: Environment;
    let served: Served;
    const doubles: GoTrueDouble[] = [];

    beforeAll(async () => {
      environment = await startEnvironment();
      served = await serve(environment.env);
    }, 60_000);
    afterAll(async () => {
      await Promise.all(doubles.map((double) => double.close()));
      await served?.close();
      await environment?.close();
    });

    const url = (path: string) => `${served.url}${path}`;
    const inbox = (phone: string) => environment.sandbox.messages.filter((message) => message.to === phone);
    const call = (path: string, payload: unknown, secrets: readonly string[] = [environment.secrets[0]]) =>
      callHook(url(path), secrets, payload);
    const double = async (path: string, options: { smsMaxFrequencySeconds?: number } = {}) => {
      const started = await startGoTrueDouble({
        hookUri: url(path),
        hookSecrets: environment.secrets,
        ...options,
      });
      doubles.push(started);
      return started;
    };
    /** `signInWithOtp`'s wire call (the SDK itself runs in the example's end-to-end test). */
    const requestOtp = (gotrue: GoTrueDouble, phone: string) =>
      fetch(`${gotrue.url}/auth/v1/otp`, {
        method: "POST",
        headers: { apikey: gotrue.anonKey, "content-type": "application/json;charset=UTF-8" },
        body: JSON.stringify({
          phone,
          create_user: true,
          data: {},
          channel: "sms",
          gotrue_meta_security: {},
        }),
      }).then(async (response) => ({
        status: response.status,
        body: (await response.json()) as { message?: string },
      }));

    it("sends the code GoTrue made to the number with its + back, and answers 200 {} as JSON", async () => {
      const phone = mobileNumber();
      const payload = sendSmsPayload({ phone });
      const answer = await call("/sms", payload);
      expect(answer).toMatchObject({ status: 200, text: "{}" });
      expect(answer.contentType).toMatch(/^application\/json/);
      const [message] = inbox(phone);
      expect(message?.code).toBe(payload.sms.otp);
      expect(message?.body).toMatch(/^Your login code is \d{6}\./);
    });

    it("sends once for one metadata.uuid, whatever the webhook-id of each attempt", async () => {
      const phone = mobileNumber();
      const payload = sendSmsPayload({ phone });
      const body = JSON.stringify(payload);
      const first = await post(
        url("/sms"),
        body,
        signHeaders([environment.secrets[0]], body, { id: randomUUID() }),
      );
      const retry = await post(
        url("/sms"),
        body,
        signHeaders([environment.secrets[0]], body, { id: randomUUID() }),
      );
      expect([first.text, retry.text]).toEqual(["{}", "{}"]);
      expect(inbox(phone)).toHaveLength(1);
    });

    it("accepts either rotated secret, alone or in GoTrue's ', '-joined form", async () => {
      const [older, newer] = environment.secrets;
      const other = "v1,whsec_c2lnbmVkLWJ5LXNvbWVib2R5LWVsc2UtYWx0b2dldGhlcg==";
      for (const secrets of [[older], [newer], [other, newer]]) {
        const phone = mobileNumber();
        expect((await call("/sms", sendSmsPayload({ phone }), secrets)).text).toBe("{}");
        expect(inbox(phone)).toHaveLength(1);
      }
    });

    it("answers 401 and sends nothing for every forged, stale or missing signature", async () => {
      const [secret] = environment.secrets;
      const phone = mobileNumber();
      const body = JSON.stringify(sendSmsPayload({ phone }));
      const good = signHeaders([secret], body);
      const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000);
      const without = (name: string) =>
        Object.fromEntries(Object.entries(good).filter(([key]) => key !== name));
      const variants: Array<[string, string, Record<string, string>]> = [
        [
          "signed with another secret",
          body,
          signHeaders(["v1,whsec_bm90LXRoZS1ob29rLXNlY3JldC1hdC1hbGwtbm8="], body),
        ],
        ["body changed after signing", body.replace(phone.slice(1), mobileNumber().slice(1)), good],
        ["timestamp 10 minutes old", body, signHeaders([secret], body, { at: minutesAgo(10) })],
        ["timestamp 10 minutes ahead", body, signHeaders([secret], body, { at: minutesAgo(-10) })],
        [
          "header timestamp changed after signing",
          body,
          { ...good, "webhook-timestamp": String(Number(good["webhook-timestamp"]) - 1) },
        ],
        ["webhook-id changed after signing", body, { ...good, "webhook-id": randomUUID() }],
        ["no webhook-signature", body, without("webhook-signature")],
        ["no webhook-id", body, without("webhook-id")],
        ["no webhook-timestamp", body, without("webhook-timestamp")],
        [
          "unversioned signature",
          body,
          { ...good, "webhook-signature": good["webhook-signature"]!.replace("v1,", "") },
        ],
        [
          "v2 signature",
          body,
          { ...good, "webhook-signature": good["webhook-signature"]!.replace("v1,", "v2,") },
        ],
        ["empty signature", body, { ...good, "webhook-signature": "" }],
        ["no headers at all", body, { "content-type": "application/json" }],
      ];
      for (const [name, sent, headers] of variants) {
        const answer = await post(url("/sms"), sent, headers);
        expect({ name, status: answer.status, text: answer.text }).toEqual({ name, status: 401, text: "" });
      }
      expect(environment.sandbox.messages.filter((message) => body.includes(message.to.slice(1)))).toEqual(
        [],
      );
      expect(inbox(phone)).toEqual([]);
    });

    it("refuses the 4th code to one number in an hour: 200 with http_code 429 and a message", async () => {
      const phone = mobileNumber();
      for (let i = 0; i < 3; i++) expect((await call("/sms", sendSmsPayload({ phone }))).text).toBe("{}");
      const answer = await call("/sms", sendSmsPayload({ phone }));
      expect(answer.status).toBe(200);
      expect(answer.contentType).toMatch(/^application\/json/);
      expect(answer.json).toEqual({ error: { http_code: 429, message: expect.stringMatching(/\S/) } });
      expect(inbox(phone)).toHaveLength(3);
    });

    it("refuses the 4th number in one range (SMS pumping): 200 with http_code 429", async () => {
      const range = numberRange(3);
      const numbers = [0, 1, 2, 3].map(() => mobileNumber(range, 3));
      const answers = [];
      for (const phone of new Set(numbers).size === 4 ? numbers : numbers.map((_, i) => `${range}00${i}`))
        answers.push(await call("/sms", sendSmsPayload({ phone })));
      expect(answers.slice(0, 3).map((answer) => answer.text)).toEqual(["{}", "{}", "{}"]);
      expect(answers[3]?.json).toEqual({ error: { http_code: 429, message: expect.stringMatching(/\S/) } });
      expect(environment.sandbox.messages.filter((message) => message.to.startsWith(range))).toHaveLength(3);
    });

    it("answers a signed but malformed payload with http_code 400 and sends nothing", async () => {
      const phone = mobileNumber();
      const payload = sendSmsPayload({ phone });
      const noPhone = { ...payload, sms: { otp: payload.sms.otp } };
      for (const body of [
        noPhone,
        { ...payload, user: {} },
        { ...payload, sms: { ...payload.sms, otp: "12ab56" } },
      ]) {
        const answer = await call("/sms", body);
        expect(answer.json).toEqual({ error: { http_code: 400, message: expect.stringMatching(/\S/) } });
      }
      const notJson = "not json";
      const answer = await post(url("/sms"), notJson, signHeaders([environment.secrets[0]], notJson));
      expect(answer.json).toEqual({ error: { http_code: 400, message: expect.stringMatching(/\S/) } });
      expect(inbox(phone)).toEqual([]);
    });

    it("sends an MFA challenge (sms_type mfa) with the two-factor template", async () => {
      const phone = mobileNumber();
      expect((await call("/sms", sendSmsPayload({ phone, smsType: "mfa" }))).text).toBe("{}");
      expect(inbox(phone)[0]?.body).toMatch(/^Your security code is \d{6}\. Do not share it\./);
      // The purpose option applies to everything else; MFA stays two-factor.
      const other = mobileNumber();
      expect((await call("/mfa-purpose", sendSmsPayload({ phone: other }))).text).toBe("{}");
      expect((await call("/mfa-purpose", sendSmsPayload({ phone: other, smsType: "mfa" }))).text).toBe("{}");
      expect(inbox(other).map((message) => message.body.split(" ")[0])).toEqual(["Your", "Welcome!"]);
      expect(inbox(other)[0]?.body).toMatch(/^Your security code/);
    });

    it("sends a payload without metadata (older GoTrue) once: the user and code identify the invocation", async () => {
      const phone = mobileNumber();
      const payload = sendSmsPayload({ phone, metadata: false });
      expect((await call("/sms", payload)).text).toBe("{}");
      expect((await call("/sms", payload)).text).toBe("{}");
      expect(inbox(phone)).toHaveLength(1);
      expect(inbox(phone)[0]?.code).toBe(payload.sms.otp);
      // A new code for the same user is a new invocation.
      expect((await call("/sms", { ...payload, sms: { ...payload.sms, otp: randomCode() } })).text).toBe(
        "{}",
      );
      expect(inbox(phone)).toHaveLength(2);
    });

    it("fails over past a refused and a hanging provider to one that works", async () => {
      const phone = mobileNumber();
      expect((await call("/failover", sendSmsPayload({ phone }))).text).toBe("{}");
      expect(inbox(phone)).toHaveLength(1);
    });

    it("providers down (refused, hanging past a short timeout): the client gets 502 + message, GoTrue's deadline never fires", async () => {
      const gotrue = await double("/providers-down");
      const phone = mobileNumber();
      const reply = await requestOtp(gotrue, phone);
      expect(reply.status).toBe(502);
      expect(reply.body.message).toMatch(/could not be sent/);
      const [invocation] = gotrue.invocations;
      expect(invocation?.deadlineFired).toBe(false);
      expect(invocation?.attempts.map((attempt) => attempt.result)).toEqual([200]);
      expect(inbox(phone)).toEqual([]);
    });

    it("a provider that hangs with its default 10 s timeout: the hook's 3.5 s budget answers first", async () => {
      const gotrue = await double("/provider-hangs");
      const reply = await requestOtp(gotrue, mobileNumber());
      expect(reply.status).toBe(502);
      expect(gotrue.invocations[0]?.deadlineFired).toBe(false);
      expect(gotrue.invocations[0]?.outcome).toMatchObject({ ok: false, status: 502 });
    });

    it("through GoTrue: the person sees 429 and the hook's message; MFA failures become 500", async () => {
      const gotrue = await double("/sms", { smsMaxFrequencySeconds: 0 });
      const phone = mobileNumber();
      for (let i = 0; i < 3; i++) expect((await requestOtp(gotrue, phone)).status).toBe(200);
      const refused = await requestOtp(gotrue, phone);
      expect(refused.status).toBe(429);
      expect(refused.body.message).toMatch(/\S/);
      expect(await gotrue.challengePhoneFactor(phone)).toEqual({
        ok: false,
        status: 500,
        code: "unexpected_failure",
        message: "error invoking hook",
      });
      const fresh = mobileNumber();
      expect(await gotrue.challengePhoneFactor(fresh)).toEqual({ ok: true });
      expect(inbox(fresh)[0]?.body).toMatch(/^Your security code/);
      // GoTrue's one body per invocation carries sms.phone without "+", sms_type only for MFA.
      const bodies = gotrue.invocations.map((invocation) => JSON.parse(invocation.body).sms);
      expect(bodies.at(-1)).toEqual({
        otp: expect.stringMatching(/^\d{6}$/),
        phone: fresh.slice(1),
        sms_type: "mfa",
      });
      expect(bodies[0]).not.toHaveProperty("sms_type");
    });

    it("WhatsApp by country, SMS elsewhere, and SMS when WhatsApp fails", async () => {
      const brazil = brazilianMobile();
      const us = mobileNumber();
      expect((await call("/whatsapp", sendSmsPayload({ phone: brazil }))).text).toBe("{}");
      expect((await call("/whatsapp", sendSmsPayload({ phone: us }))).text).toBe("{}");
      expect(inbox(brazil)[0]?.tags).toContain("whatsapp");
      expect(inbox(us)[0]?.tags).not.toContain("whatsapp");
      const fallback = brazilianMobile();
      expect((await call("/whatsapp-down", sendSmsPayload({ phone: fallback }))).text).toBe("{}");
      expect(inbox(fallback)).toHaveLength(1);
      expect(inbox(fallback)[0]?.tags).not.toContain("whatsapp");
    });

    it("refuses the memory store in production, saying why, and sends nothing", async () => {
      const phone = mobileNumber();
      const answer = await call("/production-memory", sendSmsPayload({ phone }));
      expect(answer.json).toEqual({ error: { http_code: 500, message: expect.stringMatching(/\S/) } });
      expect(inbox(phone)).toEqual([]);
      expect(served.logs()).toMatch(
        /memory store is refused in production: Supabase runs this function in many isolates/,
      );
    });

    it("works on the PostgreSQL store: sent, deduplicated, no code at rest", async () => {
      const phone = mobileNumber();
      const payload = sendSmsPayload({ phone });
      expect((await call("/postgres", payload)).text).toBe("{}");
      expect((await call("/postgres", payload)).text).toBe("{}");
      expect(inbox(phone)).toHaveLength(1);
      const { rows } = await environment.pool.query(
        `SELECT * FROM ${environment.schema}.otpkit_codes_windows`,
      );
      expect(rows.length).toBeGreaterThan(0);
      expect(JSON.stringify(rows)).not.toContain(payload.sms.otp);
      expect(JSON.stringify(rows)).not.toContain(payload.user.id);
    });

    it("works on the Redis store: sent, deduplicated, no code at rest", async () => {
      const phone = mobileNumber();
      const payload = sendSmsPayload({ phone });
      expect((await call("/redis", payload)).text).toBe("{}");
      expect((await call("/redis", payload)).text).toBe("{}");
      expect(inbox(phone)).toHaveLength(1);
      const keys = await environment.redis.keys(`{${environment.redisPrefix}*`);
      expect(keys.length).toBeGreaterThan(0);
      const dump = JSON.stringify([keys, await Promise.all(keys.map((key) => environment.redis.dump(key)))]);
      expect(dump).not.toContain(payload.sms.otp);
    });
  });
}
