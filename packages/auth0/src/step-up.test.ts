import { describe, expect, it } from "vitest";
import { Clock, LoginTransaction, postLoginEvent, signHs256 } from "../test/harness.js";
import { createStepUp, denyReasons, type StepUpOptions } from "./step-up.js";

const secret = "step-up-unit-test-secret-of-32-bytes-min";
const page = "https://app.example.com/verify?from=auth0";

const enabledUser = { app_metadata: { sms_2fa_enabled: true } };

function transaction(options: Partial<StepUpOptions> = {}, input: Parameters<typeof postLoginEvent>[0] = {}) {
  const clock = new Clock();
  const action = createStepUp({ secret, url: page, clock: clock.read, ...options });
  return { tx: new LoginTransaction(action, postLoginEvent({ user: enabledUser, ...input }), clock), clock };
}

const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString());

describe("createStepUp", () => {
  it("redirects with an Auth0-signed session token carrying the phone and the /continue URL", async () => {
    const { tx } = transaction();
    const { redirect } = await tx.login();
    expect(redirect!.location.origin + redirect!.location.pathname).toBe("https://app.example.com/verify");
    expect(redirect!.location.searchParams.get("from")).toBe("auth0");
    const claims = claimsOf(redirect!.location.searchParams.get("session_token")!);
    expect(claims).toMatchObject({
      otpkit: "step_up",
      phone: "+14155550123",
      continue_uri: "https://example.us.auth0.com/continue",
      sub: tx.event.user.user_id,
      ip: "203.0.113.7",
    });
    expect(claims.exp - claims.iat).toBe(600);
  });

  it("follows the app's rule, phone and URLs when given", async () => {
    const { tx } = transaction(
      {
        enabled: (event) => event.user.app_metadata.role === "admin",
        phone: (event) => event.user.user_metadata.mfa_phone as string,
        continueUrl: "https://login.example.com/continue",
        methodUrl: "https://app.example.com/methods/sms",
        tokenSeconds: 120,
      },
      { user: { app_metadata: { role: "admin" }, user_metadata: { mfa_phone: "+14155550188" } } },
    );
    const { redirect } = await tx.login();
    const claims = claimsOf(redirect!.location.searchParams.get("session_token")!);
    expect(claims).toMatchObject({
      phone: "+14155550188",
      continue_uri: "https://login.example.com/continue",
    });
    expect(claims.exp - claims.iat).toBe(120);
    const answer = signHs256(
      { sub: tx.event.user.user_id, state: redirect!.state, otpkit: "step_up_verified", exp: claims.exp },
      secret,
    );
    const resumed = await tx.resume({ body: { state: redirect!.state, session_token: answer } });
    expect(resumed.recordedMethods).toEqual(["https://app.example.com/methods/sms"]);

    const { tx: plain } = transaction({ enabled: (event) => event.user.app_metadata.role === "admin" });
    expect(await plain.login()).toEqual({ calls: [] });
  });

  it("denies instead of letting anyone through when the page URL is not https (or local http)", async () => {
    for (const url of ["http://app.example.com/verify", "javascript:alert(1)", undefined]) {
      const { tx } = transaction({ url });
      expect((await tx.login()).denied, String(url)).toBe(denyReasons.misconfigured);
    }
    const { tx } = transaction({ url: "http://127.0.0.1:3000/verify" });
    expect((await tx.login()).redirect).toBeDefined();
  });

  it("sends /continue to plain http only for a login host on this machine (a local stand-in)", async () => {
    const local = transaction();
    local.tx.event.request.hostname = "127.0.0.1:4000";
    const { redirect } = await local.tx.login();
    expect(claimsOf(redirect!.location.searchParams.get("session_token")!).continue_uri).toBe(
      "http://127.0.0.1:4000/continue",
    );
    const remote = transaction();
    remote.tx.event.request.hostname = "login.example.com";
    const claims = claimsOf((await remote.tx.login()).redirect!.location.searchParams.get("session_token")!);
    expect(claims.continue_uri).toBe("https://login.example.com/continue");
  });

  it("accepts the answer from the query too, and only with the right use, user, state and expiry", async () => {
    const { tx, clock } = transaction();
    const { redirect } = await tx.login();
    const state = redirect!.state;
    const exp = Math.floor(clock.now / 1000) + 60;
    const answer = (claims: Record<string, unknown>, key = secret) =>
      signHs256({ sub: tx.event.user.user_id, state, otpkit: "step_up_verified", exp, ...claims }, key);
    const deniedWith = async (token: string) =>
      (await tx.resume({ body: { state, session_token: token } })).denied;
    expect(await deniedWith(answer({ otpkit: "step_up" }))).toBe(denyReasons.failed);
    expect(await deniedWith(answer({ otpkit: undefined }))).toBe(denyReasons.failed);
    expect(await deniedWith(answer({ sub: "auth0|mallory" }))).toBe(denyReasons.failed);
    expect(await deniedWith(answer({ state: "another-state" }))).toBe(denyReasons.failed);
    expect(await deniedWith(answer({ exp: exp - 120 }))).toBe(denyReasons.failed);
    expect(await deniedWith(answer({}, "a-different-secret-of-at-least-32-bytes"))).toBe(denyReasons.failed);
    expect(await deniedWith("not-a-jwt")).toBe(denyReasons.failed);
    const fromQuery = await tx.resume({ query: { state, session_token: answer({}) } });
    expect(fromQuery.denied).toBeUndefined();
    expect(fromQuery.recordedMethods).toEqual(["https://app.example.com/verify"]);
  });

  it("honours a recorded step-up only within rememberSeconds", async () => {
    const { tx, clock } = transaction({ rememberSeconds: 600 });
    const { redirect } = await tx.login();
    const answer = signHs256(
      {
        sub: tx.event.user.user_id,
        state: redirect!.state,
        otpkit: "step_up_verified",
        exp: Math.floor(clock.now / 1000) + 60,
      },
      secret,
    );
    await tx.resume({ body: { state: redirect!.state, session_token: answer } });
    expect((await tx.login()).redirect).toBeUndefined();
    clock.advance(601_000);
    expect((await tx.login()).redirect).toBeDefined();
  });

  it("refuses a token lifetime outside 60–3600 s at startup", () => {
    expect(() => createStepUp({ secret, url: page, tokenSeconds: 5 })).toThrow(RangeError);
  });
});
