import type { ReactNode } from "react";

/** Every piece of interface text the components render, for localization. */
export interface OtpLabels {
  /** Default: "Phone number". */
  phone: string;
  /** Default: "Include your country code, e.g. +1 415 555 0123." */
  phoneHint: string;
  /** Default: "+1 415 555 0123". */
  phonePlaceholder: string;
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
  /** Announced while a code is checked. Default: "Checking the code…". */
  verifying: string;
  /** Default: "Resend code". */
  resend: string;
  /** The disabled resend button's countdown. Default: "Resend code in 0:42". */
  resendIn: (secondsLeft: number) => string;
  /** Announced to screen readers when the countdown ends. Default: "You can request a new code now." */
  resendReady: string;
  /** Default: "Use a different number". */
  changePhone: string;
  /** Default: "Verified." */
  verified: string;
}

const clock = (seconds: number) => `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;

export const defaultLabels: OtpLabels = {
  phone: "Phone number",
  phoneHint: "Include your country code, e.g. +1 415 555 0123.",
  phonePlaceholder: "+1 415 555 0123",
  sendCode: "Send code",
  sending: "Sending…",
  code: (length) => `Enter the ${length}-digit code`,
  digit: (position, length) => `Digit ${position} of ${length}`,
  sentTo: (maskedPhone) => (
    <>
      We sent a code to <strong>{maskedPhone}</strong>.
    </>
  ),
  verifying: "Checking the code…",
  resend: "Resend code",
  resendIn: (secondsLeft) => `Resend code in ${clock(secondsLeft)}`,
  resendReady: "You can request a new code now.",
  changePhone: "Use a different number",
  verified: "Verified.",
};
