export { generateCode } from "./code.js";
export { type Bounded, deadline } from "./deadline.js";
export { constantTimeEqual } from "./encoding.js";
export { createOtpFromEnv, otpOptionsFromEnv } from "./env.js";
export { isOtpError, OtpError, type OtpErrorCode, type OtpErrorOptions } from "./errors.js";
export {
  type ApiKeyResolver,
  createOtpHandler,
  type OtpHandler,
  type OtpHandlerContext,
  type OtpHandlerOptions,
} from "./http.js";
export { type MemoryStoreOptions, memoryStore } from "./memory-store.js";
export {
  composeMessage,
  defaultExpiryMinutes,
  defaultTemplate,
  defaultTemplates,
  extractCode,
  type Purpose,
  purposes,
} from "./message.js";
export {
  createOtp,
  type LimitOptions,
  type Otp,
  type OtpEvent,
  type OtpOptions,
  type RateRule,
  type SendInput,
  type SendResult,
  type VerifyInput,
  type VerifyResult,
} from "./otp.js";
export { type CountryCode, maskPhone, type ParsedPhone, type PhonePolicy, parsePhone } from "./phone.js";
export {
  type Channel,
  type FailoverOptions,
  failover,
  type HttpGatewayOptions,
  httpGateway,
  type OutboxMessage,
  outbox,
  type Sender,
  type SendOptions,
  type SmsMessage,
  type TwilioOptions,
  twilio,
  type UnosendOptions,
  unosend,
} from "./senders.js";
export type {
  CheckInput,
  CheckResult,
  HitResult,
  OtpRecord,
  PutOptions,
  PutResult,
  RateHit,
  Store,
} from "./store.js";
