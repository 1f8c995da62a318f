/**
 * The prebuilt `custom-phone-provider` Action (dist/actions/custom-phone-provider.cjs): Auth0's
 * codes through your Unosend account (with an optional fallback account), behind otpkit's fraud
 * guard and budgets, configured entirely by the Action's secrets (see `otpFromSecrets`).
 */
import { createCustomPhoneProvider } from "../phone-provider.js";
import { memoryStoreAllowed, otpFromSecrets, templateFromSecrets } from "../secrets.js";

export const { onExecuteCustomPhoneProvider } = createCustomPhoneProvider({
  otp: (event) => otpFromSecrets(event.secrets),
  templates: (notification, event) => templateFromSecrets(event.secrets, notification),
  allowMemoryStore: (event) => memoryStoreAllowed(event.secrets),
});
