// actions/post-login-step-up.ts — a post-login Action (Actions › Library › Build Custom, trigger
// `post-login`), built to dist/actions/post-login-step-up.cjs. Secrets: STEP_UP_SECRET (shared
// with this app), STEP_UP_URL (this app's /verify page). No dependencies.
import { createStepUp } from "@otpkit/auth0";

export const { onExecutePostLogin, onContinuePostLogin } = createStepUp({
  secret: (event) => event.secrets.STEP_UP_SECRET,
  url: (event) => event.secrets.STEP_UP_URL,
  // The app's rule (seed 000): users who turned SMS 2FA on in their profile.
  enabled: (event) => event.user.app_metadata.sms_2fa_enabled === true,
  // Once passed, the step-up counts for 12 hours of the same Auth0 session.
  rememberSeconds: 12 * 3600,
});
