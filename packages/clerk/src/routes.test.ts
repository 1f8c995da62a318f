/**
 * Mode A route handlers with `auth()` of `@clerk/nextjs/server` mocked (the real middleware runs in
 * examples/clerk's tests) and the real `@clerk/backend` client talking to the Backend API contract
 * double on loopback.
 */

import { inspect } from "node:util";
import { createClerkClient } from "@clerk/backend";
import { auth } from "@clerk/nextjs/server";
import { createOtp, memoryStore, outbox } from "@otpkit/otp-core";
import { faultySender } from "@otpkit/otp-core/testing";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { type ClerkApiFake, startClerkApiFake } from "../test/clerk-api-fake";
import { createPhoneSignInRoutes, createPhoneVerificationRoutes } from "./index";

vi.mock("@clerk/nextjs/server", () => ({ auth: vi.fn(), clerkClient: vi.fn() }));

const secret = "clerk-adapter-test-secret-0123456789abcdef";
let fake: ClerkApiFake;
beforeAll(async () => {
  fake = await startClerkApiFake();
});
afterAll(() => fake.close());

function setup(overrides: { onError?: (error: unknown) => void; primary?: boolean } = {}) {
  const sms = outbox();
  const otp = createOtp({ secret, sender: sms, store: memoryStore(), production: false });
  const clerkClient = () => createClerkClient({ secretKey: "sk_test_x", apiUrl: fake.url });
  const errors: unknown[] = [];
  const routes = createPhoneVerificationRoutes({
    otp,
    clerkClient,
    onError: overrides.onError ?? ((error) => errors.push(error)),
    ...(overrides.primary ? { primary: true } : {}),
  });
  return { sms, otp, routes, errors, clerkClient };
}

const signedIn = (userId: string | null) =>
  vi.mocked(auth).mockResolvedValue({ userId } as Awaited<ReturnType<typeof auth>>);
const request = (method: "POST" | "PATCH", body: unknown) =>
  new Request("http://localhost/api/phone", {
    method,
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
const phoneCalls = () =>
  fake.calls.filter((call) => call.method === "POST" && call.path === "/v1/phone_numbers");

beforeEach(() => {
  fake.reset();
  fake.addUser("user_alice");
  fake.addUser("user_bob");
});

describe("createPhoneVerificationRoutes", () => {
  it("sends to the signed-in user and attaches the verified number through the Backend API", async () => {
    const { routes, sms } = setup();
    signedIn("user_alice");
    const sent = await routes.POST(request("POST", { phone: "+1 415 555 0101" }));
    expect(sent.status).toBe(200);
    expect(await sent.json()).toMatchObject({ phone: "+14155550101", status: "sent" });
    const checked = await routes.PATCH(request("PATCH", { code: sms.lastCode("+14155550101") }));
    expect(checked.status).toBe(200);
    const reply = (await checked.json()) as Record<string, unknown>;
    expect(reply).toMatchObject({ status: "approved", phone: "+14155550101" });
    const phone = fake.user("user_alice")!.phones[0]!;
    expect(phone).toMatchObject({ phone_number: "+14155550101", verified: true });
    expect(reply.phone_number_id).toBe(phone.id);
    expect(phoneCalls()).toHaveLength(1);
    expect(phoneCalls()[0]!.body).toEqual({
      user_id: "user_alice",
      phone_number: "+14155550101",
      verified: true,
    });
    expect(phoneCalls()[0]!.apiVersion).toBe("2026-05-12");
  });

  it("answers 401 without a session, sends nothing and checks nothing", async () => {
    const { routes, sms } = setup();
    signedIn(null);
    const sent = await routes.POST(request("POST", { phone: "+14155550102" }));
    expect(sent.status).toBe(401);
    expect(await sent.json()).toMatchObject({ error: { code: "unauthorized" } });
    const checked = await routes.PATCH(request("PATCH", { code: "123456" }));
    expect(checked.status).toBe(401);
    expect(sms.messages).toHaveLength(0);
    expect(fake.calls).toHaveLength(0);
  });

  it("ignores a userId in the body: the code belongs to the session's user", async () => {
    const { routes, sms } = setup();
    signedIn("user_alice");
    await routes.POST(request("POST", { phone: "+14155550103", userId: "user_bob", user_id: "user_bob" }));
    const code = sms.lastCode("+14155550103");
    signedIn("user_bob");
    const asBob = await routes.PATCH(request("PATCH", { code, userId: "user_bob" }));
    expect(asBob.status).toBe(404);
    signedIn("user_alice");
    const asAlice = await routes.PATCH(request("PATCH", { code, userId: "user_bob" }));
    expect(asAlice.status).toBe(200);
    expect(fake.user("user_alice")!.phones.map((p) => p.phone_number)).toEqual(["+14155550103"]);
    expect(fake.user("user_bob")!.phones).toEqual([]);
  });

  it("refuses user A's code for user B without spending A's attempts", async () => {
    const { routes, sms } = setup();
    signedIn("user_alice");
    await routes.POST(request("POST", { phone: "+14155550104" }));
    const code = sms.lastCode("+14155550104")!;
    signedIn("user_bob");
    for (let i = 0; i < 4; i++) {
      const response = await routes.PATCH(request("PATCH", { code }));
      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({ error: { code: "not_found" } });
    }
    expect(phoneCalls()).toHaveLength(0);
    signedIn("user_alice");
    expect((await routes.PATCH(request("PATCH", { code }))).status).toBe(200);
  });

  it("lets exactly one of 100 concurrent right-code checks through, with one createPhoneNumber call", async () => {
    const { routes, sms, errors } = setup();
    signedIn("user_alice");
    await routes.POST(request("POST", { phone: "+14155550105" }));
    const code = sms.lastCode("+14155550105");
    const answers = await Promise.all(
      Array.from({ length: 100 }, () => routes.PATCH(request("PATCH", { code }))),
    );
    const statuses = answers.map((answer) => answer.status);
    expect(errors).toEqual([]);
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    expect(statuses.filter((status) => status === 404)).toHaveLength(99);
    expect(phoneCalls()).toHaveLength(1);
  });

  it("answers 409 phone_in_use when another account holds the number", async () => {
    const { routes, sms, errors } = setup();
    fake.addUser("user_carol", [{ phone: "+14155550106" }]);
    signedIn("user_alice");
    await routes.POST(request("POST", { phone: "+14155550106" }));
    const response = await routes.PATCH(request("PATCH", { code: sms.lastCode("+14155550106") }));
    expect(response.status).toBe(409);
    expect(await response.json()).toEqual({
      error: { code: "phone_in_use", message: "This phone number is already used by another account." },
    });
    expect(fake.user("user_alice")!.phones).toEqual([]);
    expect(errors).toEqual([]);
  });

  it("accepts the user's own number again: an unverified one is marked verified (and primary when asked)", async () => {
    const { routes, sms } = setup({ primary: true });
    const alice = fake.addUser("user_alice", [
      { phone: "+14155550199" },
      { phone: "+14155550107", verified: false },
    ]);
    signedIn("user_alice");
    await routes.POST(request("POST", { phone: "+14155550107" }));
    const response = await routes.PATCH(request("PATCH", { code: sms.lastCode("+14155550107") }));
    expect(response.status).toBe(200);
    const own = alice.phones[1]!;
    expect(own.verified).toBe(true);
    expect(alice.primary_phone_number_id).toBe(own.id);
    expect(phoneCalls()[0]!.body).toMatchObject({ primary: true });
    expect(fake.calls.map((call) => `${call.method} ${call.path}`)).toEqual([
      "POST /v1/phone_numbers",
      "GET /v1/users/user_alice",
      `PATCH /v1/phone_numbers/${own.id}`,
    ]);
  });

  it("reports a Backend API failure after the code was consumed as 502 platform_error", async () => {
    const { routes, sms, errors } = setup();
    fake.setFault({ route: "POST /v1/phone_numbers", status: 503 });
    signedIn("user_alice");
    await routes.POST(request("POST", { phone: "+14155550108" }));
    const code = sms.lastCode("+14155550108");
    const response = await routes.PATCH(request("PATCH", { code }));
    expect(response.status).toBe(502);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("platform_error");
    expect(body.error.message).toContain("Request a new code");
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: "platform_error", cause: { status: 503 } });
    // The code is spent: the person is told to ask for a new one, and a replay finds nothing.
    fake.setFault(undefined);
    expect((await routes.PATCH(request("PATCH", { code }))).status).toBe(404);
  });

  it("reports an unreachable Backend API the same way", async () => {
    const { routes, sms, errors } = setup();
    fake.setFault({ route: "POST /v1/phone_numbers", reset: true });
    signedIn("user_alice");
    await routes.POST(request("POST", { phone: "+14155550109" }));
    const response = await routes.PATCH(request("PATCH", { code: sms.lastCode("+14155550109") }));
    expect(response.status).toBe(502);
    expect(errors).toHaveLength(1);
  });

  it("refuses a phone in the check body: the user's code is found by the user", async () => {
    const { routes, sms } = setup();
    signedIn("user_alice");
    await routes.POST(request("POST", { phone: "+14155550110" }));
    const response = await routes.PATCH(
      request("PATCH", { phone: "+14155550110", code: sms.lastCode("+14155550110") }),
    );
    expect(response.status).toBe(400);
    expect(phoneCalls()).toHaveLength(0);
  });

  it("refuses a wrong code with attempts left, and never calls Clerk for it", async () => {
    const { routes, sms } = setup();
    signedIn("user_alice");
    await routes.POST(request("POST", { phone: "+14155550111" }));
    const right = sms.lastCode("+14155550111")!;
    const wrong = right === "000000" ? "111111" : "000000";
    const response = await routes.PATCH(request("PATCH", { code: wrong }));
    expect(response.status).toBe(422);
    expect(await response.json()).toMatchObject({ error: { code: "invalid_code", attempts_left: 2 } });
    expect(fake.calls).toHaveLength(0);
  });
});

describe("default error log", () => {
  it("names a provider failure without its cause's text (a careless SDK quotes the SMS, and so the code)", async () => {
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      const sender = faultySender("throws");
      const routes = createPhoneVerificationRoutes({ otp: createOtp({ secret, sender, production: false }) });
      signedIn("user_alice");
      expect((await routes.POST(request("POST", { phone: "+14155550130" }))).status).toBe(502);
      const code = /\d{6}/.exec(sender.attempts[0]!.body)![0];
      const printed = logged.mock.calls
        .flat()
        .map((part) => (typeof part === "string" ? part : inspect(part, { depth: 6 })));
      expect(printed.join(" ")).toContain("send_failed");
      expect(printed.join(" ")).not.toContain(code);
    } finally {
      logged.mockRestore();
    }
  });
});

describe("createPhoneSignInRoutes", () => {
  function signIn() {
    const sms = outbox();
    const otp = createOtp({ secret, sender: sms, store: memoryStore(), production: false });
    const errors: unknown[] = [];
    const routes = createPhoneSignInRoutes({
      otp,
      clerkClient: () => createClerkClient({ secretKey: "sk_test_x", apiUrl: fake.url }),
      onError: (error) => errors.push(error),
    });
    return { sms, routes, errors };
  }

  it("issues a short-lived sign-in token for the user holding the verified number", async () => {
    const { routes, sms } = signIn();
    fake.addUser("user_dave", [{ phone: "+14155550120" }]);
    signedIn(null);
    const sent = await routes.POST(request("POST", { phone: "+14155550120" }));
    expect(sent.status).toBe(200);
    // Without a session the check needs the verification id the send answered.
    const { id } = (await sent.json()) as { id: string };
    const response = await routes.PATCH(
      request("PATCH", { phone: "+14155550120", id, code: sms.lastCode("+14155550120") }),
    );
    expect(response.status).toBe(200);
    const reply = (await response.json()) as { ticket: string; status: string };
    expect(reply.status).toBe("approved");
    expect(reply.ticket).toMatch(/^tkt_/);
    const token = fake.calls.find((call) => call.path === "/v1/sign_in_tokens")!;
    // Clerk's default is 30 days; the fake applies it when the field is missing.
    expect(token.body).toEqual({ user_id: "user_dave", expires_in_seconds: 300 });
    expect(reply.ticket.endsWith(".300")).toBe(true);
  });

  it("signs nobody in for a number no account has verified", async () => {
    const { routes, sms } = signIn();
    fake.addUser("user_erin", [{ phone: "+14155550121", verified: false }]);
    const { id } = (await (await routes.POST(request("POST", { phone: "+14155550121" }))).json()) as {
      id: string;
    };
    const response = await routes.PATCH(
      request("PATCH", { phone: "+14155550121", id, code: sms.lastCode("+14155550121") }),
    );
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({
      error: { code: "user_not_found", message: "No account uses this phone number." },
    });
    expect(fake.calls.some((call) => call.path === "/v1/sign_in_tokens")).toBe(false);
  });

  it("reports a failed token mint as 502 platform_error", async () => {
    const { routes, sms, errors } = signIn();
    fake.addUser("user_frank", [{ phone: "+14155550122" }]);
    fake.setFault({ route: "POST /v1/sign_in_tokens", status: 500 });
    const { id } = (await (await routes.POST(request("POST", { phone: "+14155550122" }))).json()) as {
      id: string;
    };
    const response = await routes.PATCH(
      request("PATCH", { phone: "+14155550122", id, code: sms.lastCode("+14155550122") }),
    );
    expect(response.status).toBe(502);
    expect(errors).toHaveLength(1);
  });
});
