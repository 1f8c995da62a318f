/**
 * The three Backend API steps this package takes, each after otp-core approved a code — never before,
 * so a signed-in stranger cannot use them to learn which numbers have accounts.
 */
import type { clerkClient } from "@clerk/nextjs/server";
import { OtpError } from "@otpkit/otp-core";
import { isIdentifierTaken, phoneInUse, platformError } from "./errors.js";

/** The Backend API client (`await clerkClient()`, or `createClerkClient({ secretKey, apiUrl })`). */
export type ClerkClient = Awaited<ReturnType<typeof clerkClient>>;

/** Where a route gets its Backend API client. */
export type ClerkClientSource = () => ClerkClient | Promise<ClerkClient>;

let nextServer: Promise<typeof import("@clerk/nextjs/server")> | undefined;

/**
 * `@clerk/nextjs/server`, imported on first use: it only loads inside Next.js (its ESM build has
 * extensionless imports and `server-only`), and mode B must work without it. Imported once, so
 * concurrent first requests share one module.
 */
export const clerkNextServer = () => {
  nextServer ??= import("@clerk/nextjs/server").catch((error: unknown) => {
    nextServer = undefined;
    throw error;
  });
  return nextServer;
};

/** `clerkClient()` of `@clerk/nextjs/server`: the keys and `apiUrl` that `clerkMiddleware` was given, else `CLERK_SECRET_KEY` / `CLERK_API_URL`. */
export const nextClerkClient: ClerkClientSource = async () => (await clerkNextServer()).clerkClient();

export interface AttachOptions {
  primary: boolean;
  reservedForSecondFactor: boolean;
}

export interface Attached {
  /** Clerk's id of the phone number (`idn_…`). */
  phoneNumberId: string;
  /** `created`, or `existing` when the user already had the number (then it is marked verified). */
  outcome: "created" | "existing";
}

/**
 * Attaches the proven `phone` to `userId` as verified: `POST /v1/phone_numbers`. When Clerk says the
 * number is taken, the user's own numbers decide: theirs already → made verified (and primary when
 * asked) and reported as `existing`; someone else's → `phone_in_use` (409). Anything else the
 * Backend API does wrong → `platform_error` (502), with Clerk's error as `cause`.
 */
export async function attachPhone(
  client: ClerkClient,
  userId: string,
  phone: string,
  { primary, reservedForSecondFactor }: AttachOptions,
): Promise<Attached> {
  try {
    const created = await client.phoneNumbers.createPhoneNumber({
      userId,
      phoneNumber: phone,
      verified: true,
      ...(primary ? { primary: true } : {}),
      ...(reservedForSecondFactor ? { reservedForSecondFactor: true } : {}),
    });
    return { phoneNumberId: created.id, outcome: "created" };
  } catch (error) {
    if (!isIdentifierTaken(error)) throw platformError("add the phone number to your account", error);
  }
  let own: { id: string; verified: boolean } | undefined;
  try {
    const user = await client.users.getUser(userId);
    const match = user.phoneNumbers.find((entry) => entry.phoneNumber === phone);
    if (match) own = { id: match.id, verified: match.verification?.status === "verified" };
  } catch (error) {
    throw platformError("look up your account", error);
  }
  if (!own) throw phoneInUse();
  if (!own.verified || primary || reservedForSecondFactor) {
    try {
      await client.phoneNumbers.updatePhoneNumber(own.id, {
        verified: true,
        ...(primary ? { primary: true } : {}),
        ...(reservedForSecondFactor ? { reservedForSecondFactor: true } : {}),
      });
    } catch (error) {
      throw platformError("mark the phone number verified", error);
    }
  }
  return { phoneNumberId: own.id, outcome: "existing" };
}

/**
 * The one user whose **verified** numbers include `phone` (`GET /v1/users?phone_number=…`, then an
 * exact, verified match: the list filter is not documented as exact, and an unverified number proves
 * nothing about its holder). Nobody → `undefined`.
 */
export async function findUserByVerifiedPhone(
  client: ClerkClient,
  phone: string,
): Promise<string | undefined> {
  let users: {
    id: string;
    phoneNumbers: { phoneNumber: string; verification: { status: string } | null }[];
  }[];
  try {
    const list = await client.users.getUserList({ phoneNumber: [phone], limit: 10 });
    users = list.data;
  } catch (error) {
    throw platformError("look up the account of this number", error);
  }
  const holders = users.filter((user) =>
    user.phoneNumbers.some(
      (entry) => entry.phoneNumber === phone && entry.verification?.status === "verified",
    ),
  );
  if (holders.length > 1)
    // Clerk keeps identifiers unique; two holders means something upstream is wrong: sign nobody in.
    throw platformError("tell which account this number belongs to", undefined);
  return holders[0]?.id;
}

/** `POST /v1/sign_in_tokens` with a short expiry (Clerk's default is 30 days). */
export async function createTicket(client: ClerkClient, userId: string, expiresInSeconds: number) {
  try {
    const token = await client.signInTokens.createSignInToken({ userId, expiresInSeconds });
    return token.token;
  } catch (error) {
    throw platformError("start the sign-in", error);
  }
}

export const noAccount = () => new OtpError("user_not_found", "No account uses this phone number.");
