import { createPhoneVerificationRoutes } from "@otpkit/clerk";
import { getOtp } from "@/lib/otp";

// POST { phone } texts a code to the signed-in user; PATCH { code } checks it and adds the number
// to their Clerk account as verified. The user is auth()'s, never the body's.
export const { POST, PATCH } = createPhoneVerificationRoutes({
  otp: getOtp,
  trustProxy: Number(process.env.TRUST_PROXY ?? 0),
});
