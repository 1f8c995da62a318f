"use client";

import { OtpFlow } from "@otpkit/react";
import { useRouter } from "next/navigation";
import { signIn } from "next-auth/react";

export interface SignInFormProps {
  /** The countries the server sends to (`OTP_COUNTRIES`), for the country selector. */
  countries: string;
  /** The selector's first country (`OTP_DEFAULT_COUNTRY`). */
  defaultCountry: string;
}

export function SignInForm({ countries, defaultCountry }: SignInFormProps) {
  const router = useRouter();
  return (
    <OtpFlow
      sendUrl="/api/otp/send"
      countries={countries}
      defaultCountry={defaultCountry}
      // The interface follows the browser's languages; the SMS comes in the same language.
      sendLocale
      // NextAuth answers { error: "invalid_code;attempts_left=2" | "too_many_attempts" | … } on
      // refusal; OtpFlow shows the text for that code, in the page's language.
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
