import { createOtp } from "@otpkit/otp-core";
import { defineSecret } from "firebase-functions/params";
import { describe, expect, it, vi } from "vitest";

const onCall = vi.hoisted(() => vi.fn());
vi.mock("firebase-functions/v2/https", async (importOriginal) => {
  const original = await importOriginal<typeof import("firebase-functions/v2/https")>();
  onCall.mockImplementation(original.onCall);
  return { ...original, onCall };
});

const { createCallables } = await import("./callables");
const { createSignInCallables } = await import("./sign-in");

describe("onCall options", () => {
  it("pass through to every onCall unchanged; otpkit's own options never do", () => {
    const otpSecret = defineSecret("OTP_SECRET");
    const options = {
      region: "europe-west1",
      enforceAppCheck: true,
      consumeAppCheckToken: true,
      secrets: [otpSecret],
      timeoutSeconds: 30,
    };
    const otp = createOtp({ secret: "options-test-secret-options-test-secret-0" });
    const verification = createCallables({ otp, purpose: "signup", onError: () => {}, ...options });
    const signIn = createSignInCallables({
      otp,
      allowSignUp: true,
      getClientIp: () => undefined,
      ...options,
    });
    expect(onCall).toHaveBeenCalledTimes(4);
    for (const [given] of onCall.mock.calls) expect(given).toEqual(options);
    // Firebase's deploy manifest carries the region and the secret binding.
    for (const fn of [verification.sendSMSVerification, verification.verifySMSCode, signIn.signInWithSms]) {
      expect(fn.__endpoint).toMatchObject({
        region: ["europe-west1"],
        timeoutSeconds: 30,
        secretEnvironmentVariables: [{ key: "OTP_SECRET" }],
        callableTrigger: {},
      });
    }
  });
});
