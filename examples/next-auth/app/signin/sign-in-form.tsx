"use client";

import { OtpFlow } from "@otpkit/react";
import { useRouter } from "next/navigation";
import { signIn } from "next-auth/react";

export function SignInForm() {
  const router = useRouter();
  return (
    <OtpFlow
      sendUrl="/api/otp/send"
      // NextAuth answers { error: "invalid_code" | "too_many_attempts" | … } on refusal; OtpFlow
      // shows the message for that code (override them with the `messages` prop to localize).
      // The verification id the send answered goes with the code: without it nobody (not even
      // someone who knows the number) can check or spend this code.
      verify={({ phone, code, id }) => signIn("sms-otp", { phone, code, id, redirect: false })}
      onVerified={() => {
        router.replace("/account");
        router.refresh();
      }}
    />
  );
}
