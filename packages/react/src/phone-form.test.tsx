import { fireEvent, render, screen } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { PhoneForm } from "./phone-form.js";

describe("PhoneForm", () => {
  it("has a labelled, described tel input with phone autofill", () => {
    render(<PhoneForm onSubmit={() => {}} />);
    const input = screen.getByLabelText("Phone number");
    expect(input.getAttribute("type")).toBe("tel");
    expect(input.getAttribute("autocomplete")).toBe("tel");
    expect(input.getAttribute("aria-describedby")).toContain(screen.getByText(/country code/).id);
    expect(document.activeElement).toBe(input);
  });

  it("submits the number in E.164, with what was typed", () => {
    const onSubmit = vi.fn();
    render(<PhoneForm onSubmit={onSubmit} />);
    fireEvent.change(screen.getByLabelText("Phone number"), { target: { value: " +1 415 555 0123 " } });
    fireEvent.click(screen.getByRole("button", { name: "Send code" }));
    expect(onSubmit).toHaveBeenCalledExactlyOnceWith("+14155550123", {
      typed: "+1 415 555 0123",
      country: expect.any(String),
    });
  });

  it("refuses an empty number without a request", () => {
    const onSubmit = vi.fn();
    render(<PhoneForm onSubmit={onSubmit} />);
    fireEvent.click(screen.getByRole("button", { name: "Send code" }));
    expect(onSubmit).not.toHaveBeenCalled();
    expect(screen.getByRole("alert").textContent).toMatch(/valid phone number/);
    expect(screen.getByLabelText("Phone number").getAttribute("aria-invalid")).toBe("true");
  });

  it("shows the server's error by code, with app messages, and a busy button while sending", () => {
    const { rerender } = render(
      <PhoneForm onSubmit={() => {}} error={{ code: "rate_limited", retryAfter: 120 }} />,
    );
    expect(screen.getByRole("alert").textContent).toBe("Too many codes requested. Try again in 2:00.");
    rerender(
      <PhoneForm onSubmit={() => {}} error={{ code: "blocked" }} messages={{ blocked: "Pays non servi." }} />,
    );
    expect(screen.getByRole("alert").textContent).toBe("Pays non servi.");
    rerender(<PhoneForm onSubmit={() => {}} pending />);
    expect((screen.getByRole("button", { name: "Sending…" }) as HTMLButtonElement).disabled).toBe(true);
  });
});
