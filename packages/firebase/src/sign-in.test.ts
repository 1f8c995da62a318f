import { createOtp, memoryStore, type OtpOptions, outbox } from "@otpkit/otp-core";
import type { Auth } from "firebase-admin/auth";
import { describe, expect, it } from "vitest";
import { adminAuth } from "../test/admin-auth";
import { callableRequest, refusedWith } from "../test/requests";
import { createSignInCallables, type SignInCallablesOptions } from "./sign-in";

const secret = "firebase-sign-in-secret-firebase-sign-in-secret";
const phone = "+14155550123";

function setup(options: Partial<SignInCallablesOptions> = {}, otpOptions: Partial<OtpOptions> = {}) {
  const sms = outbox();
  const auth = adminAuth();
  const otp = createOtp({ secret, sender: sms, store: memoryStore(), ...otpOptions });
  const callables = createSignInCallables({
    otp,
    auth: auth as unknown as Auth,
    onError: () => {},
    ...options,
  });
  /** Sends a code to `to` and returns it, as the person reads it from the SMS. */
  const codeFor = async (to: string, ip?: string) => {
    await callables.sendSignInCode.run(callableRequest({ phone: to }, ip ? { ip } : {}));
    return sms.lastCode(to)!;
  };
  return { sms, auth, codeFor, ...callables };
}

describe("sendSignInCode / signInWithSms", () => {
  it("needs no signed-in user and answers a custom token for the account that owns the number", async () => {
    const { auth, codeFor, signInWithSms } = setup();
    auth.add("owner", { phoneNumber: phone });
    const code = await codeFor(phone);
    expect(await signInWithSms.run(callableRequest({ phone: "+1 (415) 555-0123", code }))).toEqual({
      token: "token-for-owner",
      isNewUser: false,
    });
    // A uid in the data, or a signed-in caller, changes nothing: the number decides the account.
    expect(auth.calls.filter(([name]) => name === "createCustomToken")).toEqual([
      ["createCustomToken", "owner", undefined],
    ]);
  });

  it("the signed-in caller is irrelevant: a code sent while signed in as someone still signs in the number's owner", async () => {
    const { auth, sms, sendSignInCode, signInWithSms } = setup();
    auth.add("owner", { phoneNumber: phone });
    await sendSignInCode.run(callableRequest({ phone, uid: "mallory" }, { uid: "mallory" }));
    const result = await signInWithSms.run(
      callableRequest({ phone, code: sms.lastCode(phone), uid: "mallory" }, { uid: "mallory" }),
    );
    expect(result.token).toBe("token-for-owner");
  });

  it("creates the account when sign-up is allowed, with the developer's claims", async () => {
    const { auth, codeFor, signInWithSms } = setup({ allowSignUp: true, claims: () => ({ via: "sms" }) });
    const code = await codeFor(phone);
    expect(await signInWithSms.run(callableRequest({ phone, code }))).toEqual({
      token: "token-for-user1",
      isNewUser: true,
    });
    expect(auth.users.get("user1")?.phoneNumber).toBe(phone);
    expect(auth.calls.at(-1)).toEqual(["createCustomToken", "user1", { via: "sms" }]);
  });

  it("refuses an unknown number with not-found when sign-up is off — only after the code was checked", async () => {
    const { auth, codeFor, signInWithSms } = setup();
    // Without the right code nobody learns whether the number has an account.
    await codeFor(phone);
    expect(
      (await refusedWith(signInWithSms.run(callableRequest({ phone, code: "000000" })))).details.reason,
    ).toMatch(/invalid_code|not_found/);
    expect(auth.calls).toEqual([]);
    const fresh = setup();
    const right = await fresh.codeFor(phone);
    expect(await refusedWith(fresh.signInWithSms.run(callableRequest({ phone, code: right })))).toEqual({
      code: "not-found",
      status: 404,
      message: "No account uses this number.",
      details: { reason: "user_not_found" },
    });
    expect(fresh.auth.calls.map(([name]) => name)).toEqual(["getUserByPhoneNumber"]);
  });

  it("a disabled account gets permission-denied and no token", async () => {
    const { auth, codeFor, signInWithSms } = setup();
    auth.add("banned", { phoneNumber: phone, disabled: true });
    const code = await codeFor(phone);
    expect(await refusedWith(signInWithSms.run(callableRequest({ phone, code })))).toMatchObject({
      code: "permission-denied",
      status: 403,
      details: { reason: "user_disabled" },
    });
    expect(auth.calls.map(([name]) => name)).not.toContain("createCustomToken");
  });

  it("two sign-ups of one new number at once: the loser finds the account the winner created", async () => {
    const { auth, codeFor, signInWithSms } = setup({ allowSignUp: true });
    const code = await codeFor(phone);
    // The account appears between our lookup and our create, as when two devices race.
    const lookup = auth.getUserByPhoneNumber.bind(auth);
    let first = true;
    auth.getUserByPhoneNumber = async (number: string) => {
      if (first) {
        first = false;
        const missing = await lookup(number).catch((error) => error);
        auth.add("winner", { phoneNumber: number });
        throw missing;
      }
      return lookup(number);
    };
    expect(await signInWithSms.run(callableRequest({ phone, code }))).toEqual({
      token: "token-for-winner",
      isNewUser: false,
    });
  });

  it("Admin failures after the code was accepted are unavailable (platform_error), never internal", async () => {
    for (const call of ["getUserByPhoneNumber", "createUser", "createCustomToken"] as const) {
      const { auth, codeFor, signInWithSms } = setup({ allowSignUp: true });
      auth.fail[call] = new Error("ECONNRESET");
      const code = await codeFor(phone);
      expect(await refusedWith(signInWithSms.run(callableRequest({ phone, code }))), call).toMatchObject({
        code: "unavailable",
        status: 503,
        details: { reason: "platform_error" },
      });
    }
  });

  it("wrong codes count, and the code dies after three", async () => {
    const { codeFor, signInWithSms, auth } = setup({ allowSignUp: true });
    const code = await codeFor(phone);
    const wrong = code === "999999" ? "888888" : "999999";
    expect(await refusedWith(signInWithSms.run(callableRequest({ phone, code: wrong })))).toMatchObject({
      code: "invalid-argument",
      details: { reason: "invalid_code", attemptsLeft: 2 },
    });
    await signInWithSms.run(callableRequest({ phone, code: wrong })).catch(() => undefined);
    await signInWithSms.run(callableRequest({ phone, code: wrong })).catch(() => undefined);
    expect((await refusedWith(signInWithSms.run(callableRequest({ phone, code })))).details.reason).toBe(
      "too_many_attempts",
    );
    expect(auth.calls).toEqual([]);
  });

  it("anonymous callers meet every budget: per IP and per number range (SMS pumping)", async () => {
    const perIp = setup({}, { limits: { perIp: [{ limit: 2, windowSeconds: 600 }] } });
    await perIp.codeFor("+14155550131", "192.0.2.10");
    await perIp.codeFor("+14155550132", "192.0.2.10");
    const refused = await refusedWith(
      perIp.sendSignInCode.run(callableRequest({ phone: "+14155550133" }, { ip: "192.0.2.10" })),
    );
    expect(refused).toMatchObject({
      code: "resource-exhausted",
      status: 429,
      details: { reason: "rate_limited" },
    });
    expect(refused.details.retryAfter).toBeGreaterThan(500);

    // A pumping run walks one range from many IPs: the range's own budget stops it.
    const range = setup({}, { limits: { perPrefix: { rules: [{ limit: 3, windowSeconds: 3600 }] } } });
    for (const [i, last] of ["41", "42", "43"].entries())
      await range.codeFor(`+141555501${last}`, `198.51.100.${i}`);
    expect(
      (
        await refusedWith(
          range.sendSignInCode.run(callableRequest({ phone: "+14155550144" }, { ip: "198.51.100.9" })),
        )
      ).code,
    ).toBe("resource-exhausted");
    expect(range.sms.messages).toHaveLength(3);
  });
});
