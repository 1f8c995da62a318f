import { useMemo } from "react";
import { errorMessage, type OtpErrorInfo, type OtpMessages } from "./messages.js";
import { useResendCountdown } from "./use-resend-countdown.js";

/** When an error's wait ends (ms since the epoch), or `undefined` for an error with no wait. */
export function retryDeadline(error: OtpErrorInfo | undefined, now = Date.now()): number | undefined {
  if (!error) return undefined;
  if (error.retryAt !== undefined) return error.retryAt;
  return error.retryAfter ? now + error.retryAfter * 1000 : undefined;
}

/**
 * An error with its waits counted down live: the `retryAfter` of a rate limit (the error is
 * gone when it reaches 0: the request can be made again), and the lockout's time to a new code.
 */
export function useLiveError(error: OtpErrorInfo | undefined): {
  /** The error with `retryAfter` and `resendIn` as they are now; `undefined` once its wait is over. */
  live: OtpErrorInfo | undefined;
  /** Seconds until the request can be made again; 0 when it can. */
  waiting: number;
} {
  // One deadline per error: a re-render (or a remount with `retryAt` set) never restarts the wait.
  const until = useMemo(() => retryDeadline(error), [error]);
  const { secondsLeft } = useResendCountdown(until);
  const resend = useResendCountdown(error?.resendAt);
  if (!error) return { live: undefined, waiting: 0 };
  if (until !== undefined && secondsLeft === 0) return { live: undefined, waiting: 0 };
  return {
    live: {
      ...error,
      ...(until !== undefined ? { retryAfter: secondsLeft } : {}),
      ...(error.resendAt !== undefined ? { resendIn: resend.secondsLeft } : {}),
    },
    waiting: secondsLeft,
  };
}

export interface ErrorTextProps {
  id: string;
  error: OtpErrorInfo | undefined;
  messages?: OtpMessages | undefined;
}

/**
 * The error line under a field. Screen readers hear the message once, as it first reads (the
 * `alert`); the countdown people see ticks beside it, hidden from them — a sentence re-announced
 * every second would drown everything else.
 */
export function ErrorText({ id, error, messages }: ErrorTextProps) {
  const { live } = useLiveError(error);
  const counting = live !== undefined && Boolean(live.retryAfter || live.resendIn);
  // The text as the error arrived: what the alert announces.
  const first = useMemo(() => {
    if (!error) return null;
    const now = Date.now();
    const left = (until: number | undefined) =>
      until === undefined ? undefined : Math.max(0, Math.ceil((until - now) / 1000));
    const retryAfter = left(retryDeadline(error, now));
    const resendIn = left(error.resendAt);
    return errorMessage(
      {
        ...error,
        ...(retryAfter !== undefined ? { retryAfter } : {}),
        ...(resendIn !== undefined ? { resendIn } : {}),
      },
      messages,
    );
  }, [error, messages]);
  const now = live ? errorMessage(live, messages) : null;
  return (
    <>
      <p className={counting ? "otpkit-sr-only" : "otpkit-error"} id={id} role="alert">
        {live ? (counting ? first : now) : null}
      </p>
      {counting ? (
        <p className="otpkit-error otpkit-countdown" aria-hidden="true">
          {now}
        </p>
      ) : null}
    </>
  );
}
