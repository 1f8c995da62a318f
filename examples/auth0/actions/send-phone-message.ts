// actions/send-phone-message.ts — for tenants without the Unified Phone Experience (trigger
// `send-phone-message`, Actions › Library), built to dist/actions/send-phone-message.cjs.
// Same secrets and dependencies as the custom phone provider.
import { createSendPhoneMessage, memoryStoreAllowed, otpFromSecrets } from "@otpkit/auth0";

export const { onExecuteSendPhoneMessage } = createSendPhoneMessage({
  otp: (event) => otpFromSecrets(event.secrets, { appName: "Example" }),
  // Production (OTP_PRODUCTION defaults to true) needs REDIS_URL, unless OTP_ALLOW_MEMORY_STORE=true.
  allowMemoryStore: (event) => memoryStoreAllowed(event.secrets),
});
