/**
 * `@otpkit/otp-core`: the app developer's API. Store authors import `@otpkit/otp-core/store`,
 * tests `@otpkit/otp-core/testing`, browsers `@otpkit/otp-core/protocol`, node:http servers
 * `@otpkit/otp-core/node`.
 */

export {
  type ChallengeVerifier,
  hcaptcha,
  recaptcha,
  type SiteVerifyOptions,
  turnstile,
} from "./challenge.js";
export { generateCode } from "./code.js";
export type { LimitOptions, OtpConfig, OtpOptions } from "./config.js";
export type { DeliverInput, DeliverResult } from "./deliver.js";
export { countryPolicy, createOtpFromEnv, otpOptionsFromEnv } from "./env.js";
export {
  isOtpError,
  OtpError,
  type OtpErrorCode,
  type OtpErrorOptions,
  publicError,
} from "./errors.js";
export type { BlockReason, OtpEvent } from "./events.js";
export type { GuardMode, GuardOptions, GuardRule, TripwireBound } from "./guard.js";
export {
  type ApiKeyResolver,
  createOtpHandler,
  type Identity,
  type OtpHandler,
  type OtpHandlerContext,
  type OtpHandlerOptions,
  type OtpRequestHandler,
  toResponse,
} from "./http.js";
export { readStreamAtMost } from "./http-body.js";
export {
  createOtpHttp,
  type HttpAnswer,
  type HttpExchange,
  type OtpAction,
  type OtpHttp,
} from "./http-core.js";
export { forwardedIp, normalizeIp } from "./ip.js";
export type { RateRuleName } from "./keys.js";
export { formatFindings, type LintFinding, lintConfig, type Preset, presetDefaults } from "./lint.js";
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
export { createOtp, type Otp } from "./otp.js";
export {
  type CountryCode,
  defaultRefusedTypes,
  maskPhone,
  type NumberType,
  type ParsedPhone,
  type PhonePolicy,
  parsePhone,
} from "./phone.js";
export type { SendInput, SendResult } from "./send.js";
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
export { type OtpSource, resolveOtp } from "./source.js";
export type { Store } from "./store.js";
export type { RateRule } from "./validate.js";
export type { VerifyInput, VerifyResult } from "./verify.js";
