/**
 * The SMS step-up, your verify page's side: two Web-standard handlers (`Request → Response`, so any
 * framework: Next.js route handlers, Hono, Remix, Bun, Deno) on otp-core's hardened HTTP handler.
 *
 *   POST send    Authorization: Bearer <session_token>            → a code to the token's phone
 *   POST check   Authorization: Bearer <session_token>, X-Auth0-State: <state>, {"code"}
 *                → { continue_url, continue_fields: { state, session_token } } to POST to Auth0
 *
 * Who the user is comes only from the session token Auth0 signed (HS256, checked with `jose`): its
 * `sub` is the subject every code is bound to, and the number texted is the token's, never the
 * body's — a stolen password plus an attacker's own phone number must not pass an SMS step-up.
 */
import {
  createOtpHandler,
  OtpError,
  type OtpHandlerOptions,
  type OtpSource,
  type Purpose,
  publicError,
} from "@otpkit/otp-core";
import { type JWTPayload, jwtVerify, SignJWT } from "jose";
import {
  isLoopback,
  secretLongEnough,
  sessionTokenUse,
  useClaim,
  verifiedTokenUse,
} from "./step-up-claims.js";

/** The session token's claims, as Auth0's `api.redirect.encodeToken` and `createStepUp` make them. */
export interface StepUpClaims extends JWTPayload {
  /** The Auth0 user id. */
  sub: string;
  /** The user's number, from the post-login Action. */
  phone?: string;
  /** Where to send the user back (`https://{login host}/continue`). */
  continue_uri?: string;
  /** The IP Auth0 saw at login. */
  ip?: string;
}

export interface StepUpHandlerOptions
  extends Pick<
    OtpHandlerOptions<Request>,
    "trustProxy" | "proxyHeader" | "getClientIp" | "onError" | "maxBodyBytes" | "cors"
  > {
  /** The otp-core instance (or a function making it on first use) that sends and checks the codes. Required. */
  otp: OtpSource;
  /**
   * The HS256 key shared with the post-login Action (`STEP_UP_SECRET`), at least 32 bytes; a
   * function is read on each request (so `next build` needs no secret). Required.
   */
  secret: string | (() => string | undefined);
  /**
   * The number to text. Default: the token's `phone` claim. Return the number from your own user
   * store instead to keep it out of the redirect URL.
   */
  phone?: (claims: StepUpClaims, request: Request) => string | undefined | Promise<string | undefined>;
  /** The session token's expected `iss` (your Auth0 domain, e.g. `example.us.auth0.com`). Default: not checked. */
  issuer?: string;
  /** Lifetime of the answer for `/continue`, in seconds: short, it is replayable until then. Default: `120`. */
  continueTokenSeconds?: number;
  /** The purpose the codes are sent and checked for. Default: `"two_factor"`. */
  purpose?: Purpose;
  /**
   * Default: the `ip` claim of the session token (the address Auth0 saw at login, signed, so no
   * proxy header needs trusting). `trustProxy` or your own `getClientIp` replace it.
   */
  getClientIp?: OtpHandlerOptions<Request>["getClientIp"];
}

export interface StepUpHandler {
  /** Texts a code to the signed-in user's number. */
  send(request: Request): Promise<Response>;
  /** Checks it; the reply carries what to POST to Auth0's `/continue`. */
  check(request: Request): Promise<Response>;
}

/** The header the page sends Auth0's `state` in (from its own URL's `?state=`). */
export const stateHeader = "x-auth0-state";

const bearer = /^Bearer[ \t]+([\w-]+\.[\w-]+\.[\w-]+)[ \t]*$/i;
const statePattern = /^[\x21-\x7e]{1,2048}$/;
const encoder = new TextEncoder();

export function createStepUpHandler(options: StepUpHandlerOptions): StepUpHandler {
  const {
    otp,
    secret,
    phone: phoneOf = (claims) => claims.phone,
    issuer,
    continueTokenSeconds = 120,
    purpose = "two_factor",
    ...httpOptions
  } = options;
  if (!Number.isInteger(continueTokenSeconds) || continueTokenSeconds < 10 || continueTokenSeconds > 600)
    throw new OtpError("invalid_config", "continueTokenSeconds must be a whole number from 10 to 600.");

  const key = (): Uint8Array => {
    const value = typeof secret === "function" ? secret() : secret;
    if (!secretLongEnough(value))
      throw new OtpError("invalid_config", "The step-up secret (STEP_UP_SECRET) must be at least 32 bytes.");
    return encoder.encode(value);
  };

  // One verification per request object, however many stages ask.
  const verified = new WeakMap<Request, Promise<StepUpClaims | undefined>>();
  const claimsOf = (request: Request): Promise<StepUpClaims | undefined> => {
    let claims = verified.get(request);
    if (!claims) {
      claims = verifySessionToken(request.headers.get("authorization"));
      verified.set(request, claims);
    }
    return claims;
  };

  async function verifySessionToken(authorization: string | null): Promise<StepUpClaims | undefined> {
    const token = bearer.exec(authorization ?? "")?.[1];
    if (!token) return undefined;
    const signingKey = key(); // a missing secret is the operator's 500, not the user's 401
    try {
      const { payload } = await jwtVerify(token, signingKey, {
        algorithms: ["HS256"],
        requiredClaims: ["sub", "exp"],
        ...(issuer ? { issuer } : {}),
      });
      const { sub } = payload;
      if (payload[useClaim] !== sessionTokenUse || typeof sub !== "string" || !sub || sub.length > 256)
        return undefined;
      return payload as StepUpClaims;
    } catch {
      return undefined; // forged, expired, another algorithm, not a JWT: 401
    }
  }

  const getClientIp =
    httpOptions.getClientIp ??
    (async (request: Request) => {
      const ip = (await claimsOf(request))?.ip;
      return typeof ip === "string" ? ip : undefined;
    });
  const shared = { ...httpOptions, purpose, getClientIp };

  const sendHandler = createOtpHandler(otp, {
    ...shared,
    identify: async (request) => {
      const claims = await claimsOf(request);
      return claims ? { subject: claims.sub } : null;
    },
  });

  const checkHandler = createOtpHandler(otp, {
    ...shared,
    identify: async (request) => {
      const claims = await claimsOf(request);
      if (!claims) return null;
      // Both refusals come before the code is read, so a malformed request never uses it up.
      stateOf(request);
      continueUrlOf(claims);
      return { subject: claims.sub };
    },
    onVerified: async (_result, request) => {
      const claims = (await claimsOf(request))!;
      const state = stateOf(request);
      const sessionToken = await new SignJWT({ [useClaim]: verifiedTokenUse, state, amr: ["sms"] })
        .setProtectedHeader({ alg: "HS256", typ: "JWT" })
        .setSubject(claims.sub)
        .setIssuer(new URL(request.url).host)
        .setIssuedAt()
        .setExpirationTime(`${continueTokenSeconds}s`)
        .sign(key());
      return {
        continue_url: continueUrlOf(claims),
        continue_fields: { state, session_token: sessionToken },
      };
    },
  });

  return {
    async send(request) {
      if (request.method !== "POST") return sendHandler.send(request);
      // Unsigned, expired or no secret configured: core's handler answers it (401, or 500 for the
      // missing secret) before reading any body.
      const claims = await claimsOf(request).catch(() => undefined);
      if (!claims) return sendHandler.send(request);
      // CORE-SEAM: core's `Identity` should carry a server-trusted `phone` that its send uses
      // instead of the body's. Until then the body is replaced with the token's number here.
      let phone: string | undefined;
      try {
        phone = await phoneOf(claims, request);
      } catch (error) {
        return lookupFailure(error, httpOptions.onError);
      }
      const headers = new Headers(request.headers);
      headers.delete("content-length");
      headers.set("content-type", "application/json");
      const trusted = new Request(request.url, {
        method: "POST",
        headers,
        body: JSON.stringify(phone ? { phone } : {}),
      });
      verified.set(trusted, Promise.resolve(claims));
      return sendHandler.send(trusted);
    },
    check: (request) => checkHandler.check(request),
  };
}

/** Your `phone` lookup failed: answered like core answers any failure (a 500 says nothing more). */
function lookupFailure(error: unknown, onError: ((error: unknown) => void) | undefined): Response {
  const failure = publicError(error);
  if (failure.status >= 500) (onError ?? ((cause: unknown) => console.error("otpkit:", cause)))(error);
  const body = failure.status === 500 ? publicError(undefined) : failure;
  return Response.json(
    { error: body.toJSON() },
    { status: failure.status, headers: { "cache-control": "no-store", "x-content-type-options": "nosniff" } },
  );
}

function stateOf(request: Request): string {
  const state = request.headers.get(stateHeader);
  if (!state || !statePattern.test(state))
    throw new OtpError("invalid_request", `Send Auth0's state (from the page's URL) in ${stateHeader}.`, {
      field: "state",
    });
  return state;
}

/** The signed `/continue` URL: the Action's `continue_uri`, else the tenant host (`iss`). */
function continueUrlOf(claims: StepUpClaims): string {
  const candidate =
    claims.continue_uri ?? (typeof claims.iss === "string" ? `https://${claims.iss}/continue` : undefined);
  try {
    const url = new URL(candidate ?? "");
    const secure = url.protocol === "https:" || (url.protocol === "http:" && isLoopback(url.hostname));
    if (secure && url.pathname === "/continue" && !url.username && !url.password)
      return `${url.origin}/continue`;
  } catch {}
  throw new OtpError("invalid_config", "The session token names no https …/continue URL.");
}
