/**
 * The prebuilt `send-phone-message` Action (dist/actions/send-phone-message.cjs), for tenants
 * without the Unified Phone Experience: the same mapping and secrets as the custom phone provider.
 */
import { createSendPhoneMessage } from "../phone-provider.js";
import { memoryStoreAllowed, otpFromSecrets, templateFromSecrets } from "../secrets.js";

export const { onExecuteSendPhoneMessage } = createSendPhoneMessage({
  otp: (event) => otpFromSecrets(event.secrets),
  templates: (notification, event) => templateFromSecrets(event.secrets, notification),
  allowMemoryStore: (event) => memoryStoreAllowed(event.secrets),
});
