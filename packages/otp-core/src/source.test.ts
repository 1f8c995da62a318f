import { describe, expect, it, vi } from "vitest";
import { createOtp, type Otp } from "./otp.js";
import { outbox } from "./senders.js";
import { resolveOtp } from "./source.js";

const make = () => createOtp({ secret: "source-test-secret-source-test-secret!", sender: outbox() });

describe("resolveOtp", () => {
  it("hands back an instance as it is", async () => {
    const otp = make();
    expect(await resolveOtp(otp)()).toBe(otp);
  });

  it("makes the instance once, from the first call's context, and reuses it", async () => {
    const factory = vi.fn(async (secrets: { OTP_SECRET: string }) => {
      expect(secrets.OTP_SECRET).toBe("first");
      return make();
    });
    const getOtp = resolveOtp(factory);
    const [a, b] = await Promise.all([getOtp({ OTP_SECRET: "first" }), getOtp({ OTP_SECRET: "first" })]);
    const c = await getOtp({ OTP_SECRET: "later calls reuse the instance" });
    expect(a).toBe(b);
    expect(c).toBe(a);
    expect(factory).toHaveBeenCalledTimes(1);
  });

  it("never caches a failure: the next call tries again", async () => {
    let calls = 0;
    const getOtp = resolveOtp((): Otp => {
      calls++;
      if (calls === 1) throw new Error("OTP_SECRET is not set");
      return make();
    });
    await expect(getOtp()).rejects.toThrow("OTP_SECRET is not set");
    await expect(getOtp()).resolves.toBeDefined();
    await getOtp();
    expect(calls).toBe(2);
  });
});
