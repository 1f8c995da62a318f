/**
 * The deployed functions (functions/src/index.ts, built) on the Functions emulator, called over
 * HTTP with ID tokens from the Auth emulator. Each function runs in its own worker process: a
 * send in one and a verify in another only work together because both reach the same Firestore
 * emulator through firestoreStore — which proves FIRESTORE_EMULATOR_HOST reaches the workers.
 */
import { afterAll, describe, expect, it } from "vitest";
import {
  admin,
  call,
  claimsOf,
  closeAdmin,
  codeFor,
  messagesTo,
  newUser,
  phone,
  refreshIdToken,
  signInWithCustomToken,
  stack,
} from "./emulators";

describe.skipIf(!stack.available)("callables over HTTP on the Functions emulator", () => {
  afterAll(() => closeAdmin());

  it("refuses callers without an ID token: 401 UNAUTHENTICATED, nothing texted", async () => {
    const to = phone(1);
    const send = await call("sendSMSVerification", { phone: to });
    expect(send).toEqual({
      status: 401,
      error: { status: "UNAUTHENTICATED", message: "Sign in first.", details: { reason: "unauthorized" } },
    });
    expect((await call("verifySMSCode", { code: "123456" })).status).toBe(401);
    expect(await messagesTo(to)).toBe(0);
  });

  it("binds the code to the signed-in user: A's code fails for B; A's verify sets the phone on A", async () => {
    const { auth } = admin();
    const [a, b] = [await newUser(), await newUser()];
    const to = phone(2);
    const sent = await call("sendSMSVerification", { phone: to }, a.idToken);
    expect(sent).toMatchObject({
      status: 200,
      result: { status: "sent", phone: to, maskedPhone: "+1 ***-***-0123" },
    });
    const code = await codeFor(to);
    expect(JSON.stringify(sent)).not.toContain(code);

    // B holds A's code (B read A's SMS): B has no pending code, so it is not found, and A loses nothing.
    const stolen = await call("verifySMSCode", { code, uid: a.uid }, b.idToken);
    expect(stolen).toMatchObject({
      status: 404,
      error: { status: "NOT_FOUND", details: { reason: "not_found" } },
    });
    expect((await auth.getUser(b.uid)).phoneNumber).toBeUndefined();

    expect(await call("verifySMSCode", { code }, a.idToken)).toEqual({
      status: 200,
      result: { status: "approved", phone: to },
    });
    const user = await auth.getUser(a.uid);
    expect(user.phoneNumber).toBe(to);
    expect(user.providerData.map((provider) => provider.providerId)).toContain("phone");
    // A fresh ID token carries the number.
    expect(claimsOf(await refreshIdToken(a.refreshToken)).phone_number).toBe(to);
  });

  it("limits answer 429 RESOURCE_EXHAUSTED with the retry time in details", async () => {
    const a = await newUser();
    const to = phone(3);
    expect((await call("sendSMSVerification", { phone: to }, a.idToken)).status).toBe(200);
    const again = await call("sendSMSVerification", { phone: to }, a.idToken);
    expect(again).toMatchObject({
      status: 429,
      error: { status: "RESOURCE_EXHAUSTED", details: { reason: "rate_limited" } },
    });
    expect(again.error!.details.retryAfter).toBeGreaterThan(50);
    expect(again.error!.details.retryAfter).toBeLessThanOrEqual(60);
    expect(again.error!.message).toContain(`${again.error!.details.retryAfter} seconds`);
    expect(await messagesTo(to)).toBe(1);
  });

  it("wrong codes: 400 INVALID_ARGUMENT with the attempts left, then 429 and the code is dead", async () => {
    const a = await newUser();
    const to = phone(4);
    await call("sendSMSVerification", { phone: to }, a.idToken);
    const code = await codeFor(to);
    const wrong = code === "000000" ? "111111" : "000000";
    expect(await call("verifySMSCode", { code: wrong }, a.idToken)).toMatchObject({
      status: 400,
      error: { status: "INVALID_ARGUMENT", details: { reason: "invalid_code", attemptsLeft: 2 } },
    });
    await call("verifySMSCode", { code: wrong }, a.idToken);
    expect((await call("verifySMSCode", { code: wrong }, a.idToken)).status).toBe(429);
    expect(await call("verifySMSCode", { code }, a.idToken)).toMatchObject({
      status: 429,
      error: { details: { reason: "too_many_attempts" } },
    });
  });

  it("a number that belongs to another account: 409 ALREADY_EXISTS, not INTERNAL", async () => {
    const { auth } = admin();
    const to = phone(5);
    await auth.createUser({ phoneNumber: to });
    const a = await newUser();
    await call("sendSMSVerification", { phone: to }, a.idToken);
    expect(await call("verifySMSCode", { code: await codeFor(to) }, a.idToken)).toMatchObject({
      status: 409,
      error: { status: "ALREADY_EXISTS", details: { reason: "phone_in_use" } },
    });
    expect((await auth.getUser(a.uid)).phoneNumber).toBeUndefined();
  });

  it("bad input is 400 INVALID_ARGUMENT naming the field", async () => {
    const a = await newUser();
    expect(await call("sendSMSVerification", { phone: "+1 555" }, a.idToken)).toMatchObject({
      status: 400,
      error: { status: "INVALID_ARGUMENT", details: { reason: "invalid_phone", field: "phone" } },
    });
    expect(await call("verifySMSCode", { code: "12ab" }, a.idToken)).toMatchObject({
      status: 400,
      error: { details: { reason: "invalid_request", field: "code" } },
    });
  });

  it("passwordless: send, then verify → a custom token → a valid ID token for the phone's user (created on first sign-in)", async () => {
    const { auth } = admin();
    const to = phone(6);
    expect(await call("sendSignInCode", { phone: to })).toMatchObject({
      status: 200,
      result: { status: "sent" },
    });
    const first = await call("signInWithSms", { phone: to, code: await codeFor(to) });
    expect(first).toMatchObject({ status: 200, result: { isNewUser: true } });
    const idToken = await signInWithCustomToken(first.result.token);
    const owner = await auth.getUserByPhoneNumber(to);
    const decoded = await auth.verifyIdToken(idToken);
    expect(decoded.uid).toBe(owner.uid);
    expect(decoded.phone_number).toBe(to);
    // The ID token works where it matters: as the caller of the other callables.
    expect((await call("sendSMSVerification", { phone: phone(7) }, idToken)).status).toBe(200);

    // A number that already has an account signs in to that account.
    const seeded = await auth.createUser({ phoneNumber: phone(8) });
    await call("sendSignInCode", { phone: phone(8) });
    const again = await call("signInWithSms", { phone: phone(8), code: await codeFor(phone(8)) });
    expect(again).toMatchObject({ status: 200, result: { isNewUser: false } });
    expect((await auth.verifyIdToken(await signInWithCustomToken(again.result.token))).uid).toBe(seeded.uid);
  });

  it("all four functions share one Firestore: the emulator from FIRESTORE_EMULATOR_HOST holds the codes' records, never a code", async () => {
    const { firestore } = admin();
    const to = phone(9);
    await call("sendSignInCode", { phone: to });
    const code = await codeFor(to);
    const documents = (await firestore.collection("otpkit").get()).docs;
    expect(documents.length).toBeGreaterThan(0);
    expect(documents.some((doc) => doc.id.startsWith("c:"))).toBe(true);
    expect(documents.some((doc) => doc.id.startsWith("w:"))).toBe(true);
    expect(JSON.stringify(documents.map((doc) => doc.data()))).not.toContain(code);
    // The verify (another worker) finds the record the send wrote.
    expect((await call("signInWithSms", { phone: to, code })).status).toBe(200);
  });
});
