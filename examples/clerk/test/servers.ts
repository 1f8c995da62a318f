/** Helpers shared by the global setup and the test files: ports, polling, the test session. */
import { createSign, randomBytes, randomInt } from "node:crypto";
import { createServer } from "node:net";
import { inject } from "vitest";

declare module "vitest" {
  export interface ProvidedContext {
    appUrl: string;
    /** The Backend API double (`/__fake/*` steers it). */
    clerkApiUrl: string;
    /** The otpkit SMS sandbox the app texts through. */
    sandboxUrl: string;
    /** PEM of the key that signs session tokens; its public half is the app's `CLERK_JWT_KEY`. */
    sessionKey: string;
    /** PEM of a key Clerk never heard of. */
    strangerKey: string;
    /** The app's `CLERK_WEBHOOK_SIGNING_SECRET`. */
    webhookSecret: string;
    /** Where `next start` writes its output. */
    appLog: string;
  }
}

/** A port that was free a moment ago (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Polls until `check` holds, failing after `timeoutMs` with `what` in the message. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}.`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const base64url = (value: string | Buffer) => Buffer.from(value).toString("base64url");

/**
 * A Clerk session token (RS256, the claims of a v2 session JWT) for `userId`, signed with `key`:
 * what the browser's `__session` would carry, sent as `Authorization: Bearer` like Clerk's
 * cross-origin requests do.
 */
export function sessionToken(userId: string, key = inject("sessionKey")): string {
  const now = Math.floor(Date.now() / 1000);
  const header = base64url(JSON.stringify({ alg: "RS256", typ: "JWT", kid: "ins_otpkit_test" }));
  const payload = base64url(
    JSON.stringify({
      sub: userId,
      sid: `sess_${randomBytes(8).toString("hex")}`,
      iat: now - 5,
      nbf: now - 5,
      exp: now + 120,
      iss: "https://fake-frontend.clerk.accounts.dev",
      azp: inject("appUrl"),
      v: 2,
      sts: "active",
    }),
  );
  const signature = createSign("RSA-SHA256").update(`${header}.${payload}`).sign(key).toString("base64url");
  return `${header}.${payload}.${signature}`;
}

/** A US number with its own range, so otpkit's per-range budget (20 an hour) never links two tests. */
export const freshPhone = () =>
  `+1415${randomInt(200, 1000)}${String(randomInt(0, 10_000)).padStart(4, "0")}`;

/** A unique Clerk-style user id. */
export const freshUserId = () => `user_${randomBytes(8).toString("hex")}`;

export async function json<T = Record<string, unknown>>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

/** The Backend API double, steered over HTTP from the test process. */
export const clerkApi = {
  async addUser(id: string, phones: { phone: string; verified?: boolean }[] = []) {
    await fetch(`${inject("clerkApiUrl")}/__fake/users`, {
      method: "POST",
      body: JSON.stringify({ id, phones }),
    });
  },
  async user(id: string) {
    const response = await fetch(`${inject("clerkApiUrl")}/__fake/users/${id}`);
    return json<{ id: string; phones: { id: string; phone_number: string; verified: boolean }[] }>(response);
  },
  async calls() {
    const response = await fetch(`${inject("clerkApiUrl")}/__fake/calls`);
    return (
      await json<{ calls: { method: string; path: string; body?: Record<string, unknown> }[] }>(response)
    ).calls;
  },
  async setFault(fault: { route: string; status?: number; reset?: boolean } | undefined) {
    await fetch(`${inject("clerkApiUrl")}/__fake/fault`, {
      method: "POST",
      body: JSON.stringify(fault ?? {}),
    });
  },
};

/** The SMS sandbox, over its test API. */
export const sandbox = {
  async messages(to: string) {
    const response = await fetch(`${inject("sandboxUrl")}/api/sandbox/messages?to=${encodeURIComponent(to)}`);
    return (await json<{ messages: { to: string; body: string; code: string | null }[] }>(response)).messages;
  },
  async lastCode(to: string) {
    const messages = await this.messages(to);
    const code = messages.find((message) => message.code)?.code;
    if (!code) throw new Error(`No code was texted to ${to}.`);
    return code;
  },
  async setFaults(faults: { status?: number } | undefined) {
    await fetch(`${inject("sandboxUrl")}/api/sandbox/faults`, {
      method: faults ? "POST" : "DELETE",
      headers: { "content-type": "application/json" },
      ...(faults ? { body: JSON.stringify(faults) } : {}),
    });
  },
};
