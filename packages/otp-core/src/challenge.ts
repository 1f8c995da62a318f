/**
 * Bot checks for sends, verified server-side over `fetch` (never trust the browser's word):
 * Cloudflare Turnstile, hCaptcha and reCAPTCHA all take `secret`, `response` (the widget's token)
 * and `remoteip` on a siteverify endpoint and answer `{ success, … }`.
 */
import { OtpError } from "./errors.js";

/** Says whether a widget's token is genuine for this request. */
export type ChallengeVerifier = (token: string, context: { ip?: string | undefined }) => Promise<boolean>;

export interface SiteVerifyOptions {
  /** The secret key from the provider's dashboard. */
  secret: string;
  /** The siteverify URL. Default: the provider's. */
  url?: string;
  /** Milliseconds before the check counts as failed. Default: 5000. */
  timeoutMs?: number;
  /** Default: `globalThis.fetch`. */
  fetch?: typeof globalThis.fetch;
}

function siteVerify(
  defaultUrl: string,
  { secret, url = defaultUrl, timeoutMs = 5000, fetch = globalThis.fetch }: SiteVerifyOptions,
  accept: (reply: Record<string, unknown>) => boolean = (reply) => reply.success === true,
): ChallengeVerifier {
  if (!secret) throw new TypeError("A challenge verifier needs its secret key.");
  return async (token, { ip }) => {
    if (typeof token !== "string" || !token || token.length > 4096) return false;
    const form = new URLSearchParams({ secret, response: token });
    if (ip) form.set("remoteip", ip.replace(/::\/64$/, "::"));
    try {
      const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: form,
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (!response.ok) return false;
      return accept((await response.json()) as Record<string, unknown>);
    } catch {
      // The provider did not answer: no proof of a human, so no send.
      return false;
    }
  };
}

/** Cloudflare Turnstile. */
export const turnstile = (options: SiteVerifyOptions): ChallengeVerifier =>
  siteVerify("https://challenges.cloudflare.com/turnstile/v0/siteverify", options);

/** hCaptcha. */
export const hcaptcha = (options: SiteVerifyOptions): ChallengeVerifier =>
  siteVerify("https://api.hcaptcha.com/siteverify", options);

/** Google reCAPTCHA (v2, or v3 with `minScore`: scores below it fail). */
export const recaptcha = (options: SiteVerifyOptions & { minScore?: number }): ChallengeVerifier =>
  siteVerify(
    "https://www.google.com/recaptcha/api/siteverify",
    options,
    (reply) =>
      reply.success === true &&
      (options.minScore === undefined || typeof reply.score !== "number" || reply.score >= options.minScore),
  );

/**
 * The challenge step of a send: with `guard.challenge` configured, a given token must be genuine
 * (else `challenge_required`, reason `invalid_token`); without one, `when: "always"` refuses at once
 * and `when: "risk"` answers whether the risk rule must be counted (refused by the store once the
 * requester passes `riskAfter`; a requester without an IP is always at risk). Returns whether to
 * count the risk rule.
 */
export async function challenged(
  engine: { guard: { challenge: false | { verifier: ChallengeVerifier; when: "always" | "risk" } } },
  token: unknown,
  ip: string | undefined,
): Promise<boolean> {
  const challenge = engine.guard.challenge;
  if (!challenge) return false;
  if (token !== undefined) {
    if (typeof token === "string" && (await challenge.verifier(token, { ip }))) return false;
    throw new OtpError("challenge_required", "The check did not pass: try it again.", {
      field: "captcha_token",
      reason: "invalid_token",
    });
  }
  if (challenge.when === "always" || ip === undefined)
    throw new OtpError("challenge_required", "Complete the check first (send captcha_token).", {
      field: "captcha_token",
    });
  return true;
}
