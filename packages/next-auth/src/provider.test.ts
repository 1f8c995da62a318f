import { createOtp, type Otp, OtpError, outbox, type Store } from "@otpkit/otp-core";
import type { User } from "next-auth";
import { describe, expect, it, vi } from "vitest";
import { SmsOtpProvider, type SmsOtpProviderOptions } from "./provider.js";

const phone = "+14155550123";
const secret = "test-secret-that-is-at-least-32-bytes-long";

function setup(overrides: Partial<SmsOtpProviderOptions> = {}) {
  let now = Date.parse("2030-01-01T00:00:00Z");
  const sms = outbox();
  const otp = createOtp({ secret, sender: sms, clock: () => now, production: false });
  const provider = SmsOtpProvider({ otp, ...overrides });
  // NextAuth merges `options` over the base provider at runtime; call what it would call.
  const { authorize } = provider.options as unknown as {
    authorize: (credentials: Record<string, string> | undefined, req: unknown) => Promise<User | null>;
  };
  /** The id of the last send per number: what the sign-in page holds and passes back. */
  const ids = new Map<string, string>();
  const idFor = (credentials: Record<string, string>) => {
    for (const [to, id] of ids) if (to === credentials.phone?.replace(/[^\d+]/g, "")) return id;
    return undefined;
  };
  const signIn = (credentials: Record<string, string> | undefined) => {
    const id = credentials && !("id" in credentials) ? idFor(credentials) : undefined;
    return authorize(credentials && id ? { ...credentials, id } : credentials, {});
  };
  const send = async (to = phone, purpose: "login" | "signup" = "login") => {
    ids.set(to, (await otp.send({ phone: to, purpose })).id);
    return sms.lastCode(to)!;
  };
  const wrong = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, "0");
  return { otp, sms, provider, signIn, send, wrong, ids, advance: (ms: number) => (now += ms) };
}

describe("SmsOtpProvider", () => {
  it("is a real NextAuth credentials provider: id sms-otp, credentials phone + code + id", () => {
    const { provider } = setup();
    expect(provider.type).toBe("credentials");
    expect(provider.options).toMatchObject({
      id: "sms-otp",
      name: "SMS",
      credentials: { phone: { label: "Phone" }, code: { label: "Code" }, id: { type: "hidden" } },
    });
    expect(setup({ id: "phone" }).provider.options).toMatchObject({ id: "phone" });
  });

  it("approves the right code and returns { id, phone } with the normalized number", async () => {
    const { signIn, send } = setup();
    const code = await send();
    await expect(signIn({ phone: "+1 (415) 555-0123", code })).resolves.toEqual({ id: phone, phone });
  });

  it("never takes a user id from the request body", async () => {
    const { signIn, send } = setup();
    const code = await send();
    const user = await signIn({ phone, code, userId: "admin", user: "admin" });
    expect(user).toEqual({ id: phone, phone });
  });

  it("needs the verification id: someone with only the phone number can neither check nor spend the code", async () => {
    const { signIn, send, wrong } = setup();
    const code = await send();
    for (let i = 0; i < 5; i++)
      await expect(signIn({ phone, code: wrong(code), id: "" })).rejects.toThrow(/^invalid_request$/);
    await expect(signIn({ phone, code, id: "ver_l6AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBB" })).rejects.toThrow(
      "not_found",
    );
    // The owner's code still has all its attempts.
    await expect(signIn({ phone, code: wrong(code) })).rejects.toThrow("invalid_code");
    await expect(signIn({ phone, code })).resolves.toMatchObject({ phone });
  });

  it("refuses an id that names another number than the phone shown", async () => {
    const { signIn, send, ids } = setup();
    const code = await send();
    await send("+14155550199");
    await expect(signIn({ phone: "+14155550199", code, id: ids.get(phone)! })).rejects.toThrow(/^not_found$/);
    await expect(signIn({ phone, code, id: ids.get(phone)! })).resolves.toMatchObject({ phone });
  });

  it("refuses a wrong code with invalid_code and the attempts left, and signs nobody in", async () => {
    const { signIn, send, wrong } = setup();
    const code = await send();
    // The attempts left reach the page through NextAuth's one channel, the message.
    await expect(signIn({ phone, code: wrong(code) })).rejects.toThrow(/^invalid_code;attempts_left=2$/);
    await expect(signIn({ phone, code: wrong(code) })).rejects.toThrow(/^invalid_code;attempts_left=1$/);
    await expect(signIn({ phone, code: wrong(code) })).rejects.toThrow(/^too_many_attempts(;|$)/);
  });

  it("locks the code after three wrong guesses: too_many_attempts, even for the right code", async () => {
    const { signIn, send, wrong } = setup();
    const code = await send();
    await expect(signIn({ phone, code: wrong(code) })).rejects.toThrow("invalid_code");
    await expect(signIn({ phone, code: wrong(code) })).rejects.toThrow("invalid_code");
    await expect(signIn({ phone, code: wrong(code) })).rejects.toThrow("too_many_attempts");
    await expect(signIn({ phone, code })).rejects.toThrow("too_many_attempts");
  });

  it("refuses an expired code with expired", async () => {
    const { signIn, send, advance } = setup();
    const code = await send();
    advance(5 * 60_000);
    await expect(signIn({ phone, code })).rejects.toThrow(/^expired$/);
  });

  it("refuses with not_found when no code is pending, when it was used, or for another purpose", async () => {
    const { signIn, send } = setup();
    await expect(
      signIn({ phone, code: "123456", id: "ver_l6AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBB" }),
    ).rejects.toThrow(/^not_found$/);
    const code = await send();
    await signIn({ phone, code });
    await expect(signIn({ phone, code })).rejects.toThrow("not_found");
    const signupCode = await send("+14155550124", "signup");
    // A signup code's id names the signup purpose: the login provider finds nothing.
    await expect(signIn({ phone: "+14155550124", code: signupCode })).rejects.toThrow("not_found");
  });

  it("verifies the purpose it is configured for", async () => {
    const { signIn, send } = setup({ purpose: "signup" });
    const code = await send(phone, "signup");
    await expect(signIn({ phone, code })).resolves.toMatchObject({ phone });
  });

  it("refuses invalid input with stable codes", async () => {
    const { signIn } = setup();
    await expect(signIn(undefined)).rejects.toThrow(/^invalid_request$/);
    await expect(signIn({ phone })).rejects.toThrow("invalid_request");
    await expect(signIn({ phone, code: "12ab56" })).rejects.toThrow("invalid_request");
    const id = "ver_l6AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBB";
    await expect(signIn({ phone: "not a phone", code: "123456", id })).rejects.toThrow("invalid_phone");
    await expect(signIn({ code: "123456" })).rejects.toThrow(/^invalid_request$/);
  });

  it("returns the app's user from findUser, looked up by the verified number", async () => {
    const findUser = vi.fn(async (number: string) => ({ id: "user_1", name: "Ada", number }));
    const { signIn, send } = setup({ findUser });
    const code = await send();
    await expect(signIn({ phone: "+1 415 555 0123", code })).resolves.toEqual({
      id: "user_1",
      name: "Ada",
      number: phone,
    });
    expect(findUser).toHaveBeenCalledWith(phone, expect.objectContaining({ phone, status: "approved" }));
  });

  it("signs up through createUser when the app allows it", async () => {
    const createUser = vi.fn(async (number: string) => ({ id: "new_1", number }));
    const { signIn, send } = setup({ findUser: async () => null, createUser });
    const code = await send();
    await expect(signIn({ phone, code })).resolves.toEqual({ id: "new_1", number: phone });
    expect(createUser).toHaveBeenCalledOnce();
  });

  it("refuses unknown numbers with user_not_found when sign-up is not allowed, after checking the code", async () => {
    const findUser = vi.fn(async () => null);
    const { signIn, send, wrong } = setup({ findUser });
    const code = await send();
    await expect(signIn({ phone, code: wrong(code) })).rejects.toThrow("invalid_code");
    expect(findUser).not.toHaveBeenCalled(); // no account probing without the code
    await expect(signIn({ phone, code })).rejects.toThrow(/^user_not_found$/);
  });

  it("hides app and store failures behind stable codes, logging the cause", async () => {
    const log = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      const { signIn, send } = setup({
        findUser: async () => {
          throw new Error("connect ECONNREFUSED 10.0.0.7:5432 password=hunter2");
        },
      });
      const code = await send();
      const error = await signIn({ phone, code }).catch((e: Error) => e);
      expect((error as Error).message).toBe("internal_error");
      expect(log).toHaveBeenCalled();

      const broken: Store = {
        name: "broken",
        put: async () => ({ ok: true, previous: null }),
        check: async () => {
          throw new Error("redis down");
        },
        hit: async () => ({ ok: true }),
        release: async () => {},
        read: async () => null,
        delete: async () => false,
      };
      const otp = createOtp({ secret, store: broken, sender: outbox() });
      const { authorize } = SmsOtpProvider({ otp }).options as unknown as {
        authorize: (c: Record<string, string>, r: unknown) => Promise<User>;
      };
      await expect(
        authorize({ code: "123456", id: "ver_l6AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBB" }, {}),
      ).rejects.toThrow(/^store_unavailable$/);
    } finally {
      log.mockRestore();
    }
  });

  it("takes a factory for the otp instance, made once, retried after a failure", async () => {
    const log = vi.spyOn(console, "error").mockImplementation(() => {});
    const sms = outbox();
    const otp = createOtp({ secret, sender: sms });
    let calls = 0;
    const factory = vi.fn(async (): Promise<Otp> => {
      if (++calls === 1) throw new OtpError("invalid_config", "OTP_SECRET is not set.");
      return otp;
    });
    const { authorize } = SmsOtpProvider({ otp: factory }).options as unknown as {
      authorize: (c: Record<string, string>, r: unknown) => Promise<User>;
    };
    await expect(authorize({ phone, code: "123456", id: "x" }, {})).rejects.toThrow("invalid_config");
    const first = await otp.send({ phone });
    await expect(authorize({ phone, code: sms.lastCode(phone)!, id: first.id }, {})).resolves.toMatchObject({
      phone,
    });
    const second = await otp.send({ phone: "+14155550199" });
    await authorize({ phone: "+14155550199", code: sms.lastCode("+14155550199")!, id: second.id }, {});
    expect(factory).toHaveBeenCalledTimes(2);
    log.mockRestore();
  });
});
