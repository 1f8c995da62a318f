/**
 * The SMS step-up, Auth0 side: a post-login Action that sends the user to your verify page with a
 * signed session token, and accepts them back only with the page's signed answer.
 *
 *   onExecutePostLogin   your rule says "SMS step-up" → api.redirect.encodeToken (sub = user id,
 *                        the phone, the /continue URL) → api.redirect.sendUserTo(page, session_token)
 *   (your page)          createStepUpHandler: texts a code bound to that user id, checks it, signs
 *                        { sub, state } for /continue
 *   onContinuePostLogin  api.redirect.validateToken (signature, expiry, state) + the user and the
 *                        token's use → api.authentication.recordMethod, else api.access.deny
 *
 * Auth0 never sees the code; the page never trusts a user id it did not get signed.
 */
import {
  isLoopback,
  secretLongEnough,
  sessionTokenUse,
  tokenParameter,
  useClaim,
  verifiedTokenUse,
} from "./step-up-claims.js";
import type { PostLoginApi, PostLoginEvent } from "./types.js";

/** A fixed value, or one read from the event (usually `event.secrets`). */
export type Setting<T> = T | ((event: PostLoginEvent) => T);

export interface StepUpOptions {
  /**
   * The HS256 key shared with the verify page, at least 32 bytes, e.g.
   * `(event) => event.secrets.STEP_UP_SECRET`. Required; when missing or short, users who need the
   * step-up are denied (never let through).
   */
  secret: Setting<string | undefined>;
  /** Your verify page, e.g. `(event) => event.secrets.STEP_UP_URL`. Required (`https:`; `http:` only for localhost). */
  url: Setting<string | undefined>;
  /**
   * Who must pass the step-up: the app's rule. Default: `event.user.app_metadata.sms_2fa_enabled === true`.
   */
  enabled?: (event: PostLoginEvent) => boolean | Promise<boolean>;
  /** The number the page texts. Default: `event.user.phone_number`; none → denied. */
  phone?: (event: PostLoginEvent) => string | undefined;
  /** Lifetime of the session token the page gets, in seconds. Default: `600`. */
  tokenSeconds?: number;
  /**
   * Seconds a completed step-up counts for in the same Auth0 session (from
   * `event.authentication.methods`). Default: `0` — every login asks again.
   */
  rememberSeconds?: Setting<number>;
  /** The URL `api.authentication.recordMethod` records. Default: the verify page's URL without its query. */
  methodUrl?: Setting<string | undefined>;
  /**
   * Where the page sends the user back. Default: `https://{event.request.hostname}/continue` — the
   * host the login runs on (your custom domain, when used), where Auth0's state cookie lives.
   */
  continueUrl?: Setting<string | undefined>;
  /** Milliseconds since the epoch, for `rememberSeconds`. Default: `Date.now`. */
  clock?: () => number;
}

export interface StepUp {
  onExecutePostLogin(event: PostLoginEvent, api: PostLoginApi): Promise<void>;
  onContinuePostLogin(event: PostLoginEvent, api: PostLoginApi): Promise<void>;
}

const read = <T>(setting: Setting<T>, event: PostLoginEvent): T =>
  typeof setting === "function" ? (setting as (event: PostLoginEvent) => T)(event) : setting;

/** What the person reads when the step-up cannot start or did not succeed. */
export const denyReasons = {
  misconfigured: "SMS verification is not available right now. Please contact support.",
  noPhone: "SMS verification is required, but this account has no phone number.",
  failed: "SMS verification did not succeed. Please sign in again.",
} as const;

/** Auth0's `/continue` on the login host; plain http only for a local stand-in on this machine. */
function defaultContinueUrl(hostname: string | undefined): string | undefined {
  if (!hostname) return undefined;
  const local = isLoopback(hostname.replace(/:\d+$/, ""));
  return `${local ? "http" : "https"}://${hostname}/continue`;
}

function redirectTarget(value: unknown): URL | undefined {
  if (typeof value !== "string") return undefined;
  try {
    const url = new URL(value);
    return url.protocol === "https:" || (url.protocol === "http:" && isLoopback(url.hostname))
      ? url
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `module.exports = createStepUp({ secret, url })` in a post-login Action (both handlers must live
 * in the Action that redirects: Auth0 resumes the pipeline there).
 */
export function createStepUp(options: StepUpOptions): StepUp {
  const tokenSeconds = options.tokenSeconds ?? 600;
  if (!Number.isInteger(tokenSeconds) || tokenSeconds < 60 || tokenSeconds > 3600)
    throw new RangeError("tokenSeconds must be a whole number from 60 to 3600.");
  const enabled = options.enabled ?? ((event) => event.user.app_metadata?.sms_2fa_enabled === true);
  const phoneOf = options.phone ?? ((event) => event.user.phone_number);
  const clock = options.clock ?? Date.now;
  const methodUrlOf = (event: PostLoginEvent): string | undefined => {
    const configured = options.methodUrl === undefined ? undefined : read(options.methodUrl, event);
    const page = redirectTarget(configured ?? read(options.url, event));
    return page ? `${page.origin}${page.pathname}` : undefined;
  };

  return {
    async onExecutePostLogin(event, api) {
      if (!(await enabled(event))) return;
      const methodUrl = methodUrlOf(event);
      const remember = options.rememberSeconds === undefined ? 0 : read(options.rememberSeconds, event);
      if (methodUrl && remember > 0) {
        const since = clock() - remember * 1000;
        const recent = event.authentication?.methods?.some(
          (method) => method.name === methodUrl && Date.parse(method.timestamp) >= since,
        );
        if (recent) return;
      }
      const secret = read(options.secret, event);
      const page = redirectTarget(read(options.url, event));
      const continueUrl = redirectTarget(
        (options.continueUrl === undefined ? undefined : read(options.continueUrl, event)) ??
          defaultContinueUrl(event.request.hostname),
      );
      // Misconfigured means nobody who needs the step-up gets in: never a silent pass.
      if (!secretLongEnough(secret) || !page || !continueUrl || !methodUrl) {
        api.access.deny(denyReasons.misconfigured);
        return;
      }
      const phone = phoneOf(event);
      if (!phone) {
        api.access.deny(denyReasons.noPhone);
        return;
      }
      const sessionToken = api.redirect.encodeToken({
        secret,
        expiresInSeconds: tokenSeconds,
        payload: { [useClaim]: sessionTokenUse, phone, continue_uri: continueUrl.href },
      });
      api.redirect.sendUserTo(page.href, { query: { [tokenParameter]: sessionToken } });
    },

    async onContinuePostLogin(event, api) {
      const secret = read(options.secret, event);
      const methodUrl = methodUrlOf(event);
      if (!secretLongEnough(secret) || !methodUrl) {
        api.access.deny(denyReasons.misconfigured);
        return;
      }
      let claims: Record<string, unknown> | undefined;
      try {
        // Auth0 checks the HS256 signature, `exp`, and that the `state` claim is this login's state.
        claims = api.redirect.validateToken({ secret, tokenParameterName: tokenParameter });
      } catch {
        claims = undefined;
      }
      // Also this user, and the page's answer: the session token Auth0 itself signed (same secret,
      // no `state`) or a token made for someone else never counts.
      if (claims?.[useClaim] !== verifiedTokenUse || claims.sub !== event.user.user_id) {
        api.access.deny(denyReasons.failed);
        return;
      }
      api.authentication.recordMethod(methodUrl);
    },
  };
}
