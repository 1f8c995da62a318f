import { OtpError, type OtpSource, type Purpose, resolveOtp, type VerifyResult } from "@otpkit/otp-core";
import type { Awaitable, User } from "next-auth";
import CredentialsImport, { type CredentialsConfig } from "next-auth/providers/credentials";
import { signInError } from "./errors.js";

// next-auth ships CommonJS with `exports.default`: bundlers unwrap it, Node's ESM loader does not.
const Credentials = ((CredentialsImport as unknown as { default?: typeof CredentialsImport }).default ??
  CredentialsImport) as typeof CredentialsImport;

/** The user `authorize` returns when the app gives no `findUser`/`createUser`. */
export interface SmsOtpUser extends User {
  /** The verified number, E.164. */
  phone: string;
}

export interface SmsOtpProviderOptions<U extends User = User> {
  /** The otp-core instance that sends the codes (or a function making it on first use). */
  otp: OtpSource;
  /**
   * Finds the account of a verified phone (E.164). Return `null` when there is none: sign-in is
   * then refused with `user_not_found`, unless `createUser` is given. Runs only after the code
   * was verified, so it can never be used to probe which numbers have accounts.
   * Default: none — every verified phone signs in as `{ id: phone, phone }`.
   */
  findUser?: (phone: string, verification: VerifyResult) => Awaitable<U | null | undefined>;
  /**
   * Sign-up: creates the account of a verified phone that `findUser` did not find (without
   * `findUser`, it is called on every sign-in, so make it an upsert). Default: none — no sign-up.
   */
  createUser?: (phone: string, verification: VerifyResult) => Awaitable<U>;
  /** The purpose codes were sent with (the send route's `purpose`). Default: `"login"`. */
  purpose?: Purpose;
  /** The provider id for `signIn(id, …)`. Default: `"sms-otp"`. */
  id?: string;
  /**
   * Reads the client IP from NextAuth's request (its `headers`), e.g. a header your host
   * guarantees (`x-real-ip` on Vercel). Consecutive wrong codes are counted per phone and
   * requester, so this keeps one client's failures from slowing others. Default: none (every
   * sign-in without an IP is one requester).
   */
  getClientIp?: (request: { headers?: Record<string, unknown> }) => string | undefined;
  /** The name on NextAuth's built-in sign-in page. Default: `"SMS"`. */
  name?: string;
}

/** Thrown (as its message) when `findUser` finds nobody and sign-up is not allowed. */
export const userNotFound = "user_not_found";

/**
 * A NextAuth v4 `CredentialsProvider` (credentials `phone`, `code` and `id` — the verification id
 * the send route answered) whose `authorize` checks the code through otp-core. The id is required:
 * it is a 96-bit secret only the page that asked for the code holds, so someone who knows only a
 * phone number can neither guess at nor use up its owner's code. Every refusal throws an `Error` whose message is a stable code
 * (`invalid_code`, `too_many_attempts`, `expired`, `not_found`, `invalid_phone`, `user_not_found`…),
 * followed by its details where it has some (`invalid_code;attempts_left=2`): NextAuth hands that
 * message to the page as `signIn(…).error`.
 */
export function SmsOtpProvider<U extends User = SmsOtpUser>(
  options: SmsOtpProviderOptions<U>,
): CredentialsConfig<{
  phone: { label: string; type: string };
  code: { label: string; type: string };
  id: { label: string; type: string };
}> {
  const getOtp = resolveOtp(options.otp);
  const purpose = options.purpose ?? "login";
  return Credentials({
    id: options.id ?? "sms-otp",
    name: options.name ?? "SMS",
    credentials: {
      phone: { label: "Phone", type: "tel" },
      code: { label: "Code", type: "text" },
      id: { label: "Verification", type: "hidden" },
    },
    // Only `phone`, `code` and `id` are read: the user comes from the verified number, never from the body.
    async authorize(credentials, request) {
      let verification: VerifyResult;
      try {
        const otp = await getOtp();
        if (typeof credentials?.id !== "string" || !credentials.id)
          throw new OtpError("invalid_request", "Give the verification id the send answered.", {
            field: "id",
          });
        const ip = options.getClientIp?.(request as { headers?: Record<string, unknown> });
        verification = await otp.verify({
          id: credentials.id,
          // The phone the page shows must be the one the id names (checked before the store).
          ...(credentials.phone ? { phone: credentials.phone } : {}),
          code: credentials.code,
          purpose,
          ...(ip ? { ip } : {}),
        });
      } catch (error) {
        throw signInError(error);
      }
      const { phone } = verification;
      try {
        const found = options.findUser ? await options.findUser(phone, verification) : undefined;
        if (found) return found;
        if (options.createUser) return await options.createUser(phone, verification);
        if (options.findUser) throw new Error(userNotFound);
        return { id: phone, phone } satisfies SmsOtpUser;
      } catch (error) {
        throw error instanceof Error && error.message === userNotFound ? error : signInError(error);
      }
    },
  });
}
