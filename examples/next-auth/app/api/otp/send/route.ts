import { createSendRoute } from "@otpkit/next-auth";
import { getOtp } from "@/lib/otp";

/**
 * POST /api/otp/send {phone} → sends a login code. App Router handlers cannot see the client's
 * socket, so per-IP limits need a trusted proxy: set TRUST_PROXY to the number of proxies in front
 * of the app (1 behind Vercel, nginx or a load balancer). Left at 0, only per-phone limits apply.
 */
export const { POST } = createSendRoute(getOtp, { trustProxy: Number(process.env.TRUST_PROXY ?? 0) });
