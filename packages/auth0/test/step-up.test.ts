/**
 * The SMS step-up end to end: the built post-login bundle (`require`d, run by the harness's login
 * transaction with real HS256 `encodeToken` / `validateToken` and the `state` check), the verify
 * page's handler served over real HTTP on loopback, codes through the real otpkit SMS sandbox.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createOtp, type Otp, unosend } from "@otpkit/otp-core";
import { nodeListener, type Sandbox, startSandbox } from "otpkit";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createStepUpHandler, stateHeader } from "../src/index.js";
import { denyReasons } from "../src/step-up.js";
import {
  Clock,
  LoginTransaction,
  loadAction,
  type PostLoginAction,
  postLoginEvent,
  signHs256,
} from "./harness.js";

const stepUpSecret = "step-up-shared-secret-of-at-least-32-bytes";
let sandbox: Sandbox;
let server: Server;
let base: string;
let otp: Otp;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
  otp = createOtp({
    secret: "verify-page-otp-secret-at-least-32-bytes-long",
    sender: unosend({ apiKey: "sandbox", apiUrl: sandbox.apiUrl }),
    production: false,
  });
  const handler = createStepUpHandler({ otp, secret: () => stepUpSecret });
  server = createServer(
    nodeListener(async (request) => {
      const path = new URL(request.url).pathname;
      if (path === "/api/step-up/send") return handler.send(request);
      if (path === "/api/step-up/check") return handler.check(request);
      return new Response("not found", { status: 404 });
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await sandbox?.close();
});

beforeEach(() => sandbox.clear());

let exchange = 300;
let host = 1;
/** A user of their own (number and login IP), so no budget of one test reaches another. */
function freshUser(overrides: Record<string, unknown> = {}) {
  return {
    user: {
      user_id: `auth0|user${exchange}`,
      phone_number: `+1415${exchange++}0123`,
      app_metadata: { sms_2fa_enabled: true },
      ...overrides,
    },
    ip: `198.51.100.${host++}`,
  };
}

const verifyPage = () => `${base}/verify`;
const actionSecrets = () => ({ STEP_UP_SECRET: stepUpSecret, STEP_UP_URL: verifyPage() });

async function login(
  input = freshUser(),
  secrets: Record<string, string> = actionSecrets(),
  clock = new Clock(),
) {
  const action = loadAction<PostLoginAction>("post-login-step-up");
  const transaction = new LoginTransaction(action, postLoginEvent({ ...input, secrets }), clock);
  const result = await transaction.login();
  return { transaction, result, input, clock };
}

async function redirected(input = freshUser()) {
  const started = await login(input);
  const location = started.result.redirect?.location;
  if (!location) throw new Error(`no redirect: ${started.result.denied}`);
  return {
    ...started,
    token: location.searchParams.get("session_token")!,
    state: location.searchParams.get("state")!,
  };
}

function post(path: "send" | "check", headers: Record<string, string>, body: unknown = {}) {
  return fetch(`${base}/api/step-up/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
}
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function verified(input = freshUser()) {
  const flow = await redirected(input);
  expect((await post("send", bearer(flow.token))).status).toBe(200);
  const code = sandbox.lastCode(input.user.phone_number)!;
  const reply = await post("check", { ...bearer(flow.token), [stateHeader]: flow.state }, { code });
  expect(reply.status).toBe(200);
  const json = (await reply.json()) as {
    continue_url: string;
    continue_fields: { state: string; session_token: string };
  };
  return { ...flow, code, reply: json };
}

describe("SMS step-up: post-login bundle + verify page over HTTP", () => {
  it("right code → back to Auth0's /continue, the method recorded, access granted", async () => {
    const { transaction, result, state, token, reply, input } = await verified();
    const location = result.redirect!.location;
    expect(`${location.origin}${location.pathname}`).toBe(verifyPage());
    expect(token.split(".")).toHaveLength(3);
    expect(sandbox.messages).toHaveLength(1);
    expect(sandbox.messages[0]!.to).toBe(input.user.phone_number);
    expect(reply.continue_url).toBe("https://example.us.auth0.com/continue");
    expect(reply.continue_fields.state).toBe(state);

    const resumed = await transaction.resume({ body: reply.continue_fields });
    expect(resumed.denied).toBeUndefined();
    expect(resumed.error).toBeUndefined();
    expect(resumed.recordedMethods).toEqual([verifyPage()]);
    expect(transaction.methods!.methods.map((method) => method.name)).toContain(verifyPage());
  });

  it("takes the Auth0 user and the number from the verified session token, never from the body", async () => {
    const victim = freshUser();
    const attacker = freshUser();
    const flow = await redirected(victim);
    // A body naming someone else: their id, their number. The code still goes to the token's user.
    const sent = await post("send", bearer(flow.token), {
      phone: attacker.user.phone_number,
      user_id: attacker.user.user_id,
      subject: attacker.user.user_id,
      sub: attacker.user.user_id,
    });
    expect(sent.status).toBe(200);
    expect(sandbox.messages.map((message) => message.to)).toEqual([victim.user.phone_number]);
    const code = sandbox.lastCode(victim.user.phone_number)!;

    // The code is bound to the victim's user id: another user's session cannot spend it.
    const other = await redirected(attacker);
    const stolen = await post(
      "check",
      { ...bearer(other.token), [stateHeader]: other.state },
      {
        code,
        user_id: victim.user.user_id,
        subject: victim.user.user_id,
      },
    );
    expect(stolen.status).toBe(404);
    expect(((await stolen.json()) as { error: { code: string } }).error.code).toBe("not_found");

    // Without a session token a body's user id gets nothing at all.
    const anonymous = await post(
      "send",
      {},
      { phone: victim.user.phone_number, user_id: victim.user.user_id },
    );
    expect(anonymous.status).toBe(401);
    expect(sandbox.messages).toHaveLength(1);

    const own = await post("check", { ...bearer(flow.token), [stateHeader]: flow.state }, { code });
    expect(own.status).toBe(200);
  });

  it("refuses forged, expired and unsigned session tokens at the page (401), sending nothing", async () => {
    const { token, input } = await redirected();
    const [head, body] = token.split(".");
    const claims = JSON.parse(Buffer.from(body!, "base64url").toString());
    const now = Math.floor(Date.now() / 1000);
    const candidates = [
      signHs256(claims, "another-secret-that-is-also-32-bytes-long"),
      signHs256({ ...claims, iat: now - 1200, exp: now - 300 }, stepUpSecret),
      `${Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url")}.${body}.`,
      `${head}.${Buffer.from(JSON.stringify({ ...claims, sub: "auth0|someone-else" })).toString("base64url")}.${token.split(".")[2]}`,
      signHs256({ ...claims, otpkit: "step_up_verified" }, stepUpSecret), // the page's own answer is not a session
    ];
    for (const candidate of candidates) {
      const reply = await post("send", bearer(candidate));
      expect(reply.status, candidate.slice(0, 24)).toBe(401);
    }
    expect(sandbox.messages.filter((message) => message.to === input.user.phone_number)).toHaveLength(0);
  });

  it("wrong code → no token for /continue; /continue without one → access denied", async () => {
    const flow = await redirected();
    expect((await post("send", bearer(flow.token))).status).toBe(200);
    const right = sandbox.lastCode(flow.input.user.phone_number)!;
    const wrong = right === "000000" ? "111111" : "000000";
    const reply = await post("check", { ...bearer(flow.token), [stateHeader]: flow.state }, { code: wrong });
    expect(reply.status).toBe(422);
    const json = (await reply.json()) as Record<string, unknown>;
    expect(json).not.toHaveProperty("continue_fields");
    expect(JSON.stringify(json)).not.toContain(right);

    const resumed = await flow.transaction.resume({ body: { state: flow.state } });
    expect(resumed.denied).toBe(denyReasons.failed);
    expect(resumed.recordedMethods).toEqual([]);
  });

  it("expired /continue token → denied", async () => {
    const { transaction, reply, clock } = await verified();
    clock.advance(121_000); // the page's answer lives 120 s
    const resumed = await transaction.resume({ body: reply.continue_fields });
    expect(resumed.denied).toBe(denyReasons.failed);
    expect(resumed.recordedMethods).toEqual([]);
  });

  it("forged /continue token (another key, or another user) → denied", async () => {
    const { transaction, reply, state, input } = await verified();
    const claims = JSON.parse(
      Buffer.from(reply.continue_fields.session_token.split(".")[1]!, "base64url").toString(),
    );
    const forgedKey = signHs256(claims, "not-the-shared-secret-but-32-bytes-long!");
    const denied = await transaction.resume({ body: { state, session_token: forgedKey } });
    expect(denied.denied).toBe(denyReasons.failed);

    const otherUser = signHs256({ ...claims, sub: `${input.user.user_id}-other` }, stepUpSecret);
    expect((await transaction.resume({ body: { state, session_token: otherUser } })).denied).toBe(
      denyReasons.failed,
    );

    // Auth0's own session token (same key, no state claim) is not an answer either.
    const { token } = await redirected();
    const replay = signHs256(
      { ...JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()), state },
      stepUpSecret,
    );
    expect((await transaction.resume({ body: { state, session_token: replay } })).denied).toBe(
      denyReasons.failed,
    );

    // The real answer still works: nothing above changed the transaction.
    expect((await transaction.resume({ body: reply.continue_fields })).denied).toBeUndefined();
  });

  it("a token made for another login's state → denied (validateToken's state check)", async () => {
    const input = freshUser();
    const first = await verified(input);
    const second = await redirected({ ...input, ip: first.input.ip });
    const resumed = await second.transaction.resume({
      body: { state: second.state, session_token: first.reply.continue_fields.session_token },
    });
    expect(resumed.denied).toBe(denyReasons.failed);
    expect(resumed.recordedMethods).toEqual([]);
  });

  it("refuses a check without Auth0's state before touching the code", async () => {
    const flow = await redirected();
    expect((await post("send", bearer(flow.token))).status).toBe(200);
    const code = sandbox.lastCode(flow.input.user.phone_number)!;
    const missing = await post("check", bearer(flow.token), { code });
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { error: { field: string } }).error.field).toBe("state");
    const reply = await post("check", { ...bearer(flow.token), [stateHeader]: flow.state }, { code });
    expect(reply.status).toBe(200);
  });

  it("is the app's rule: not enabled → no redirect; enabled without a phone or without the secret → denied", async () => {
    const off = await login(freshUser({ app_metadata: { sms_2fa_enabled: false } }));
    expect(off.result.redirect).toBeUndefined();
    expect(off.result.denied).toBeUndefined();

    const noPhone = await login(freshUser({ phone_number: undefined }));
    expect(noPhone.result.denied).toBe(denyReasons.noPhone);

    const { STEP_UP_SECRET: _unset, ...withoutSecret } = actionSecrets();
    const misconfigured = await login(freshUser(), withoutSecret);
    expect(misconfigured.result.denied).toBe(denyReasons.misconfigured);
    const shortSecret = await login(freshUser(), { ...actionSecrets(), STEP_UP_SECRET: "short" });
    expect(shortSecret.result.denied).toBe(denyReasons.misconfigured);
  });

  it("asks again on the next login, unless STEP_UP_REMEMBER_SECONDS covers the recorded method", async () => {
    const { transaction, reply } = await verified();
    await transaction.resume({ body: reply.continue_fields });
    const action = loadAction<PostLoginAction>("post-login-step-up");
    const again = (secrets: Record<string, string>) =>
      new LoginTransaction(action, {
        ...transaction.event,
        secrets,
        authentication: transaction.methods,
      } as typeof transaction.event).login();
    expect((await again(actionSecrets())).redirect).toBeDefined();
    expect((await again({ ...actionSecrets(), STEP_UP_REMEMBER_SECONDS: "3600" })).redirect).toBeUndefined();
  });
});
