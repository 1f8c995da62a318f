/**
 * The prebuilt post-login step-up Action (dist/actions/post-login-step-up.cjs). Secrets:
 * `STEP_UP_SECRET` (HS256 key shared with your verify page, ≥ 32 bytes), `STEP_UP_URL` (the page),
 * optional `STEP_UP_REMEMBER_SECONDS` (default 0: every login). Who gets it: users whose
 * `app_metadata.sms_2fa_enabled` is `true`. The verify page holds OTP_SECRET, UNOSEND_* and REDIS_URL.
 */
import { createStepUp } from "../step-up.js";

export const { onExecutePostLogin, onContinuePostLogin } = createStepUp({
  secret: (event) => event.secrets.STEP_UP_SECRET,
  url: (event) => event.secrets.STEP_UP_URL,
  rememberSeconds: (event) => Number(event.secrets.STEP_UP_REMEMBER_SECONDS ?? 0) || 0,
});
