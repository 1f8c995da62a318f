/**
 * The claims the two halves of the step-up agree on: the post-login Action (which only signs and
 * checks through Auth0's `api.redirect`) and the verify page's handler (which signs and checks
 * with `jose`). No dependency, so the Action bundle stays small.
 *
 * Both tokens are HS256 under the same shared secret, so each says what it is for (`otpkit`): the
 * session token Auth0 hands the page can never pass as the page's answer, nor the other way round.
 */

/** The claim naming a token's use. */
export const useClaim = "otpkit";
/** The session token Auth0 signs for the verify page: "text this user a code". */
export const sessionTokenUse = "step_up";
/** The token the verify page signs for `/continue`: "this user entered the right code". */
export const verifiedTokenUse = "step_up_verified";
/** The query parameter Auth0 sends the session token in, and `/continue` receives the answer in. */
export const tokenParameter = "session_token";
/** Shared secrets shorter than this are refused: HS256 is only as strong as its key. */
export const minSecretBytes = 32;

export const secretLongEnough = (secret: unknown): secret is string =>
  typeof secret === "string" && new TextEncoder().encode(secret).length >= minSecretBytes;

/** Plain http is allowed only to this machine: a local stand-in for Auth0 (the example's demo). */
export const isLoopback = (hostname: string): boolean =>
  hostname === "localhost" || hostname === "127.0.0.1" || hostname === "[::1]";
