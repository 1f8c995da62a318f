/**
 * Mode A — otpkit owns the code. App Router route handlers over core's per-action handler
 * (`createOtpHandler(otp, { purpose, identify, onVerified })`): the signed-in user comes from
 * `auth()` and nowhere else, codes are bound to them (core's `subject`), and the proven number is
 * written through Clerk's Backend API only after the code was consumed.
 */
import {
  createOtpHandler,
  OtpError,
  type OtpHandler,
  type OtpHandlerOptions,
  type OtpSource,
  type Purpose,
} from "@otpkit/otp-core";
import {
  attachPhone,
  type ClerkClientSource,
  clerkNextServer,
  createTicket,
  findUserByVerifiedPhone,
  nextClerkClient,
  noAccount,
} from "./clerk-api.js";
import { logFailure } from "./errors.js";

interface SharedOptions extends Pick<OtpHandlerOptions<Request>, "getClientIp" | "maxBodyBytes"> {
  /**
   * Told about every 5xx with its cause: provider and store outages, and Backend API failures after
   * a code was used (`platform_error`). Default: `console.error` of the code, the message and the
   * cause's name/code/status/Clerk error codes — never the cause's text, which a provider SDK may
   * fill with the SMS.
   */
  onError?: (error: unknown) => void;
}

export interface PhoneVerificationRoutesOptions extends SharedOptions {
  /** An `Otp` from `createOtp`/`createOtpFromEnv`, or a function making one on first use. Required. */
  otp: OtpSource;
  /** The purpose of these codes (template, expiry, cooldown). Default: `"phone_verification"` (10 minutes). */
  purpose?: Purpose;
  /** Make the verified number the user's primary phone. Default: `false` (Clerk makes a user's first number primary anyway). */
  primary?: boolean;
  /** Reserve the number for multi-factor authentication (it becomes the default second factor when there is none). Default: `false`. */
  reservedForSecondFactor?: boolean;
  /**
   * The Backend API client. Default: `clerkClient()` of `@clerk/nextjs/server`, which takes the
   * secret key and `apiUrl` from `clerkMiddleware`'s options, else `CLERK_SECRET_KEY` / `CLERK_API_URL`.
   */
  clerkClient?: ClerkClientSource;
  /**
   * Reverse proxies in front of the app that append to `X-Forwarded-For` (1 on Vercel or behind one
   * nginx): the IP for per-IP limits is read that many entries from the right. Default: `0` — the
   * header is ignored (a client can write it), and without `getClientIp` per-IP limits are skipped.
   */
  trustProxy?: number;
}

/** A Next.js App Router route handler: Web `Request` in, `Response` out. */
export type RouteHandler = (request: Request) => Promise<Response>;

export interface PhoneVerificationRoutes {
  /** `POST { phone }` → a code for the signed-in user, `{ id, phone, masked_phone, expires_at, resend_available_at, status }`. */
  POST: RouteHandler;
  /** `PATCH { code }` → the user's pending code checked, the number attached: `{ status: "approved", phone, phone_number_id }`. */
  PATCH: RouteHandler;
}

/** Who is signed in, from `clerkMiddleware`'s verified session (`auth()`), never from the request body. */
async function signedInUser() {
  const { userId } = await (await clerkNextServer()).auth();
  return userId ? { subject: userId } : null;
}

/**
 * CORE-SEAM: core's per-action handlers answer POST only (405 otherwise); seed 000's check is a
 * PATCH. Core should let an action name its methods. Until then the PATCH is handed over as the same
 * request with the method POST (URL, headers and body stream unchanged).
 */
function methodRoutes(handler: OtpHandler): PhoneVerificationRoutes {
  return {
    // biome-ignore lint/correctness/noComponentHookFactories: Next.js names route handlers after HTTP methods.
    POST: (request) => handler.send(request),
    // biome-ignore lint/correctness/noComponentHookFactories: Next.js names route handlers after HTTP methods.
    PATCH: (request) => handler.check(request),
  };
}

/**
 * `app/api/phone/route.ts` → `export const { POST, PATCH } = createPhoneVerificationRoutes({ otp })`.
 * No session → 401 `unauthorized`. A number on another Clerk account → 409 `phone_in_use`. The
 * Backend API failing after the code was consumed → 502 `platform_error`, passed to `onError` (the
 * person needs a new code; nothing is retried behind their back).
 */
export function createPhoneVerificationRoutes(
  options: PhoneVerificationRoutesOptions,
): PhoneVerificationRoutes {
  const {
    otp,
    purpose = "phone_verification",
    primary = false,
    reservedForSecondFactor = false,
    clerkClient = nextClerkClient,
    ...handlerOptions
  } = options;
  const handler = createOtpHandler(otp, {
    onError: logFailure("otpkit clerk"),
    ...handlerOptions,
    // POST sends, PATCH checks (seed 000's shape).
    methods: ["POST", "PATCH"],
    purpose,
    identify: signedInUser,
    onVerified: async ({ phone }, _request, identity) => {
      // identify ran for this request, so the subject is the signed-in user.
      const attached = await attachPhone(await clerkClient(), identity!.subject!, phone, {
        primary,
        reservedForSecondFactor,
      });
      return { phone_number_id: attached.phoneNumberId };
    },
  });
  return methodRoutes(handler);
}

export interface PhoneSignInRoutesOptions extends SharedOptions {
  /** An `Otp`, or a function making one on first use. Required. */
  otp: OtpSource;
  /** Default: `"login"` (5 minutes). */
  purpose?: Purpose;
  /**
   * Lifetime of the sign-in token handed to the browser, which redeems it at once with
   * `signIn.create({ strategy: "ticket", ticket })`. Clerk's own default is 30 days: far too long
   * for a bearer credential. Default: `300` (5 minutes).
   */
  ticketExpiresInSeconds?: number;
  /** Default: `clerkClient()` of `@clerk/nextjs/server`. */
  clerkClient?: ClerkClientSource;
  /** Default: `0` (see `PhoneVerificationRoutesOptions.trustProxy`). */
  trustProxy?: number;
}

/**
 * Optional phone sign-in without a session: `POST { phone }` sends a login code; `PATCH { phone, code }`
 * (or `{ id, code }`) checks it, finds the one user whose **verified** number it is and answers
 * `{ status: "approved", ticket }` — a short-lived sign-in token the client completes with Clerk's
 * ticket strategy. No such user → 404 `not_found` ("No account uses this phone number"), told only
 * after the code proved the caller holds the number, so it cannot be used to probe for accounts.
 */
export function createPhoneSignInRoutes(options: PhoneSignInRoutesOptions): PhoneVerificationRoutes {
  const {
    otp,
    purpose = "login",
    ticketExpiresInSeconds = 300,
    clerkClient = nextClerkClient,
    ...handlerOptions
  } = options;
  if (
    !Number.isInteger(ticketExpiresInSeconds) ||
    ticketExpiresInSeconds < 1 ||
    ticketExpiresInSeconds > 3600
  )
    throw new OtpError("invalid_config", "ticketExpiresInSeconds is a whole number of seconds, 1–3600.");
  const handler = createOtpHandler(otp, {
    onError: logFailure("otpkit clerk"),
    ...handlerOptions,
    // POST sends, PATCH checks (seed 000's shape).
    methods: ["POST", "PATCH"],
    purpose,
    onVerified: async ({ phone }) => {
      const client = await clerkClient();
      const userId = await findUserByVerifiedPhone(client, phone);
      if (!userId) throw noAccount();
      return { ticket: await createTicket(client, userId, ticketExpiresInSeconds) };
    },
  });
  return methodRoutes(handler);
}
