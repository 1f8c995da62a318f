// functions/src/index.ts — the code that is deployed (`firebase deploy --only functions`).
import { countryPolicy, createCallables, createOtp, createSignInCallables, unosend } from "@otpkit/firebase";
import { firestoreStore } from "@otpkit/firebase/store";
import { initializeApp } from "firebase-admin/app";
import { getFirestore } from "firebase-admin/firestore";
import { defineSecret } from "firebase-functions/params";

initializeApp();

// `firebase functions:secrets:set OTP_SECRET` (≥ 32 random bytes) and UNOSEND_API_KEY. The
// emulator reads them from functions/.secret.local (the demo writes one with a random secret).
const otpSecret = defineSecret("OTP_SECRET");
const smsApiKey = defineSecret("UNOSEND_API_KEY");

// A function, not an instance: secrets only have values while a function runs, never while
// `firebase deploy` loads this module. It runs once per instance, on the first call.
const otp = () =>
  createOtp({
    secret: otpSecret.value(),
    appName: "otpkit demo",
    store: firestoreStore({ firestore: getFirestore() }),
    // UNOSEND_API_URL from functions/.env when deployed; the demo points it at the SMS sandbox.
    sender: unosend({ apiKey: smsApiKey.value(), apiUrl: process.env.UNOSEND_API_URL || undefined }),
    // NODE_ENV means nothing on Cloud Functions: say it. The emulator sets FUNCTIONS_EMULATOR.
    production: process.env.FUNCTIONS_EMULATOR !== "true",
    // The countries codes may go to (OTP_COUNTRIES in functions/.env: "US,CA", or "all"). Deployed
    // without it, the first call fails with a message saying so; the emulator serves US, CA and GB.
    ...(process.env.OTP_COUNTRIES
      ? { phone: countryPolicy(process.env.OTP_COUNTRIES) }
      : process.env.FUNCTIONS_EMULATOR === "true"
        ? { phone: { allowedCountries: ["US", "CA", "GB"] as const } }
        : {}),
  });

const options = {
  otp,
  secrets: [otpSecret, smsApiKey],
  region: "us-central1",
  // In production turn on App Check (the web page then needs an App Check provider):
  // enforceAppCheck: true, consumeAppCheckToken: true,
};

/** Verify a phone number for the signed-in user; it is then set on their Firebase account. */
export const { sendSMSVerification, verifySMSCode } = createCallables(options);

/** Passwordless sign-in: the verified number's account gets a custom token (created on first sign-in). */
export const { sendSignInCode, signInWithSms } = createSignInCallables({ ...options, allowSignUp: true });
