import type { ReactNode } from "react";

/** Every piece of interface text the components render, for localization. */
export interface OtpLabels {
  /** Default: "Phone number". */
  phone: string;
  /** Default: "Choose your country, or start with + and the country code." */
  phoneHint: string;
  /** Shown in the empty phone field. Default: none. */
  phonePlaceholder: string;
  /** The country selector's accessible name, e.g. "Country: United States, +1". */
  country: (name: string, dialCode: string) => string;
  /** The search field in the country list. Default: "Search countries". */
  countrySearch: string;
  /** The country list's name. Default: "Countries". */
  countryList: string;
  /** Default: "No country matches." */
  noCountryMatch: string;
  /** Default: "Send code". */
  sendCode: string;
  /** Default: "Sending…". */
  sending: string;
  /** The code input's label. Default: "Enter the 6-digit code". */
  code: (length: number) => string;
  /** Each box's accessible name. Default: "Digit 1 of 6". */
  digit: (position: number, length: number) => string;
  /** Default: "We sent a code to +1 ***-***-0123." (the number in bold). */
  sentTo: (maskedPhone: string) => ReactNode;
  /** Default: "Verify". */
  verify: string;
  /** Announced while a code is checked, and the Verify button meanwhile. Default: "Checking the code…". */
  verifying: string;
  /** Default: "Resend code". */
  resend: string;
  /** The disabled resend button's countdown. Default: "Resend code in 0:42". */
  resendIn: (secondsLeft: number) => string;
  /** Announced to screen readers when the countdown ends. Default: "You can request a new code now." */
  resendReady: string;
  /** Shown after a resend succeeded. Default: "Code sent again." */
  codeResent: string;
  /** Default: "Use a different number". */
  changePhone: string;
  /** Default: "Verified." */
  verified: string;
}

/** "0:42": the resend countdown's clock. */
export const clock = (seconds: number) =>
  `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;

export const defaultLabels: OtpLabels = {
  phone: "Phone number",
  phoneHint: "Choose your country, or start with + and the country code.",
  phonePlaceholder: "",
  country: (name, dialCode) => `Country: ${name}, ${dialCode}`,
  countrySearch: "Search countries",
  countryList: "Countries",
  noCountryMatch: "No country matches.",
  sendCode: "Send code",
  sending: "Sending…",
  code: (length) => `Enter the ${length}-digit code`,
  digit: (position, length) => `Digit ${position} of ${length}`,
  sentTo: (maskedPhone) => (
    <>
      We sent a code to <strong>{maskedPhone}</strong>.
    </>
  ),
  verify: "Verify",
  verifying: "Checking the code…",
  resend: "Resend code",
  resendIn: (secondsLeft) => `Resend code in ${clock(secondsLeft)}`,
  resendReady: "You can request a new code now.",
  codeResent: "Code sent again.",
  changePhone: "Use a different number",
  verified: "Verified.",
};
