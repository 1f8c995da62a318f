import { createSmsWebhook } from "@otpkit/clerk";
import { getOtp } from "@/lib/otp";

// Mode B: Clerk's `sms.created` webhook (Delivered by Clerk turned off). The signing secret is read
// from CLERK_WEBHOOK_SIGNING_SECRET on each request.
export const POST = createSmsWebhook({ otp: getOtp });
