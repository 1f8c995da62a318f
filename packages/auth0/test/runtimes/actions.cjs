// Runs the built Actions the way Auth0's node22 runtime loads them: CommonJS `require`, one
// execution each, with deprecations thrown (Auth0 runs Node 22; an API deprecated there must not
// be used). Prints one JSON line. SANDBOX_API_URL: a Unosend-compatible gateway to text.
"use strict";
const path = require("node:path");
const { createHmac } = require("node:crypto");

const dist = path.join(__dirname, "../../dist/actions");
const provider = require(path.join(dist, "custom-phone-provider.cjs"));
const legacy = require(path.join(dist, "send-phone-message.cjs"));
const stepUp = require(path.join(dist, "post-login-step-up.cjs"));

const secrets = {
  OTP_SECRET: "node22-runtime-test-secret-of-32-bytes!!",
  UNOSEND_API_KEY: "sandbox",
  UNOSEND_API_URL: process.env.SANDBOX_API_URL,
  OTP_PRODUCTION: "false",
  STEP_UP_SECRET: "node22-runtime-step-up-secret-32-bytes!",
  STEP_UP_URL: "https://app.example.com/verify",
};
const request = { ip: "203.0.113.50", hostname: "example.us.auth0.com", method: "POST", geoip: {} };
const user = {
  user_id: "auth0|node22",
  phone_number: "+14155550150",
  app_metadata: { sms_2fa_enabled: true },
  user_metadata: {},
};
const store = new Map();
const cache = {
  get: (key) => store.get(key),
  set(key, value) {
    store.set(key, { value, expires_at: Date.now() + 600_000 });
    return { type: "success" };
  },
  delete: (key) => ({ type: store.delete(key) ? "success" : "error" }),
};

(async () => {
  const outcome = { runtime: `node ${process.version}` };
  const decisions = [];
  await provider.onExecuteCustomPhoneProvider(
    {
      notification: {
        as_text: "604122 is your verification code.",
        as_voice: "6 0 4 1 2 2",
        code: "604122",
        delivery_method: "text",
        locale: "en_US",
        message_type: "otp_verify",
        recipient: "+14155550150",
      },
      request,
      transaction: { correlation_id: "corr-node22" },
      user,
      client: { client_id: "c", name: "n", metadata: {} },
      tenant: { id: "example" },
      secrets,
    },
    {
      cache,
      notification: { drop: (r) => decisions.push(`drop ${r}`), retry: (r) => decisions.push(`retry ${r}`) },
    },
  );
  outcome.provider = decisions.length ? decisions : "sent";
  await legacy.onExecuteSendPhoneMessage(
    {
      message_options: {
        action: "enrollment",
        code: "730214",
        message_type: "sms",
        recipient: "+14155550151",
        text: "730214 is your code.",
      },
      request,
      transaction: { correlation_id: "corr-node22-legacy" },
      user,
      tenant: { id: "example" },
      secrets,
    },
    { cache },
  );
  outcome.legacy = "sent";
  let location;
  const api = {
    access: {
      deny(reason) {
        outcome.denied = reason;
        return api;
      },
    },
    redirect: {
      encodeToken: ({ secret, payload }) => {
        const body = Buffer.from(JSON.stringify({ ...payload, sub: user.user_id })).toString("base64url");
        const head = Buffer.from('{"alg":"HS256","typ":"JWT"}').toString("base64url");
        return `${head}.${body}.${createHmac("sha256", secret).update(`${head}.${body}`).digest("base64url")}`;
      },
      sendUserTo(url, options) {
        location = `${url}?session_token=${options.query.session_token}`;
        return api;
      },
    },
  };
  await stepUp.onExecutePostLogin({ user, request, authentication: { methods: [] }, secrets }, api);
  outcome.stepUp = location ? "redirected" : "not redirected";
  console.log(JSON.stringify(outcome));
  process.exit(0); // the Redis-less Otp holds no sockets; exit without waiting on keep-alive fetches
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
