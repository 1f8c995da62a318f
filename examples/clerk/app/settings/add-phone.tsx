"use client";

import { OtpFlow } from "@otpkit/react";
import { useRouter } from "next/navigation";
import { errorFrom } from "@/lib/client-error";

/** PATCH /api/phone { code }: the server finds the pending code by the signed-in user, not by a phone. */
async function verifyPhone({ code }: { code: string }) {
  const response = await fetch("/api/phone", {
    method: "PATCH",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ code }),
  });
  // phone_in_use (409): another account has the number; platform_error (502): Clerk failed after
  // the code was used. OtpFlow shows @otpkit/react's message for each.
  if (!response.ok) throw await errorFrom(response);
}

export function AddPhone() {
  const router = useRouter();
  return <OtpFlow sendUrl="/api/phone" verify={verifyPhone} onVerified={() => router.refresh()} />;
}
