import type { SendRouteOptions } from "@otpkit/next-auth";

type Env = Record<string, string | undefined>;

/**
 * Where the client IP comes from, per host — a header only your platform can set:
 *
 * | where the app runs                        | set                                             |
 * | ----------------------------------------- | ----------------------------------------------- |
 * | Vercel                                    | `OTP_CLIENT_IP_HEADER=x-real-ip`                 |
 * | Cloudflare in front                       | `OTP_CLIENT_IP_HEADER=cf-connecting-ip`          |
 * | nginx / a load balancer appending XFF     | `TRUST_PROXY=1` (one proxy; more if chained)     |
 * | `next start` alone, nothing in front      | nothing: no header can be trusted; the no-IP budget applies |
 *
 * Never name a header a client can write itself when nothing in front overwrites it.
 */
export function clientIpFrom(env: Env): Pick<SendRouteOptions, "getClientIp"> {
  const header = env.OTP_CLIENT_IP_HEADER?.trim().toLowerCase();
  return header ? { getClientIp: (request: Request) => request.headers.get(header) ?? undefined } : {};
}

/** `SMS_RATE_LIMIT_NO_IP`: sends per 10 minutes shared by every send without a client IP (default 30). */
export function noIpLimit(env: Env): Pick<SendRouteOptions, "withoutIpLimit"> {
  const limit = Number(env.SMS_RATE_LIMIT_NO_IP);
  return Number.isInteger(limit) && limit > 0 ? { withoutIpLimit: [{ limit, windowSeconds: 600 }] } : {};
}
