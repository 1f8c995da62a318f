"use client";

import { useSignIn } from "@clerk/nextjs";
import { OtpClientError, OtpFlow } from "@otpkit/react";
import { useRouter } from "next/navigation";
import { errorFrom } from "@/lib/client-error";

/**
 * otpkit checks the code (PATCH /api/sign-in/phone) and answers a short-lived sign-in token; Clerk's
 * ticket strategy turns it into a session.
 */
export function PhoneSignIn() {
  const { signIn } = useSignIn();
  const router = useRouter();
  return (
    <OtpFlow
      sendUrl="/api/sign-in/phone"
      verify={async ({ phone, code, id }) => {
        const response = await fetch("/api/sign-in/phone", {
          method: "PATCH",
          headers: { "content-type": "application/json" },
          // The verification id: without a session, only the page that asked for the code can check it.
          body: JSON.stringify({ phone, id, code }),
        });
        if (!response.ok) throw await errorFrom(response);
        const { ticket } = (await response.json()) as { ticket: string };
        const ticketed = await signIn.ticket({ ticket });
        if (ticketed.error) throw new OtpClientError({ code: "unknown", message: ticketed.error.message });
        const finalized = await signIn.finalize();
        if (finalized.error) throw new OtpClientError({ code: "unknown", message: finalized.error.message });
      }}
      onVerified={() => router.replace("/settings")}
    />
  );
}
