import { createSendRoute } from "@otpkit/next-auth";
import { clientIpFrom, noIpLimit } from "@/lib/client-ip";
import { getOtp } from "@/lib/otp";
import { logServerError } from "@/lib/otp-log";

/**
 * POST /api/otp/send {phone} → sends a login code. App Router handlers cannot see the client's
 * socket, so the client IP (for per-IP limits) comes from where this app runs — see lib/client-ip.ts.
 * Without one, every send shares one conservative budget (SMS_RATE_LIMIT_NO_IP per 10 minutes).
 */
export const { POST } = createSendRoute(getOtp, {
  trustProxy: Number(process.env.TRUST_PROXY ?? 0),
  ...clientIpFrom(process.env),
  ...noIpLimit(process.env),
  // One line per provider or store outage, with its error code (not a stack).
  onError: logServerError,
});
