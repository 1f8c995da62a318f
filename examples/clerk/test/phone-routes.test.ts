/**
 * Mode A through the real stack: `next start` serving the example, the real `@clerk/nextjs`
 * (`clerkMiddleware({ jwtKey })` verifying RS256 session tokens signed with a local key, `auth()` in
 * the route handlers), and `clerkClient()` calling the Backend API double on loopback.
 */
import { readFileSync } from "node:fs";
import { describe, expect, inject, it } from "vitest";
import { clerkApi, freshPhone, freshUserId, json, sandbox, sessionToken } from "./servers";

const app = inject("appUrl");

function call(method: "POST" | "PATCH", path: string, body: unknown, userId?: string, token?: string) {
  const auth = token ?? (userId ? sessionToken(userId) : undefined);
  return fetch(`${app}${path}`, {
    method,
    headers: { "content-type": "application/json", ...(auth ? { authorization: `Bearer ${auth}` } : {}) },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
}
const phoneRoute = (method: "POST" | "PATCH", body: unknown, userId?: string) =>
  call(method, "/api/phone", body, userId);
const createPhoneCalls = async (phone: string) =>
  (await clerkApi.calls()).filter(
    (entry) =>
      entry.method === "POST" && entry.path === "/v1/phone_numbers" && entry.body?.phone_number === phone,
  );

describe("session tokens through clerkMiddleware({ jwtKey })", () => {
  it("accepts a token signed with the instance key and refuses one signed with another key", async () => {
    const userId = freshUserId();
    await clerkApi.addUser(userId);
    const phone = freshPhone();
    expect((await phoneRoute("POST", { phone }, userId)).status).toBe(200);
    const forged = await call(
      "POST",
      "/api/phone",
      { phone: freshPhone() },
      undefined,
      sessionToken(userId, inject("strangerKey")),
    );
    expect(forged.status).toBe(401);
    expect(forged.headers.get("x-clerk-auth-reason")).toMatch(/token-invalid/);
    // The middleware verified it without asking the Backend API for keys.
    expect((await clerkApi.calls()).some((entry) => entry.path === "/v1/jwks")).toBe(false);
  });
});

describe("POST/PATCH /api/phone", () => {
  it("answers 401 without a session and texts nothing", async () => {
    const phone = freshPhone();
    const sent = await phoneRoute("POST", { phone });
    expect(sent.status).toBe(401);
    expect(await json(sent)).toMatchObject({ error: { code: "unauthorized" } });
    expect((await phoneRoute("PATCH", { code: "123456" })).status).toBe(401);
    expect(await sandbox.messages(phone)).toEqual([]);
  });

  it("attaches the verified number to the signed-in user, whatever userId the body names", async () => {
    const alice = freshUserId();
    const bob = freshUserId();
    await clerkApi.addUser(alice);
    await clerkApi.addUser(bob);
    const phone = freshPhone();
    const sent = await phoneRoute("POST", { phone, userId: bob, user_id: bob }, alice);
    expect(sent.status).toBe(200);
    const code = await sandbox.lastCode(phone);
    const checked = await phoneRoute("PATCH", { code, userId: bob }, alice);
    expect(checked.status).toBe(200);
    expect(await json(checked)).toMatchObject({ status: "approved", phone });
    expect((await clerkApi.user(alice)).phones).toEqual([
      expect.objectContaining({ phone_number: phone, verified: true }),
    ]);
    expect((await clerkApi.user(bob)).phones).toEqual([]);
    expect((await createPhoneCalls(phone))[0]!.body).toEqual({
      user_id: alice,
      phone_number: phone,
      verified: true,
    });
  });

  it("refuses user A's code for user B, and A can still use it", async () => {
    const alice = freshUserId();
    const bob = freshUserId();
    await clerkApi.addUser(alice);
    await clerkApi.addUser(bob);
    const phone = freshPhone();
    await phoneRoute("POST", { phone }, alice);
    const code = await sandbox.lastCode(phone);
    const asBob = await phoneRoute("PATCH", { code }, bob);
    expect(asBob.status).toBe(404);
    expect(await json(asBob)).toMatchObject({ error: { code: "not_found" } });
    expect((await clerkApi.user(bob)).phones).toEqual([]);
    expect((await phoneRoute("PATCH", { code }, alice)).status).toBe(200);
  });

  it("lets exactly one of 100 concurrent right-code PATCHes through, with one createPhoneNumber call", async () => {
    const userId = freshUserId();
    await clerkApi.addUser(userId);
    const phone = freshPhone();
    await phoneRoute("POST", { phone }, userId);
    const code = await sandbox.lastCode(phone);
    const token = sessionToken(userId);
    const answers = await Promise.all(
      Array.from({ length: 100 }, () => call("PATCH", "/api/phone", { code }, undefined, token)),
    );
    const statuses = answers.map((answer) => answer.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    expect(statuses.filter((status) => status === 404)).toHaveLength(99);
    expect(await createPhoneCalls(phone)).toHaveLength(1);
    expect((await clerkApi.user(userId)).phones).toHaveLength(1);
  });

  it("answers 409 phone_in_use for a number another account holds", async () => {
    const phone = freshPhone();
    const holder = freshUserId();
    const userId = freshUserId();
    await clerkApi.addUser(holder, [{ phone }]);
    await clerkApi.addUser(userId);
    await phoneRoute("POST", { phone }, userId);
    const checked = await phoneRoute("PATCH", { code: await sandbox.lastCode(phone) }, userId);
    expect(checked.status).toBe(409);
    expect(await json(checked)).toEqual({
      error: { code: "phone_in_use", message: "This phone number is already used by another account." },
    });
    expect((await clerkApi.user(userId)).phones).toEqual([]);
  });

  it("reports a Backend API outage after the code was consumed: 502 platform_error, logged, code spent", async () => {
    const userId = freshUserId();
    await clerkApi.addUser(userId);
    const phone = freshPhone();
    await phoneRoute("POST", { phone }, userId);
    const code = await sandbox.lastCode(phone);
    await clerkApi.setFault({ route: "POST /v1/phone_numbers", status: 503 });
    let checked: Response;
    try {
      checked = await phoneRoute("PATCH", { code }, userId);
    } finally {
      await clerkApi.setFault(undefined);
    }
    expect(checked.status).toBe(502);
    const reply = await json<{ error: { code: string; message: string } }>(checked);
    expect(reply.error.code).toBe("platform_error");
    expect(reply.error.message).toMatch(/Request a new code/);
    // Reported to the operator (core's handler logs every 5xx), never dropped.
    const log = readFileSync(inject("appLog"), "utf8");
    expect(log).toMatch(/platform_error/);
    expect(log).not.toContain(code);
    expect((await phoneRoute("PATCH", { code }, userId)).status).toBe(404);
    expect((await clerkApi.user(userId)).phones).toEqual([]);
  });
});

describe("POST/PATCH /api/sign-in/phone", () => {
  it("answers a 5-minute sign-in ticket for the account holding the verified number", async () => {
    const phone = freshPhone();
    const userId = freshUserId();
    await clerkApi.addUser(userId, [{ phone }]);
    const sent = await call("POST", "/api/sign-in/phone", { phone });
    expect(sent.status).toBe(200);
    const { id } = await json<{ id: string }>(sent);
    const code = await sandbox.lastCode(phone);
    // Without a session only the page that asked for the code (it holds the id) can check it.
    const byPhoneOnly = await call("PATCH", "/api/sign-in/phone", { phone, code });
    expect(byPhoneOnly.status).toBe(400);
    const checked = await call("PATCH", "/api/sign-in/phone", { phone, id, code });
    expect(checked.status).toBe(200);
    const reply = await json<{ ticket: string }>(checked);
    expect(reply.ticket).toMatch(/^tkt_/);
    const minted = (await clerkApi.calls()).filter((entry) => entry.path === "/v1/sign_in_tokens");
    expect(minted.at(-1)!.body).toEqual({ user_id: userId, expires_in_seconds: 300 });
  });
});

describe("GET /settings", () => {
  const page = (userId: string) =>
    fetch(`${app}/settings`, {
      headers: { accept: "text/html", authorization: `Bearer ${sessionToken(userId)}` },
      redirect: "manual",
      signal: AbortSignal.timeout(30_000),
    });

  it("shows the signed-in user's numbers from the Backend API and the phone form; a verified number appears", async () => {
    const userId = freshUserId();
    const existing = freshPhone();
    await clerkApi.addUser(userId, [{ phone: existing }]);
    const before = await page(userId);
    expect(before.status).toBe(200);
    // React separates adjacent text nodes with <!-- --> in server-rendered HTML.
    const html = (await before.text()).replaceAll("<!-- -->", "");
    expect(html).toContain(`${existing} (primary) · verified`);
    // @otpkit/react's OtpFlow, server-rendered: the phone step.
    expect(html).toMatch(/type="tel"[^>]*autoComplete="tel"|autoComplete="tel"[^>]*type="tel"/i);
    expect(html).toContain("Send code");

    const added = freshPhone();
    await phoneRoute("POST", { phone: added }, userId);
    expect((await phoneRoute("PATCH", { code: await sandbox.lastCode(added) }, userId)).status).toBe(200);
    expect((await (await page(userId)).text()).replaceAll("<!-- -->", "")).toContain(`${added} · verified`);
  });
});
