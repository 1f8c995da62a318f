/**
 * Talking to the shared stack the way clients do: callables over HTTP (the callable protocol:
 * `POST {"data": …}`, `Authorization: Bearer <ID token>`), ID tokens from the Auth emulator's REST
 * API, codes from the SMS sandbox, and the Admin SDK against the emulators for checks.
 */
import { type App, deleteApp, initializeApp } from "firebase-admin/app";
import { getAuth } from "firebase-admin/auth";
import { Firestore } from "firebase-admin/firestore";
import { inject } from "vitest";

export const stack = inject("stack");
const key = "demo-api-key";

/** A number with its own range (`+1 415 2nn 0123`): one test's sends never meet another's per-range budget. */
export const phone = (n: number) => `+1415${200 + n}0123`;

export interface CallableAnswer {
  status: number;
  result?: any;
  error?: { status: string; message: string; details?: any };
}

/** One callable over HTTP, as the Firebase SDKs send it. */
export async function call(name: string, data: unknown, idToken?: string): Promise<CallableAnswer> {
  const response = await fetch(`${stack.functionsUrl}/${name}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(idToken ? { authorization: `Bearer ${idToken}` } : {}),
    },
    body: JSON.stringify({ data }),
    signal: AbortSignal.timeout(30_000),
  });
  const body = (await response.json()) as { result?: unknown; error?: CallableAnswer["error"] };
  return { status: response.status, ...body };
}

async function identityToolkit(path: string, body: object) {
  const response = await fetch(`${stack.authUrl}/identitytoolkit.googleapis.com/v1/${path}?key=${key}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const json = (await response.json()) as Record<string, any>;
  if (!response.ok) throw new Error(`${path}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

/** A new user signed in with email and password: its uid and a fresh ID token. */
export async function newUser() {
  const email = `user-${crypto.randomUUID().slice(0, 8)}@example.test`;
  const json = await identityToolkit("accounts:signUp", {
    email,
    password: "password-123",
    returnSecureToken: true,
  });
  return {
    uid: json.localId as string,
    idToken: json.idToken as string,
    refreshToken: json.refreshToken as string,
  };
}

/** What a client's `signInWithCustomToken` does: the custom token → an ID token. */
export async function signInWithCustomToken(token: string) {
  const json = await identityToolkit("accounts:signInWithCustomToken", { token, returnSecureToken: true });
  return json.idToken as string;
}

/** A fresh ID token (what `getIdToken(true)` does), carrying the account's current claims. */
export async function refreshIdToken(refreshToken: string) {
  const response = await fetch(`${stack.authUrl}/securetoken.googleapis.com/v1/token?key=${key}`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: refreshToken }),
  });
  return ((await response.json()) as { id_token: string }).id_token;
}

/** The code the sandbox received for `to` (newest), waiting briefly for it. */
export async function codeFor(to: string): Promise<string> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const response = await fetch(`${stack.sandboxUrl}/api/sandbox/last-code?to=${encodeURIComponent(to)}`);
    if (response.ok) return ((await response.json()) as { code: string }).code;
    if (Date.now() > deadline) throw new Error(`No SMS to ${to} within 10 s.`);
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}

/** How many SMS the sandbox holds for `to`. */
export async function messagesTo(to: string): Promise<number> {
  const response = await fetch(`${stack.sandboxUrl}/api/sandbox/messages`);
  const json = (await response.json()) as { messages?: Array<{ to: string }> } | Array<{ to: string }>;
  const messages = Array.isArray(json) ? json : (json.messages ?? []);
  return messages.filter((message) => message.to === to).length;
}

let app: App | undefined;
let firestore: Firestore | undefined;

/** The Admin SDK on the Auth emulator (FIREBASE_AUTH_EMULATOR_HOST) and a client of the Firestore emulator. */
export function admin() {
  process.env.FIREBASE_AUTH_EMULATOR_HOST = stack.authUrl.replace("http://", "");
  app ??= initializeApp({ projectId: stack.projectId }, `test-${crypto.randomUUID()}`);
  firestore ??= new Firestore({ projectId: stack.projectId, host: stack.firestoreHost, ssl: false });
  return { auth: getAuth(app), firestore };
}

export async function closeAdmin() {
  await firestore?.terminate();
  if (app) await deleteApp(app);
  firestore = undefined;
  app = undefined;
}

/** The claims of a JWT (the emulator's tokens are unsigned; the Admin SDK verifies them below). */
export const claimsOf = (jwt: string) =>
  JSON.parse(Buffer.from(jwt.split(".")[1]!, "base64url").toString()) as Record<string, unknown>;
