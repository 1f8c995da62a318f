// Send → verify through createOtpHandler on the memory store, on whatever runtime runs this file.
// It imports the Web Crypto build by path: every runtime here (Deno and Bun too) matches the
// `node` export condition, which would hand it the node:crypto variant instead.
// Prints one JSON line: { runtime, ok, ... }; exits non-zero on any failure.
import { createOtp, createOtpHandler, outbox } from "../../dist/index.js";

const runtime =
  typeof Deno !== "undefined"
    ? `deno ${Deno.version.deno}`
    : typeof Bun !== "undefined"
      ? `bun ${Bun.version}`
      : `node ${process.version}`;

const sms = outbox();
const otp = createOtp({
  secret: "runtime-smoke-secret-runtime-smoke-secret",
  sender: sms,
  production: false,
});
const handler = createOtpHandler(otp);
const post = (path, body) =>
  handler(
    new Request(`http://localhost/v1/sms/verify/${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    }),
    { ip: "::ffff:203.0.113.9" },
  );

const phone = "+14155550123";
const sent = await post("send", { phone, purpose: "login" });
const sentBody = await sent.json();
const code = sms.lastCode(phone);
const wrong = await post("check", { id: sentBody.id, code: code === "000000" ? "111111" : "000000" });
const checked = await post("check", { id: sentBody.id, code });
const checkedBody = await checked.json();
const again = await post("check", { id: sentBody.id, code });
const result = {
  runtime,
  sent: sent.status,
  wrong: wrong.status,
  checked: checked.status,
  again: again.status,
  ok:
    sent.status === 200 &&
    /^\d{6}$/.test(code ?? "") &&
    wrong.status === 422 &&
    checked.status === 200 &&
    checkedBody.status === "approved" &&
    checkedBody.phone === phone &&
    again.status === 404,
};
console.log(JSON.stringify(result));
if (!result.ok) throw new Error(`smoke test failed on ${runtime}`);
