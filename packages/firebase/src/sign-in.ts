/**
 * Passwordless sign-in with an SMS code on your own provider: `sendSignInCode({ phone })` texts a
 * code (no signed-in user needed), `signInWithSms({ phone, code })` checks it and answers a custom
 * token for the account that owns the number — created first when the app allows sign-up — which
 * the client passes to `signInWithCustomToken`.
 */
import { OtpError, type Purpose } from "@otpkit/otp-core";
import type { UserRecord } from "firebase-admin/auth";
import { onCall } from "firebase-functions/v2/https";
import { refusal, toHttpsError } from "./errors.js";
import {
  adminCode,
  dataOf,
  refuseReplayedAppCheck,
  type SendSmsVerificationResult,
  type SharedCallableOptions,
  sendReply,
  splitOptions,
} from "./options.js";

export interface SignInCallablesOptions extends SharedCallableOptions {
  /**
   * Whether a verified number without an account gets a new account (`createUser({ phoneNumber })`).
   * Off, such a number is refused with `not-found` (`reason: "user_not_found"`) — after the code
   * was checked, so the answer tells nothing to someone who does not hold the phone. Default: `false`.
   */
  allowSignUp?: boolean;
  /**
   * Claims added to the custom token (and so to the ID token), e.g. `{ signInMethod: "sms" }`.
   * Default: none.
   */
  claims?: (
    user: UserRecord,
  ) => Record<string, unknown> | undefined | Promise<Record<string, unknown> | undefined>;
  /** The purpose codes are sent and checked for. Default: `"login"` (5-minute codes). */
  purpose?: Purpose;
}

/** What `signInWithSms` answers. */
export interface SignInWithSmsResult {
  /** A Firebase custom token: `signInWithCustomToken(auth, token)`. */
  token: string;
  /** Whether the account was created by this sign-in. */
  isNewUser: boolean;
}

const platformError = (error: unknown) =>
  new OtpError("platform_error", "Signing in failed after the code was accepted. Request a new code.", {
    cause: error,
  });

/**
 * The two v2 callables of passwordless sign-in:
 *
 *   export const { sendSignInCode, signInWithSms } = createSignInCallables({ otp, allowSignUp: true });
 *
 * Anyone can call them, so every budget applies in full: per phone, the resend cooldown, per IP
 * and per number range (SMS pumping). Turn on `enforceAppCheck` in production.
 */
export function createSignInCallables(options: SignInCallablesOptions) {
  const { allowSignUp = false, claims, purpose = "login", ...shared } = options;
  const { getOtp, getAuth, clientIp, onError, rest } = splitOptions(shared);

  const sendSignInCode = onCall(rest, async (request): Promise<SendSmsVerificationResult> => {
    try {
      refuseReplayedAppCheck(request);
      const phone = dataOf(request).phone as string;
      const otp = await getOtp(request);
      return sendReply(await otp.send({ phone, purpose, ip: clientIp(request) }));
    } catch (error) {
      throw toHttpsError(error, onError);
    }
  });

  const signInWithSms = onCall(rest, async (request): Promise<SignInWithSmsResult> => {
    try {
      refuseReplayedAppCheck(request);
      const data = dataOf(request);
      const otp = await getOtp(request);
      const { phone } = await otp.verify({ phone: data.phone as string, code: data.code as string, purpose });
      // The number is proven from here on; the account is whoever owns it in Firebase Auth.
      const auth = getAuth();
      let isNewUser = false;
      let user = await auth.getUserByPhoneNumber(phone).catch((error: unknown) => {
        if (adminCode(error) === "auth/user-not-found") return null;
        throw platformError(error);
      });
      if (!user) {
        if (!allowSignUp) throw refusal("not-found", "No account uses this number.", "user_not_found");
        user = await auth.createUser({ phoneNumber: phone }).then(
          (created) => {
            isNewUser = true;
            return created;
          },
          // Two sign-ins of one new number at once: the other one created it.
          (error: unknown) => {
            if (adminCode(error) !== "auth/phone-number-already-exists") throw platformError(error);
            return auth.getUserByPhoneNumber(phone).catch((again: unknown) => {
              throw platformError(again);
            });
          },
        );
      }
      if (user.disabled) throw refusal("permission-denied", "This account is disabled.", "user_disabled");
      const developerClaims = claims ? await claims(user) : undefined;
      const token = await auth.createCustomToken(user.uid, developerClaims).catch((error: unknown) => {
        throw platformError(error);
      });
      return { token, isNewUser };
    } catch (error) {
      throw toHttpsError(error, onError);
    }
  });

  return { sendSignInCode, signInWithSms };
}
