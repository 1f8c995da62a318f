import { act, render, screen } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { useResendCountdown } from "./use-resend-countdown.js";

function Probe({ until, name }: { until: number; name: string }) {
  const { secondsLeft, ready } = useResendCountdown(until);
  return <p data-testid={name}>{ready ? "ready" : secondsLeft}</p>;
}

describe("useResendCountdown", () => {
  beforeEach(() => vi.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => vi.useRealTimers());

  it("ticks on the deadline's second boundaries, so two countdowns to one instant change together", () => {
    const until = Date.now() + 2500;
    render(<Probe until={until} name="a" />);
    act(() => vi.advanceTimersByTime(300)); // mounted 300 ms later, as a second component would be
    render(<Probe until={until} name="b" />);
    const both = () => [screen.getByTestId("a").textContent, screen.getByTestId("b").textContent];
    expect(both()).toEqual(["3", "3"]);
    act(() => vi.advanceTimersByTime(199)); // 1 ms before 2 s are left
    expect(both()).toEqual(["3", "3"]);
    act(() => vi.advanceTimersByTime(1));
    expect(both()).toEqual(["2", "2"]);
    act(() => vi.advanceTimersByTime(2000));
    expect(both()).toEqual(["ready", "ready"]);
  });
});
