import { defaultLabels, type OtpLabels } from "./labels.js";
import { useResendCountdown } from "./use-resend-countdown.js";

export interface ResendButtonProps {
  /** When a new code may be requested: the send answer's `resend_available_at`. */
  availableAt: Date | string | number | undefined;
  onResend: () => void;
  /** A send is in flight. Default: false. */
  pending?: boolean;
  /** Interface text. Default: `defaultLabels`. */
  labels?: Partial<OtpLabels>;
  /** Milliseconds since the epoch. Default: `Date.now`. */
  now?: () => number;
  /** Replaces the button's `otpkit-link otpkit-resend` classes. */
  className?: string;
}

/**
 * "Resend code in 0:42", enabled when the server's cooldown is over. The ticking text stays out of
 * the live region (a screen reader reading every second is noise); the moment it unlocks is announced.
 */
export function ResendButton({
  availableAt,
  onResend,
  pending = false,
  labels: labelOverrides,
  now,
  className = "otpkit-link otpkit-resend",
}: ResendButtonProps) {
  const labels = { ...defaultLabels, ...labelOverrides };
  const { secondsLeft, ready } = useResendCountdown(availableAt, now ? { now } : {});
  return (
    <>
      <button className={className} type="button" disabled={!ready || pending} onClick={onResend}>
        {ready ? labels.resend : labels.resendIn(secondsLeft)}
      </button>
      <span className="otpkit-sr-only" aria-live="polite">
        {ready && availableAt !== undefined ? labels.resendReady : ""}
      </span>
    </>
  );
}
