import { createOtp, OtpError } from "@otpkit/otp-core";
import { errorCodes, errorStatus } from "@otpkit/otp-core/protocol";
import { faultySender } from "@otpkit/otp-core/testing";
import type { Auth } from "firebase-admin/auth";
import { HttpsError } from "firebase-functions/v2/https";
import { describe, expect, it, vi } from "vitest";
import { adminAuth } from "../test/admin-auth";
import { callableRequest, refusedWith } from "../test/requests";

const logged = vi.hoisted(() => vi.fn());
vi.mock("firebase-functions/logger", () => ({ logger: { error: logged } }));

const { httpsErrorCodes, httpsErrorFrom, toHttpsError } = await import("./errors");
const { createCallables } = await import("./callables");

describe("the OtpError → HttpsError table", () => {
  it("maps every code a client can cause to a 4xx-class HttpsError, never internal or unknown", () => {
    for (const code of errorCodes) {
      const error = httpsErrorFrom(new OtpError(code, "x"));
      if (errorStatus[code] < 500) {
        expect(error.httpErrorCode.status, code).toBeLessThan(500);
        expect(["internal", "unknown", "data-loss"]).not.toContain(error.code);
      } else expect(error.httpErrorCode.status, code).toBeGreaterThanOrEqual(500);
    }
    expect(Object.keys(httpsErrorCodes).sort()).toEqual([...errorCodes].sort());
  });

  it("gives the statuses the issue asks for, with the numbers the client needs in details", () => {
    const cases: Array<[OtpError, string, number, object]> = [
      [
        new OtpError("rate_limited", "wait", { retryAfter: 42 }),
        "resource-exhausted",
        429,
        { retryAfter: 42 },
      ],
      [
        new OtpError("too_many_attempts", "dead", { attemptsLeft: 0 }),
        "resource-exhausted",
        429,
        { attemptsLeft: 0 },
      ],
      [new OtpError("blocked", "country"), "permission-denied", 403, {}],
      [new OtpError("invalid_code", "no", { attemptsLeft: 1 }), "invalid-argument", 400, { attemptsLeft: 1 }],
      [new OtpError("expired", "late"), "failed-precondition", 400, {}],
      [new OtpError("store_unavailable", "down"), "unavailable", 503, {}],
      [new OtpError("phone_in_use", "taken"), "already-exists", 409, {}],
      [new OtpError("unauthorized", "sign in"), "unauthenticated", 401, {}],
    ];
    for (const [error, code, status, numbers] of cases) {
      const https = httpsErrorFrom(error);
      expect([https.code, https.httpErrorCode.status]).toEqual([code, status]);
      expect(https.details).toEqual({ reason: error.code, ...numbers });
    }
  });

  it("passes an HttpsError through, hides anything unexpected as internal, and reports only 5xx-class failures", () => {
    const own = new HttpsError("not-found", "gone");
    expect(toHttpsError(own)).toBe(own);
    const seen: OtpError[] = [];
    const internal = toHttpsError(new TypeError("cannot read x of undefined at db.ts:12"), (e) =>
      seen.push(e),
    );
    expect([internal.code, internal.message]).toEqual(["internal", "Something went wrong."]);
    toHttpsError(new OtpError("invalid_code", "no"), (e) => seen.push(e));
    expect(seen.map((e) => e.code)).toEqual(["internal_error"]);
    // A throwing reporter changes nothing about the answer.
    expect(
      toHttpsError(new OtpError("store_unavailable", "down"), () => {
        throw new Error("log sink down");
      }).code,
    ).toBe("unavailable");
  });
});

describe("the default onError", () => {
  it("logs store and platform causes, but never a provider's text: a careless SDK quoting the SMS leaks no code", async () => {
    const sender = faultySender("throws");
    const { sendSMSVerification } = createCallables({
      otp: createOtp({ secret: "errors-test-secret-errors-test-secret-0123", sender }),
      auth: adminAuth() as unknown as Auth,
    });
    const refused = await refusedWith(
      sendSMSVerification.run(callableRequest({ phone: "+14155550101" }, { uid: "alice" })),
    );
    const code = /\d{6}/.exec(sender.attempts[0]!.body)![0];
    expect(refused).toMatchObject({ code: "unavailable", details: { reason: "send_failed" } });
    expect(logged).toHaveBeenCalledWith("otpkit: send_failed", {
      code: "send_failed",
      message: expect.any(String),
    });
    expect(JSON.stringify([refused, logged.mock.calls])).not.toContain(code);

    logged.mockClear();
    toHttpsError(
      new OtpError("store_unavailable", "The store did not answer.", {
        cause: new Error("Firestore did not answer within 10000 ms."),
      }),
    );
    expect(logged).toHaveBeenCalledWith("otpkit: store_unavailable", {
      code: "store_unavailable",
      message: "The store did not answer.",
      cause: { name: "Error", message: "Firestore did not answer within 10000 ms.", code: undefined },
    });
  });
});
