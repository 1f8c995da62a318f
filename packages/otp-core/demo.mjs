// The core, end to end, on the embedded defaults: memory store and an in-memory outbox.
// Run with `pnpm demo` until the full demo app lands.
import { createOtp, OtpError, outbox } from "@otpkit/otp-core";

const messages = outbox();
const otp = createOtp({
  secret: crypto
    .getRandomValues(new Uint8Array(32))
    .reduce((s, b) => s + b.toString(16).padStart(2, "0"), ""),
  sender: messages,
  onEvent: (event) => console.log("  event:", JSON.stringify(event)),
});

const phone = "+14155551234";
console.log(`1. send a login code to ${phone}`);
const sent = await otp.send({ phone, ip: "127.0.0.1" });
console.log(`   → ${sent.id}, to ${sent.maskedPhone}, expires ${sent.expiresAt.toISOString()}`);
console.log(`2. the SMS in the outbox: "${messages.last().body}"`);

console.log("3. verify a wrong code");
try {
  await otp.verify({ id: sent.id, code: messages.lastCode(phone) === "000000" ? "111111" : "000000" });
} catch (error) {
  if (!(error instanceof OtpError)) throw error;
  console.log(`   → refused: ${error.code} (${error.status}): ${error.message}`);
}

console.log("4. verify the right code");
const verified = await otp.verify({ id: sent.id, code: messages.lastCode(phone) });
console.log(`   → ${verified.status} for ${verified.phone}`);

console.log("5. the same code again");
await otp
  .verify({ id: sent.id, code: messages.lastCode(phone) })
  .catch((error) => console.log(`   → refused: ${error.code}`));

console.log("6. ask for another code right away");
await otp
  .send({ phone })
  .catch((error) => console.log(`   → refused: ${error.code}, retry after ${error.retryAfter}s`));
