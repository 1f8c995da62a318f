// web/app.ts — the browser side, with the Firebase JS SDK: callables by name, then Firebase Auth.
import { initializeApp } from "firebase/app";
import {
  connectAuthEmulator,
  getAuth,
  onAuthStateChanged,
  signInAnonymously,
  signInWithCustomToken,
  signOut,
  type User,
} from "firebase/auth";
import {
  connectFunctionsEmulator,
  type FunctionsError,
  getFunctions,
  httpsCallable,
} from "firebase/functions";

/** What the page server tells the page (in production: your Firebase web config, no emulators). */
interface PageConfig {
  projectId: string;
  apiKey: string;
  region: string;
  emulators?: { auth: string; functions: { host: string; port: number } };
}

interface SendResult {
  status: "sent";
  phone: string;
  maskedPhone: string;
  expiresAt: string;
  resendAvailableAt: string;
}

const config = (await (await fetch("./config.json")).json()) as PageConfig;
const app = initializeApp({ projectId: config.projectId, apiKey: config.apiKey, authDomain: "localhost" });
const auth = getAuth(app);
const functions = getFunctions(app, config.region);
if (config.emulators) {
  connectAuthEmulator(auth, config.emulators.auth, { disableWarnings: true });
  connectFunctionsEmulator(functions, config.emulators.functions.host, config.emulators.functions.port);
}

// The names the functions are exported under (functions/src/index.ts).
const sendSignInCode = httpsCallable<{ phone: string }, SendResult>(functions, "sendSignInCode");
const signInWithSms = httpsCallable<{ phone: string; code: string }, { token: string; isNewUser: boolean }>(
  functions,
  "signInWithSms",
);
const sendSMSVerification = httpsCallable<{ phone: string }, SendResult>(functions, "sendSMSVerification");
const verifySMSCode = httpsCallable<{ code: string }, { status: "approved"; phone: string }>(
  functions,
  "verifySMSCode",
);

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const show = (id: string, visible: boolean) => {
  $(id).hidden = !visible;
};

/** The person's words for a refusal: the stable reason in `details`, the numbers next to it. */
function describe(error: unknown): string {
  const { code, details, message } = error as FunctionsError & {
    details?: { reason?: string; retryAfter?: number; attemptsLeft?: number };
  };
  switch (details?.reason) {
    case "rate_limited":
      return `Too many codes. Try again in ${details.retryAfter} seconds.`;
    case "invalid_code":
      return `That code is not right: ${details.attemptsLeft} attempt${details.attemptsLeft === 1 ? "" : "s"} left.`;
    case "too_many_attempts":
      return "Too many wrong codes. Send a new code.";
    case "expired":
      return "This code has expired. Send a new code.";
    case "not_found":
      return "No code is pending. Send a new code.";
    case "invalid_phone":
      return "That phone number is not valid.";
    case "phone_in_use":
      return "This number belongs to another account.";
    case "unauthorized":
      return "Sign in first.";
    default:
      return code === "functions/unavailable" ? "The service is unavailable. Try again later." : message;
  }
}

async function run(errorId: string, work: () => Promise<void>) {
  $(errorId).textContent = "";
  try {
    await work();
  } catch (error) {
    $(errorId).textContent = describe(error);
  }
}

const value = (form: HTMLFormElement, name: string) => (new FormData(form).get(name) as string).trim();

// Passwordless: send → verify → custom token → signInWithCustomToken.
let signInPhone = "";
$<HTMLFormElement>("sign-in-send").addEventListener("submit", (event) => {
  event.preventDefault();
  void run("sign-in-error", async () => {
    const { data } = await sendSignInCode({ phone: value(event.target as HTMLFormElement, "phone") });
    signInPhone = data.phone;
    $("sign-in-status").textContent = `Code sent to ${data.maskedPhone}.`;
    show("sign-in-verify", true);
    $<HTMLInputElement>("sign-in-code").focus();
  });
});
$<HTMLFormElement>("sign-in-verify").addEventListener("submit", (event) => {
  event.preventDefault();
  void run("sign-in-error", async () => {
    const { data } = await signInWithSms({
      phone: signInPhone,
      code: value(event.target as HTMLFormElement, "code"),
    });
    await signInWithCustomToken(auth, data.token);
    $("sign-in-status").textContent = data.isNewUser ? "Welcome! Your account was created." : "Welcome back!";
    show("sign-in-verify", false);
  });
});

// Phone verification for the signed-in user (a guest here): the number lands on the account.
$("guest").addEventListener("click", () => {
  void run("verify-error", async () => {
    await signInAnonymously(auth);
  });
});
$<HTMLFormElement>("verify-send").addEventListener("submit", (event) => {
  event.preventDefault();
  void run("verify-error", async () => {
    const { data } = await sendSMSVerification({ phone: value(event.target as HTMLFormElement, "phone") });
    $("verify-status").textContent = `Code sent to ${data.maskedPhone}.`;
    show("verify-check", true);
    $<HTMLInputElement>("verify-code").focus();
  });
});
$<HTMLFormElement>("verify-check").addEventListener("submit", (event) => {
  event.preventDefault();
  void run("verify-error", async () => {
    const { data } = await verifySMSCode({ code: value(event.target as HTMLFormElement, "code") });
    // The server changed the account: fetch it again (and a fresh ID token with phone_number).
    await auth.currentUser?.reload();
    await auth.currentUser?.getIdToken(true);
    $("verify-status").textContent = `Verified ${data.phone}.`;
    show("verify-check", false);
    render(auth.currentUser);
  });
});

$("sign-out").addEventListener("click", () => void signOut(auth));

function render(user: User | null) {
  $("who").textContent = user
    ? `Signed in as ${user.uid}${user.phoneNumber ? ` with ${user.phoneNumber}` : user.isAnonymous ? " (guest)" : ""}.`
    : "Not signed in.";
  show("sign-out", Boolean(user));
  show("guest", !user);
  show("verify-send", Boolean(user));
}
onAuthStateChanged(auth, render);
