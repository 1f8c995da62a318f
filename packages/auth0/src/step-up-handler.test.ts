import { createOtp, type OtpEvent, outbox } from "@otpkit/otp-core";
import { describe, expect, it, vi } from "vitest";
import { signHs256 } from "../test/harness.js";
import { createStepUpHandler, type StepUpHandlerOptions, stateHeader } from "./step-up-handler.js";

const secret = "handler-unit-test-shared-secret-32-bytes";
const now = () => Math.floor(Date.now() / 1000);

/** A session token as Auth0's `encodeToken` makes it for `createStepUp`. */
const sessionToken = (claims: Record<string, unknown> = {}) =>
  signHs256(
    {
      otpkit: "step_up",
      phone: "+14155550123",
      continue_uri: "https://login.example.com/continue",
      sub: "auth0|alice",
      iss: "example.us.auth0.com",
      iat: now(),
      exp: now() + 600,
      ip: "203.0.113.7",
      ...claims,
    },
    secret,
  );

function setup(options: Partial<StepUpHandlerOptions> = {}, perIp = 10) {
  const sms = outbox();
  const events: OtpEvent[] = [];
  const otp = createOtp({
    secret: "handler-unit-test-otp-secret-of-32-bytes",
    sender: sms,
    production: false,
    limits: { perIp: [{ limit: perIp, windowSeconds: 600 }] },
    onEvent: (event) => events.push(event),
  });
  return { sms, events, handler: createStepUpHandler({ otp, secret, ...options }) };
}

const request = (token: string | undefined, body: unknown = {}, headers: Record<string, string> = {}) =>
  new Request("https://app.example.com/api/step-up", {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: JSON.stringify(body),
  });

describe("createStepUpHandler", () => {
  it("counts the per-IP budget on the IP Auth0 signed into the token, not on a header", async () => {
    const { handler, events } = setup({}, 1);
    const spoof = { "x-forwarded-for": "198.51.100.99" };
    expect((await handler.send(request(sessionToken(), {}, spoof))).status).toBe(200);
    expect(events).toContainEqual(expect.objectContaining({ type: "sent", ip: "203.0.113.7" }));
    const other = sessionToken({ sub: "auth0|bob", phone: "+14155550144" });
    const limited = await handler.send(request(other, {}, spoof));
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toMatch(/^\d+$/);
  });

  it("texts the number your own lookup returns, and answers a failed lookup like core (500, nothing said)", async () => {
    const lookup = vi.fn(async (claims: { sub: string }) =>
      claims.sub === "auth0|alice" ? "+14155550166" : undefined,
    );
    const { handler, sms } = setup({ phone: lookup });
    expect((await handler.send(request(sessionToken({ phone: undefined })))).status).toBe(200);
    expect(sms.messages.map((message) => message.to)).toEqual(["+14155550166"]);
    const unknown = await handler.send(request(sessionToken({ sub: "auth0|nobody" })));
    expect(unknown.status).toBe(400); // no number: core's invalid phone refusal

    const onError = vi.fn();
    const failing = setup({
      phone: () => Promise.reject(new Error("db down: secret=hunter2")),
      onError,
    }).handler;
    const reply = await failing.send(request(sessionToken()));
    expect(reply.status).toBe(500);
    const text = await reply.text();
    expect(JSON.parse(text)).toEqual({ error: { code: "internal_error", message: "Something went wrong." } });
    expect(text).not.toContain("hunter2");
    expect(onError).toHaveBeenCalledOnce();
  });

  it("checks the session token's issuer when told to", async () => {
    const { handler, sms } = setup({ issuer: "example.us.auth0.com" });
    expect((await handler.send(request(sessionToken({ iss: "evil.auth0.com" })))).status).toBe(401);
    expect((await handler.send(request(sessionToken()))).status).toBe(200);
    expect(sms.messages).toHaveLength(1);
  });

  it("answers the operator's mistakes with a bare 500 and spends no code", async () => {
    const onError = vi.fn();
    const missing = setup({ secret: () => undefined, onError }).handler;
    const noSecret = await missing.send(request(sessionToken()));
    expect(noSecret.status).toBe(500);
    expect(await noSecret.json()).toEqual({
      error: { code: "internal_error", message: "Something went wrong." },
    });

    const { handler, sms } = setup({ onError });
    const insecure = sessionToken({ continue_uri: "http://login.example.com/continue", iss: undefined });
    expect((await handler.send(request(insecure))).status).toBe(200);
    const code = sms.lastCode("+14155550123")!;
    const refused = await handler.check(request(insecure, { code }, { [stateHeader]: "abc" }));
    expect(refused.status).toBe(500);
    // The code was not consumed: with a proper token it still verifies.
    const fixed = await handler.check(request(sessionToken(), { code }, { [stateHeader]: "abc" }));
    expect(fixed.status).toBe(200);
    const reply = (await fixed.json()) as Record<string, any>;
    expect(reply.continue_url).toBe("https://login.example.com/continue");
    expect(reply.continue_fields.state).toBe("abc");
    expect(reply).not.toHaveProperty("code");
  });

  it("falls back to the tenant host (iss) for /continue, and refuses non-POST like core", async () => {
    const { handler, sms } = setup();
    const token = sessionToken({ continue_uri: undefined });
    await handler.send(request(token));
    const code = sms.lastCode("+14155550123")!;
    const reply = await handler.check(request(token, { code }, { [stateHeader]: "s1" }));
    expect(((await reply.json()) as { continue_url: string }).continue_url).toBe(
      "https://example.us.auth0.com/continue",
    );
    const get = await handler.send(new Request("https://app.example.com/api/step-up", { method: "GET" }));
    expect(get.status).toBe(405);
  });
});
