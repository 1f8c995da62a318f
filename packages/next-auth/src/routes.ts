import type { IncomingMessage, ServerResponse } from "node:http";
import { createOtpHandler, type OtpHandlerOptions, type OtpSource, type Purpose } from "@otpkit/otp-core";
import { createNodeOtpHandler } from "@otpkit/otp-core/node";

export interface SendRouteOptions<NativeRequest = Request>
  extends Pick<
    OtpHandlerOptions<NativeRequest>,
    "cors" | "maxBodyBytes" | "onError" | "onWarning" | "getClientIp" | "withoutIpLimit"
  > {
  /**
   * The purpose every code from this route is sent for; the body's `purpose` is ignored so the route
   * and `SmsOtpProvider` cannot disagree. Default: `"login"`.
   */
  purpose?: Purpose;
  /**
   * Reverse proxies in front of the app that append to `X-Forwarded-For` (Vercel, a load balancer,
   * nginx…): the client IP for per-IP limits is read that many entries from the right. Keep `0` when
   * nothing trusted sits in front: `next start` only fills the header when the client did not, so a
   * client can write it. Default: `0` (the header is ignored).
   */
  trustProxy?: number;
}

/**
 * App Router: `app/api/otp/send/route.ts` → `export const { POST } = createSendRoute(otp)`.
 * `POST {phone}` answers `{id, phone, status, expires_at, masked_phone, resend_available_at}` or
 * `{error: {code, message, …}}` with its status (and `Retry-After` on 429). Route handlers cannot
 * see the socket: give `getClientIp` (a header your host guarantees) or `trustProxy` for per-IP
 * limits; without either they are skipped (per-phone limits still apply).
 */
export function createSendRoute(otp: OtpSource, options: SendRouteOptions<Request> = {}) {
  const { purpose = "login", ...handlerOptions } = options;
  if (!options.getClientIp && !options.trustProxy) {
    // Said once, at start: App Router handlers cannot see the socket.
    (options.onWarning ?? ((message: string) => console.warn(`otpkit: ${message}`)))(
      'createSendRoute has no client IP source (getClientIp or trustProxy), so per-IP limits cannot apply; every send shares the no-IP budget (withoutIpLimit, default 30 per 10 minutes). Read the IP from a header your host guarantees — see the README\'s "Client IP".',
    );
    handlerOptions.onWarning = () => {};
  }
  const handler = createOtpHandler(otp, { ...handlerOptions, purpose });
  // biome-ignore lint/correctness/noComponentHookFactories: Next.js names route handlers after HTTP methods.
  return { POST: (request: Request) => handler.send(request) };
}

/**
 * Pages Router: `pages/api/otp/send.ts` → `export default createPagesSendHandler(otp)`. The IP is
 * the socket's (or `getClientIp`'s, or the proxy header's with `trustProxy`). With Next's body
 * parser on, the parsed body is re-serialised under the same size cap; `export const config =
 * { api: { bodyParser: false } }` lets the core read the raw body itself.
 */
export function createPagesSendHandler(
  otp: OtpSource,
  options: SendRouteOptions<IncomingMessage> = {},
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const { purpose = "login", ...handlerOptions } = options;
  return createNodeOtpHandler(otp, { ...handlerOptions, purpose }).send;
}
