import { act, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ResendButton } from "./resend-button.js";

describe("ResendButton", () => {
  beforeEach(() => vi.useFakeTimers({ now: new Date("2030-01-01T00:00:00Z") }));
  afterEach(() => vi.useRealTimers());

  it("counts down to resend_available_at, then unlocks and announces it", () => {
    const onResend = vi.fn();
    render(<ResendButton availableAt="2030-01-01T00:01:00Z" onResend={onResend} />);
    const button = screen.getByRole("button") as HTMLButtonElement;
    expect(button.textContent).toBe("Resend code in 1:00");
    expect(button.disabled).toBe(true);
    expect(screen.getByRole("button", { name: "Resend code in 1:00" })).toBe(button);
    act(() => vi.advanceTimersByTime(18_000));
    expect(button.textContent).toBe("Resend code in 0:42");
    fireEvent.click(button);
    expect(onResend).not.toHaveBeenCalled();
    act(() => vi.advanceTimersByTime(42_000));
    expect(button.textContent).toBe("Resend code");
    expect(button.disabled).toBe(false);
    expect(document.querySelector("[aria-live=polite]")!.textContent).toBe("You can request a new code now.");
    fireEvent.click(button);
    expect(onResend).toHaveBeenCalledOnce();
  });

  it("restarts when a new send moves resend_available_at, and stays disabled while sending", () => {
    const { rerender } = render(<ResendButton availableAt="2029-12-31T23:59:00Z" onResend={() => {}} />);
    expect((screen.getByRole("button") as HTMLButtonElement).disabled).toBe(false);
    rerender(<ResendButton availableAt="2029-12-31T23:59:00Z" onResend={() => {}} pending />);
    expect((screen.getByRole("button") as HTMLButtonElement).disabled).toBe(true);
    rerender(<ResendButton availableAt="2030-01-01T00:00:30Z" onResend={() => {}} />);
    expect(screen.getByRole("button").textContent).toBe("Resend code in 0:30");
  });
});
