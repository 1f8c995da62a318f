import { useEffect, useRef, useState } from "react";

export interface ResendCountdown {
  /** Whole seconds until a resend is allowed; 0 when it is. */
  secondsLeft: number;
  /** True once the cooldown is over (or when there is none). */
  ready: boolean;
}

export interface UseResendCountdownOptions {
  /** Milliseconds since the epoch. Default: `Date.now`. Inject for tests. */
  now?: () => number;
}

const remaining = (until: number | undefined, now: number) =>
  until === undefined ? 0 : Math.max(0, Math.ceil((until - now) / 1000));

/**
 * Counts down to `availableAt` (the send answer's `resend_available_at`), ticking once a second.
 * Each tick recomputes from the clock, so a throttled background tab never drifts.
 */
export function useResendCountdown(
  availableAt: Date | string | number | undefined,
  { now = Date.now }: UseResendCountdownOptions = {},
): ResendCountdown {
  const until = availableAt === undefined ? undefined : new Date(availableAt).getTime();
  const [secondsLeft, setSecondsLeft] = useState(() => remaining(until, now()));
  // A ref, so that an inline clock function does not restart the timer on every render.
  const clock = useRef(now);
  clock.current = now;

  useEffect(() => {
    const tick = () => remaining(until, clock.current());
    setSecondsLeft(tick());
    if (tick() === 0) return;
    const timer = setInterval(() => {
      const left = tick();
      setSecondsLeft(left);
      if (left === 0) clearInterval(timer);
    }, 1000);
    return () => clearInterval(timer);
  }, [until]);

  return { secondsLeft, ready: secondsLeft === 0 };
}
