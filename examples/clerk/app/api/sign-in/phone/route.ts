import { createPhoneSignInRoutes } from "@otpkit/clerk";
import { getOtp } from "@/lib/otp";

// Phone sign-in without a session: POST { phone } sends a login code, PATCH { phone, code } answers
// a short-lived sign-in ticket for the account whose verified number it is.
export const { POST, PATCH } = createPhoneSignInRoutes({
  otp: getOtp,
  trustProxy: Number(process.env.TRUST_PROXY ?? 0),
});
