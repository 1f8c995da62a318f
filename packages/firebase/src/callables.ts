/**
 * Phone verification for a signed-in Firebase user: `sendSMSVerification({ phone })` texts a code
 * bound to `request.auth.uid`; `verifySMSCode({ code })` checks it for that same user and writes
 * the number to their account (`updateUser({ phoneNumber })`).
 */
import { OtpError, type Purpose } from "@otpkit/otp-core";
import { onCall } from "firebase-functions/v2/https";
import { toHttpsError } from "./errors.js";
import {
  adminCode,
  dataOf,
  refuseReplayedAppCheck,
  type SendSmsVerificationResult,
  type SharedCallableOptions,
  sendReply,
  signedInUser,
  splitOptions,
} from "./options.js";

export interface CallablesOptions extends SharedCallableOptions {
  /**
   * The purpose every code is sent and checked for (its template and expiry). Default:
   * `"phone_verification"` ("Your verification code is: {code}. Valid for 10 minutes.").
   */
  purpose?: Purpose;
}

/** What `verifySMSCode` answers: the number now proven and set on the user. */
export interface VerifySmsCodeResult {
  status: "approved";
  phone: string;
}

/**
 * The two v2 callables. Export them under these names (the client calls
 * `httpsCallable(functions, "sendSMSVerification")` and `"verifySMSCode"`):
 *
 *   export const { sendSMSVerification, verifySMSCode } = createCallables({ otp, secrets: [otpSecret] });
 *
 * Every other option (`region`, `secrets`, `enforceAppCheck`, `consumeAppCheckToken`, `cors`,
 * `timeoutSeconds`, …) goes to both `onCall`s unchanged.
 */
export function createCallables(options: CallablesOptions) {
  const { purpose = "phone_verification", ...shared } = options;
  const { getOtp, getAuth, clientIp, onError, rest } = splitOptions(shared);

  const sendSMSVerification = onCall(rest, async (request): Promise<SendSmsVerificationResult> => {
    try {
      refuseReplayedAppCheck(request);
      const subject = signedInUser(request);
      const phone = dataOf(request).phone as string;
      const otp = await getOtp(request);
      return sendReply(await otp.send({ phone, purpose, subject, ip: clientIp(request) }));
    } catch (error) {
      throw toHttpsError(error, onError);
    }
  });

  const verifySMSCode = onCall(rest, async (request): Promise<VerifySmsCodeResult> => {
    try {
      refuseReplayedAppCheck(request);
      const subject = signedInUser(request);
      const code = dataOf(request).code as string;
      const otp = await getOtp(request);
      // Found through the user alone: the code was bound to this uid when it was sent.
      const { phone } = await otp.verify({ subject, purpose, code });
      // The code is used up from here on: a failure below is reported, never swallowed.
      await getAuth()
        .updateUser(subject, { phoneNumber: phone })
        .catch((error: unknown) => {
          if (adminCode(error) === "auth/phone-number-already-exists")
            throw new OtpError("phone_in_use", "This number belongs to another account.", { cause: error });
          throw new OtpError(
            "platform_error",
            "The number could not be saved to your account. Request a new code.",
            {
              cause: error,
            },
          );
        });
      return { status: "approved", phone };
    } catch (error) {
      throw toHttpsError(error, onError);
    }
  });

  return { sendSMSVerification, verifySMSCode };
}
