import { createOtp, memoryStore, OtpError, outbox } from "@otpkit/otp-core";
import { faultyStore } from "@otpkit/otp-core/testing";
import type { Auth } from "firebase-admin/auth";
import { defineSecret } from "firebase-functions/params";
import { HttpsError } from "firebase-functions/v2/https";
import { describe, expect, it, vi } from "vitest";
import { adminAuth } from "../test/admin-auth";
import { callableRequest, refusedWith } from "../test/requests";
import { type CallablesOptions, createCallables } from "./callables";

const secret = "firebase-unit-test-secret-firebase-unit-test";
const alice = "+14155550101";
const bob = "+14155550102";

function setup(overrides: Partial<CallablesOptions> & { otpOptions?: Parameters<typeof createOtp>[0] } = {}) {
  const sms = outbox();
  const auth = adminAuth();
  auth.add("alice");
  auth.add("bob");
  const errors: OtpError[] = [];
  const { otpOptions, ...options } = overrides;
  const otp = createOtp({ secret, sender: sms, store: memoryStore(), ...otpOptions });
  const callables = createCallables({
    otp,
    auth: auth as unknown as Auth,
    onError: (error) => errors.push(error),
    ...options,
  });
  return { sms, auth, errors, otp, ...callables };
}

describe("sendSMSVerification / verifySMSCode", () => {
  it("sends a code to the signed-in user and, verified by that user, sets the number on their account", async () => {
    const { sms, auth, sendSMSVerification, verifySMSCode } = setup();
    const sent = await sendSMSVerification.run(
      callableRequest({ phone: "+1 415 555 0101" }, { uid: "alice" }),
    );
    expect(sent).toMatchObject({ status: "sent", phone: alice, maskedPhone: "+1 ***-***-0101" });
    expect(Date.parse(sent.expiresAt)).toBeGreaterThan(Date.now() + 9 * 60_000);
    const code = sms.lastCode(alice)!;
    expect(code).toMatch(/^\d{6}$/);
    expect(JSON.stringify(sent)).not.toContain(code);

    expect(await verifySMSCode.run(callableRequest({ code }, { uid: "alice" }))).toEqual({
      status: "approved",
      phone: alice,
    });
    expect(auth.users.get("alice")?.phoneNumber).toBe(alice);
    expect(auth.calls).toEqual([["updateUser", "alice", { phoneNumber: alice }]]);
  });

  it("refuses a caller without an ID token with unauthenticated (401), and sends nothing", async () => {
    const { sms, sendSMSVerification, verifySMSCode } = setup();
    expect(await refusedWith(sendSMSVerification.run(callableRequest({ phone: alice })))).toMatchObject({
      code: "unauthenticated",
      status: 401,
      details: { reason: "unauthorized" },
    });
    expect(await refusedWith(verifySMSCode.run(callableRequest({ code: "123456" })))).toMatchObject({
      code: "unauthenticated",
      status: 401,
    });
    expect(sms.messages).toHaveLength(0);
  });

  it("binds the code to the user: Alice's code fails for Bob, costs Alice nothing, and a uid in the data is ignored", async () => {
    const { sms, auth, sendSMSVerification, verifySMSCode } = setup();
    await sendSMSVerification.run(callableRequest({ phone: alice }, { uid: "alice" }));
    const code = sms.lastCode(alice)!;
    expect(
      await refusedWith(verifySMSCode.run(callableRequest({ code, uid: "alice" }, { uid: "bob" }))),
    ).toMatchObject({ code: "not-found", status: 404, details: { reason: "not_found" } });
    expect(auth.users.get("bob")?.phoneNumber).toBeUndefined();
    // Bob's try spent none of Alice's attempts: her code still works.
    await verifySMSCode.run(callableRequest({ code }, { uid: "alice" }));
    expect(auth.users.get("alice")?.phoneNumber).toBe(alice);
  });

  it("a wrong code is invalid-argument (400) with the attempts left; the third kills the code", async () => {
    const { sms, sendSMSVerification, verifySMSCode } = setup();
    await sendSMSVerification.run(callableRequest({ phone: alice }, { uid: "alice" }));
    const code = sms.lastCode(alice)!;
    const wrong = code === "000000" ? "111111" : "000000";
    expect(await refusedWith(verifySMSCode.run(callableRequest({ code: wrong }, { uid: "alice" })))).toEqual({
      code: "invalid-argument",
      status: 400,
      message: "That code is not right. 2 attempts left.",
      details: { reason: "invalid_code", attemptsLeft: 2 },
    });
    await verifySMSCode.run(callableRequest({ code: wrong }, { uid: "alice" })).catch(() => undefined);
    expect(
      await refusedWith(verifySMSCode.run(callableRequest({ code: wrong }, { uid: "alice" }))),
    ).toMatchObject({
      code: "resource-exhausted",
      status: 429,
      details: { reason: "too_many_attempts", attemptsLeft: 0 },
    });
    expect(await refusedWith(verifySMSCode.run(callableRequest({ code }, { uid: "alice" })))).toMatchObject({
      details: { reason: "too_many_attempts" },
    });
  });

  it("a resend inside the cooldown is resource-exhausted (429) with retryAfter in details", async () => {
    const { sms, sendSMSVerification } = setup();
    await sendSMSVerification.run(callableRequest({ phone: alice }, { uid: "alice" }));
    const refused = await refusedWith(
      sendSMSVerification.run(callableRequest({ phone: alice }, { uid: "alice" })),
    );
    expect(refused).toMatchObject({
      code: "resource-exhausted",
      status: 429,
      details: { reason: "rate_limited" },
    });
    expect(refused.details.retryAfter).toBeGreaterThan(55);
    expect(refused.details.retryAfter).toBeLessThanOrEqual(60);
    expect(sms.messages).toHaveLength(1);
  });

  it("counts per IP from the raw request, or from getClientIp", async () => {
    const otpOptions = {
      secret,
      limits: { perIp: [{ limit: 1, windowSeconds: 600 }] },
    } as Parameters<typeof createOtp>[0];
    const { sendSMSVerification } = setup({ otpOptions });
    await sendSMSVerification.run(callableRequest({ phone: alice }, { uid: "alice", ip: "198.51.100.7" }));
    // IPv4-mapped spelling of the same address: core canonicalises it into the same bucket.
    expect(
      await refusedWith(
        sendSMSVerification.run(callableRequest({ phone: bob }, { uid: "bob", ip: "::ffff:198.51.100.7" })),
      ),
    ).toMatchObject({ code: "resource-exhausted", details: { reason: "rate_limited" } });
    await sendSMSVerification.run(callableRequest({ phone: bob }, { uid: "bob", ip: "198.51.100.8" }));

    const custom = setup({
      otpOptions,
      getClientIp: (request) => request.rawRequest.headers["x-test-ip"] as string,
    });
    const withHeader = (uid: string, phone: string) => {
      const request = callableRequest({ phone }, { uid, ip: "198.51.100.9" });
      request.rawRequest.headers["x-test-ip"] = "192.0.2.1";
      return request;
    };
    await custom.sendSMSVerification.run(withHeader("alice", alice));
    expect((await refusedWith(custom.sendSMSVerification.run(withHeader("bob", bob)))).code).toBe(
      "resource-exhausted",
    );
  });

  it("a number owned by another account is already-exists (409), not internal; the code is used up", async () => {
    const { sms, auth, sendSMSVerification, verifySMSCode } = setup();
    auth.add("carol", { phoneNumber: alice });
    await sendSMSVerification.run(callableRequest({ phone: alice }, { uid: "alice" }));
    const code = sms.lastCode(alice)!;
    expect(await refusedWith(verifySMSCode.run(callableRequest({ code }, { uid: "alice" })))).toEqual({
      code: "already-exists",
      status: 409,
      message: "This number belongs to another account.",
      details: { reason: "phone_in_use" },
    });
    expect(auth.users.get("alice")?.phoneNumber).toBeUndefined();
    expect((await refusedWith(verifySMSCode.run(callableRequest({ code }, { uid: "alice" })))).code).toBe(
      "not-found",
    );
  });

  it("any other Admin failure after the code was accepted is unavailable (503, platform_error), reported with its cause", async () => {
    const { sms, auth, errors, sendSMSVerification, verifySMSCode } = setup();
    auth.fail.updateUser = new Error("socket hang up");
    await sendSMSVerification.run(callableRequest({ phone: alice }, { uid: "alice" }));
    const refused = await refusedWith(
      verifySMSCode.run(callableRequest({ code: sms.lastCode(alice) }, { uid: "alice" })),
    );
    expect(refused).toMatchObject({
      code: "unavailable",
      status: 503,
      details: { reason: "platform_error" },
    });
    expect(refused.message).not.toContain("socket");
    expect(errors.map((error) => [error.code, (error.cause as Error).message])).toEqual([
      ["platform_error", "socket hang up"],
    ]);
  });

  it("bad input is invalid-argument (400) naming the field, whatever the data's shape", async () => {
    const { sms, sendSMSVerification, verifySMSCode } = setup();
    for (const data of [{ phone: "12" }, { phone: 14155550101 }, "+14155550101", null, [alice]]) {
      const refused = await refusedWith(sendSMSVerification.run(callableRequest(data, { uid: "alice" })));
      expect(refused, JSON.stringify(data)).toMatchObject({ code: "invalid-argument", status: 400 });
    }
    for (const data of [{ code: "12ab56" }, { code: 123456 }, {}]) {
      const refused = await refusedWith(verifySMSCode.run(callableRequest(data, { uid: "alice" })));
      expect(refused).toMatchObject({
        code: "invalid-argument",
        details: { reason: "invalid_request", field: "code" },
      });
    }
    expect(sms.messages).toHaveLength(0);
  });

  it("the store down is unavailable (503), for send and verify", async () => {
    const down = setup({ otpOptions: { secret, store: faultyStore() } as Parameters<typeof createOtp>[0] });
    expect(
      await refusedWith(down.sendSMSVerification.run(callableRequest({ phone: alice }, { uid: "alice" }))),
    ).toMatchObject({ code: "unavailable", status: 503, details: { reason: "store_unavailable" } });
    expect(
      await refusedWith(down.verifySMSCode.run(callableRequest({ code: "123456" }, { uid: "alice" }))),
    ).toMatchObject({ code: "unavailable", details: { reason: "store_unavailable" } });
  });

  it("refuses a replayed App Check token (consumeAppCheckToken) before sending or checking anything", async () => {
    const { sms, sendSMSVerification, verifySMSCode } = setup({ consumeAppCheckToken: true });
    const app = { appId: "1:1:web:1", token: {} as never, alreadyConsumed: true };
    expect(
      await refusedWith(sendSMSVerification.run(callableRequest({ phone: alice }, { uid: "alice", app }))),
    ).toEqual({
      code: "permission-denied",
      status: 403,
      message: "This App Check token was already used.",
      details: { reason: "app_check_replayed" },
    });
    expect(
      (await refusedWith(verifySMSCode.run(callableRequest({ code: "123456" }, { uid: "alice", app })))).code,
    ).toBe("permission-denied");
    expect(sms.messages).toHaveLength(0);
    await sendSMSVerification.run(
      callableRequest({ phone: alice }, { uid: "alice", app: { ...app, alreadyConsumed: false } }),
    );
    expect(sms.messages).toHaveLength(1);
  });

  it("makes the Otp on the first call, from that call's request (where defineSecret values exist)", async () => {
    const sms = outbox();
    const otpSecret = defineSecret("OTP_SECRET");
    process.env.OTP_SECRET = secret;
    const make = vi.fn(() => createOtp({ secret: otpSecret.value(), sender: sms }));
    const { sendSMSVerification, verifySMSCode } = createCallables({
      otp: make,
      auth: adminAuth() as unknown as Auth,
      secrets: [otpSecret],
    });
    expect(make).not.toHaveBeenCalled();
    const first = callableRequest({ phone: alice }, { uid: "alice" });
    await sendSMSVerification.run(first);
    await verifySMSCode.run(callableRequest({ code: "000000" }, { uid: "alice" })).catch(() => undefined);
    expect(make).toHaveBeenCalledTimes(1);
    expect(make).toHaveBeenCalledWith(first);
    delete process.env.OTP_SECRET;
  });

  it("never answers internal for what a client sends, and HttpsErrors are what the SDK expects", async () => {
    const { sendSMSVerification } = setup();
    const error = await sendSMSVerification
      .run(callableRequest({ phone: "nope" }, { uid: "alice" }))
      .catch((e) => e);
    expect(error).toBeInstanceOf(HttpsError);
    expect(error.toJSON()).toEqual({
      status: "INVALID_ARGUMENT",
      message: expect.any(String),
      details: { reason: "invalid_phone", field: "phone" },
    });
  });

  it("an unexpected exception becomes internal with a generic message, its text only in the log", async () => {
    const errors: OtpError[] = [];
    const { sendSMSVerification } = createCallables({
      otp: () => {
        throw new Error("secret OTP_SECRET missing at /srv/config.json");
      },
      onError: (error) => errors.push(error),
    });
    const refused = await refusedWith(
      sendSMSVerification.run(callableRequest({ phone: alice }, { uid: "alice" })),
    );
    expect(refused).toEqual({
      code: "internal",
      status: 500,
      message: "Something went wrong.",
      details: { reason: "internal_error" },
    });
    expect(errors[0]).toBeInstanceOf(OtpError);
    expect((errors[0]!.cause as Error).message).toContain("OTP_SECRET");
  });

  it("passes the fraud guard's refusals on as permission-denied, nothing sent", async () => {
    const { sms, sendSMSVerification } = setup({
      otpOptions: { secret, guard: { blockList: [alice] } },
    });
    expect(
      await refusedWith(sendSMSVerification.run(callableRequest({ phone: alice }, { uid: "alice" }))),
    ).toMatchObject({
      code: "permission-denied",
      details: { reason: "blocked" },
    });
    expect(sms.messages).toHaveLength(0);
  });
});
