import { createStepUpHandler } from "@otpkit/auth0";
import { getOtp } from "./otp";

/**
 * The step-up's two endpoints. The user is the `sub` of the session token Auth0 signed with
 * STEP_UP_SECRET (the post-login Action's secret too); the number is the token's. Per-IP limits
 * use the login IP Auth0 signed into the token, so no proxy header needs trusting.
 */
export const stepUp = createStepUpHandler({
  otp: getOtp,
  // Read per request: `next build` runs without secrets.
  secret: () => process.env.STEP_UP_SECRET,
  // Your Auth0 domain, e.g. example.us.auth0.com: tokens from another tenant are refused.
  ...(process.env.AUTH0_DOMAIN ? { issuer: process.env.AUTH0_DOMAIN } : {}),
});
