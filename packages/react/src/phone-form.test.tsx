import { act, fireEvent, render, screen } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { PhoneForm } from "./phone-form.js";
import { loadPhoneLibrary } from "./phone-format.js";

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

describe("PhoneForm: countries, national numbers and waits", () => {
  const field = () => screen.getByLabelText("Phone number") as HTMLInputElement;
  const ready = () => act(() => loadPhoneLibrary().then(() => {}));

  it("formats a national number as typed and sends it in E.164 for the selected country", async () => {
    const onSubmit = vi.fn();
    render(<PhoneForm onSubmit={onSubmit} countries="US,CA,GB" defaultCountry="US" />);
    await ready();
    expect(screen.getByRole("button", { name: "Country: United States, +1" })).toBeTruthy();
    fireEvent.change(field(), { target: { value: "4155550123" } });
    expect(field().value).toBe("(415) 555-0123");
    fireEvent.click(screen.getByRole("button", { name: "Send code" }));
    expect(onSubmit).toHaveBeenCalledExactlyOnceWith("+14155550123", {
      typed: "(415) 555-0123",
      country: "US",
    });
  });

  it("takes a number typed with + whatever the selector says, and the selector follows it", async () => {
    const onSubmit = vi.fn();
    render(<PhoneForm onSubmit={onSubmit} countries={["US", "CA", "GB"]} defaultCountry="US" />);
    await ready();
    fireEvent.change(field(), { target: { value: "+447700900123" } });
    expect(field().value).toBe("+44 7700 900123");
    expect(screen.getByRole("button", { name: "Country: United Kingdom, +44" })).toBeTruthy();
    fireEvent.click(screen.getByRole("button", { name: "Send code" }));
    expect(onSubmit).toHaveBeenCalledWith("+447700900123", { typed: "+44 7700 900123", country: "GB" });
  });

  it("reads a national number in the country picked from the selector", async () => {
    const onSubmit = vi.fn();
    render(<PhoneForm onSubmit={onSubmit} countries={["US", "GB"]} defaultCountry="US" />);
    await ready();
    fireEvent.click(screen.getByRole("button", { name: /^Country:/ }));
    fireEvent.mouseDown(screen.getByRole("option", { name: /United Kingdom/ }));
    fireEvent.change(field(), { target: { value: "07700900123" } });
    fireEvent.click(screen.getByRole("button", { name: "Send code" }));
    expect(onSubmit).toHaveBeenCalledWith("+447700900123", { typed: "07700 900123", country: "GB" });
  });

  it("counts a rate limit down live with Send disabled, then lets the person try again", async () => {
    vi.useFakeTimers({
      now: new Date("2030-01-01T00:00:00Z"),
      toFake: ["Date", "setTimeout", "clearTimeout"],
    });
    try {
      const onSubmit = vi.fn();
      render(
        <PhoneForm
          onSubmit={onSubmit}
          defaultValue="+14155550123"
          error={{ code: "rate_limited", source: "provider", retryAfter: 3 }}
        />,
      );
      const shown = () => document.querySelector(".otpkit-countdown")?.textContent;
      expect(shown()).toBe(
        "Our text message service is busy right now — not something you did. Try again in 3 seconds.",
      );
      // Announced once, as it arrived; the ticking copy is hidden from screen readers.
      expect(screen.getByRole("alert").textContent).toMatch(/3 seconds/);
      const send = screen.getByRole("button", { name: "Send code" }) as HTMLButtonElement;
      expect(send.disabled).toBe(true);
      act(() => vi.advanceTimersByTime(1000));
      expect(shown()).toMatch(/Try again in 2 seconds\.$/);
      fireEvent.click(send);
      expect(onSubmit).not.toHaveBeenCalled();
      act(() => vi.advanceTimersByTime(2000));
      expect(shown()).toBeUndefined();
      expect(screen.getByRole("alert").textContent).toBe("");
      expect(send.disabled).toBe(false);
    } finally {
      vi.useRealTimers();
    }
  });
});
