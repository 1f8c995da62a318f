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
 * Counts down to `availableAt` (the send answer's `resend_available_at`), ticking once a second on
 * the deadline's own second boundaries, recomputed from the clock each time.
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
    if (until === undefined || tick() === 0) return;
    // Each tick lands on a whole second before the deadline, not a second after the last
    // tick: every countdown to the same instant (the Resend button, the lockout text) changes at
    // the same moment, and a throttled background tab never drifts.
    let timer: ReturnType<typeof setTimeout>;
    const schedule = () => {
      const untilNextSecond = (until - clock.current()) % 1000;
      timer = setTimeout(
        () => {
          const left = tick();
          setSecondsLeft(left);
          if (left > 0) schedule();
        },
        untilNextSecond > 0 ? untilNextSecond : 1000,
      );
    };
    schedule();
    return () => clearTimeout(timer);
  }, [until]);

  return { secondsLeft, ready: secondsLeft === 0 };
}
