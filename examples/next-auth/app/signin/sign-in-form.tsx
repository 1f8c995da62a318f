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
      verify={({ phone, code }) => signIn("sms-otp", { phone, code, redirect: false })}
      onVerified={() => {
        router.replace("/account");
        router.refresh();
      }}
    />
  );
}
