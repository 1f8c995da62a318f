/**
 * The per-action handlers (`handler.send` / `handler.check`) with server policy: a pinned purpose,
 * `identify` (the platform's user, never the body's) and `onVerified`.
 */
import { describe, expect, it, vi } from "vitest";
import { OtpError } from "./errors.js";
import { createOtpHandler, type OtpHandlerOptions } from "./http.js";
import { memoryStore } from "./memory-store.js";
import { createOtp, type Otp } from "./otp.js";
import { outbox } from "./senders.js";

const secret = "actions-test-secret-actions-test-secret";
const phone = "+14155551234";

function setup(options: OtpHandlerOptions = {}, otp?: Otp) {
  const sms = outbox();
  const instance =
    otp ?? createOtp({ secret, sender: sms, store: memoryStore(), limits: { resendCooldownSeconds: 0 } });
  const onError = vi.fn();
  const handler = createOtpHandler(instance, { onError, ...options });
  const post = async (
    action: "send" | "check",
    body: unknown,
    headers: Record<string, string> = {},
    url = "http://app.test/anywhere/at/all",
  ) => {
    const response = await handler[action](
      new Request(url, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify(body),
      }),
    );
    return { status: response.status, headers: response.headers, json: await response.json() };
  };
  return { sms, otp: instance, handler, post, onError };
}

/** `identify` as an app writes it: the user from a session header the platform verified. */
const fromSession: OtpHandlerOptions["identify"] = (request) => {
  const user = request.headers.get("x-session-user");
  return user ? { subject: user } : null;
};

describe("per-action handlers", () => {
  it("answer wherever they are mounted, without routing by path", async () => {
    const { post, sms } = setup();
    const sent = await post("send", { phone });
    expect(sent.status).toBe(200);
    const checked = await post("check", { id: sent.json.id, code: sms.lastCode(phone) });
    expect(checked.json).toMatchObject({ status: "approved", phone });
  });

  it("pin the purpose: the body's purpose is ignored on send and on check", async () => {
    const { post, sms, otp } = setup({ purpose: "signup", verifyBy: "phone" });
    await post("send", { phone, purpose: "password_reset" });
    expect(sms.last()!.body).toMatch(/^Welcome!/);
    const code = sms.lastCode(phone)!;
    // A check that names another purpose still checks the route's.
    expect((await post("check", { phone, purpose: "login", code })).json.status).toBe("approved");
    await otp.send({ phone, purpose: "login" });
    const loginCode = sms.lastCode(phone)!;
    // Not this route's purpose: by phone, "nothing pending" answers like a wrong code.
    expect((await post("check", { phone, code: loginCode })).json.error.code).toBe("invalid_code");
  });

  it("identify: no user → 401 and nothing sent; the body's userId is never read", async () => {
    const { post, sms } = setup({ identify: fromSession });
    const anonymous = await post("send", { phone, userId: "user_a", subject: "user_a" });
    expect(anonymous.status).toBe(401);
    expect(anonymous.json.error.code).toBe("unauthorized");
    expect(anonymous.headers.get("www-authenticate")).toBeNull();
    expect(sms.messages).toHaveLength(0);
    expect((await post("check", { code: "123456" })).status).toBe(401);
  });

  it("identify: the code is bound to the user; the check body carries only the code", async () => {
    const { post, sms } = setup({ identify: fromSession, purpose: "phone_verification" });
    const sent = await post("send", { phone }, { "x-session-user": "user_a" });
    expect(sent.status).toBe(200);
    const code = sms.lastCode(phone)!;
    // User B, even with the right code and A's id, is refused; A's code keeps its attempts.
    for (const body of [{ code }, { id: sent.json.id, code }, { code, userId: "user_a" }]) {
      const stolen = await post("check", body, { "x-session-user": "user_b" });
      expect(stolen.json.error.code).toBe("not_found");
    }
    const own = await post("check", { code }, { "x-session-user": "user_a" });
    expect(own.json).toMatchObject({ status: "approved", phone });
  });

  it("onVerified runs after approval with the result and the user, and may add to the reply", async () => {
    const onVerified = vi.fn(async () => ({ ticket: "sign-in-ticket", status: "overridden?" }));
    const { post, sms } = setup({ identify: fromSession, onVerified });
    await post("send", { phone }, { "x-session-user": "user_a" });
    const checked = await post("check", { code: sms.lastCode(phone) }, { "x-session-user": "user_a" });
    expect(checked.json).toMatchObject({ status: "approved", phone, ticket: "sign-in-ticket" });
    expect(onVerified).toHaveBeenCalledWith(
      expect.objectContaining({ phone, status: "approved" }),
      expect.any(Request),
      { subject: "user_a" },
    );
  });

  it("onVerified failing is the request's failure, after the code was consumed", async () => {
    const { post, sms, onError } = setup({
      onVerified: async () => {
        throw new Error("Backend API: 503 upstream password=hunter2");
      },
    });
    const sent = await post("send", { phone });
    const code = sms.lastCode(phone);
    const failed = await post("check", { id: sent.json.id, code });
    expect(failed.status).toBe(500);
    expect(failed.json.error.code).toBe("internal_error");
    expect(JSON.stringify(failed.json)).not.toContain("hunter2");
    expect(onError).toHaveBeenCalled();
    expect((await post("check", { id: sent.json.id, code })).json.error.code).toBe("not_found");
    const { post: post2, sms: sms2 } = setup({
      onVerified: () => {
        throw new OtpError("phone_in_use", "This number belongs to another account.");
      },
    });
    const again = await post2("send", { phone });
    const conflict = await post2("check", { id: again.json.id, code: sms2.lastCode(phone) });
    expect(conflict.status).toBe(409);
    expect(conflict.json.error.code).toBe("phone_in_use");
  });

  it("takes the instance lazily: a failing factory answers 500 and is retried on the next request", async () => {
    const sms = outbox();
    let calls = 0;
    const onError = vi.fn();
    const handler = createOtpHandler(
      () => {
        if (++calls === 1) throw new OtpError("invalid_config", "OTP_SECRET is not set.");
        return createOtp({ secret, sender: sms });
      },
      { onError },
    );
    const request = () =>
      new Request("http://app.test/x", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ phone }),
      });
    const first = await handler.send(request());
    expect(first.status).toBe(500);
    // The operator's message (a missing secret) is for the log, never for the client.
    expect((await first.json()).error).toEqual({ code: "internal_error", message: "Something went wrong." });
    expect(onError).toHaveBeenCalledOnce();
    expect((await handler.send(request())).status).toBe(200);
  });

  it("getClientIp supplies the IP for per-IP limits; trustProxy wins over it", async () => {
    const otp = createOtp({
      secret,
      sender: outbox(),
      limits: { perIp: [{ limit: 1, windowSeconds: 600 }] },
    });
    const { post } = setup({ getClientIp: (request) => request.headers.get("x-real-ip") }, otp);
    expect((await post("send", { phone: "+14155550101" }, { "x-real-ip": "203.0.113.9" })).status).toBe(200);
    expect((await post("send", { phone: "+14155550102" }, { "x-real-ip": "203.0.113.9" })).status).toBe(429);
    expect((await post("send", { phone: "+14155550103" }, { "x-real-ip": "203.0.113.10" })).status).toBe(200);
  });

  it("identify's tenant separates pending codes", async () => {
    const { post, sms } = setup({
      identify: (request) => ({ tenant: request.headers.get("x-org") ?? undefined }),
    });
    const sent = await post("send", { phone }, { "x-org": "acme" });
    const code = sms.lastCode(phone);
    expect((await post("check", { id: sent.json.id, code }, { "x-org": "globex" })).json.error.code).toBe(
      "not_found",
    );
    expect((await post("check", { id: sent.json.id, code }, { "x-org": "acme" })).json.status).toBe(
      "approved",
    );
  });
});
