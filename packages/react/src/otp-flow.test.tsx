import { act, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { OtpClientError, type SentCode } from "./client.js";
import { OtpFlow } from "./otp-flow.js";

const sentCode = (resendInSeconds = 60): SentCode => ({
  id: "ver_l6abc",
  phone: "+14155550123",
  maskedPhone: "+1 ***-***-0123",
  expiresAt: new Date(Date.now() + 300_000),
  resendAvailableAt: new Date(Date.now() + resendInSeconds * 1000),
});

const enterPhone = async (phone = "+1 415 555 0123") => {
  fireEvent.change(screen.getByLabelText("Phone number"), { target: { value: phone } });
  fireEvent.click(screen.getByRole("button", { name: "Send code" }));
  await screen.findByRole("group", { name: "Enter the 6-digit code" });
};
const pasteCode = (code: string) =>
  act(async () => {
    fireEvent.paste(screen.getByLabelText("Digit 1 of 6"), { clipboardData: { getData: () => code } });
  });

describe("OtpFlow", () => {
  it("goes phone → code → verified, verifying with the normalized number", async () => {
    const send = vi.fn(async () => sentCode());
    const verify = vi.fn(async () => ({ error: null, ok: true, status: 200 }));
    const onVerified = vi.fn();
    render(<OtpFlow send={send} verify={verify} onVerified={onVerified} />);
    await enterPhone();
    // What goes to the server is E.164, however it was typed.
    expect(send).toHaveBeenCalledWith("+14155550123");
    expect(screen.getByText("+1 ***-***-0123")).toBeTruthy();
    expect(screen.getByRole("button", { name: /Resend code in 1:00/ })).toBeTruthy();
    await pasteCode("123456");
    expect(verify).toHaveBeenCalledExactlyOnceWith({
      phone: "+14155550123",
      code: "123456",
      id: "ver_l6abc",
    });
    expect(onVerified).toHaveBeenCalledOnce();
    expect(screen.getByRole("status").textContent).toBe("Verified.");
  });

  it("shows a wrong code (NextAuth's { error }) and starts the boxes over", async () => {
    const verify = vi.fn(async () => ({ error: "invalid_code", ok: false, status: 401 }));
    render(<OtpFlow send={async () => sentCode()} verify={verify} />);
    await enterPhone();
    await pasteCode("111111");
    expect(screen.getByRole("alert").textContent).toMatch(/That code isn't right/);
    const first = screen.getByLabelText("Digit 1 of 6") as HTMLInputElement;
    expect(first.value).toBe("");
    expect(first.disabled).toBe(false);
    expect(document.activeElement).toBe(first);
  });

  it("locks the boxes once the code is dead and lets a new code unlock them", async () => {
    const verify = vi.fn(async () => {
      throw new OtpClientError({ code: "too_many_attempts" });
    });
    const send = vi.fn(async () => sentCode(0));
    render(<OtpFlow send={send} verify={verify} />);
    await enterPhone();
    await pasteCode("111111");
    expect(screen.getByRole("alert").textContent).toMatch(/Too many wrong codes/);
    expect((screen.getByLabelText("Digit 1 of 6") as HTMLInputElement).disabled).toBe(true);
    await act(async () => {
      fireEvent.click(screen.getByRole("button", { name: "Resend code" }));
    });
    expect(send).toHaveBeenLastCalledWith("+14155550123");
    expect((screen.getByLabelText("Digit 1 of 6") as HTMLInputElement).disabled).toBe(false);
    expect(screen.getByRole("alert").textContent).toBe("");
  });

  it("shows send refusals on the phone step and keeps the number", async () => {
    const send = vi.fn(async () => {
      throw new OtpClientError({ code: "invalid_phone" });
    });
    render(<OtpFlow send={send} verify={async () => {}} />);
    fireEvent.change(screen.getByLabelText("Phone number"), { target: { value: "12" } });
    fireEvent.click(screen.getByRole("button", { name: "Send code" }));
    await waitFor(() => expect(screen.getByRole("alert").textContent).toMatch(/valid phone number/));
    expect((screen.getByLabelText("Phone number") as HTMLInputElement).value).toBe("12");
  });

  it("sends through the endpoint by default and goes back to change the number", async () => {
    const fetch = vi.fn(
      async () =>
        new Response(
          JSON.stringify({
            id: "ver_1",
            phone: "+14155550123",
            masked_phone: "+1 ***-***-0123",
            expires_at: new Date(Date.now() + 300_000).toISOString(),
            resend_available_at: new Date(Date.now() + 60_000).toISOString(),
          }),
        ),
    );
    vi.stubGlobal("fetch", fetch);
    try {
      render(<OtpFlow sendUrl="/auth/send" sendBody={{ purpose: "signup" }} verify={async () => {}} />);
      await enterPhone("+14155550123");
      expect(fetch).toHaveBeenCalledWith("/auth/send", expect.objectContaining({ method: "POST" }));
      expect(JSON.parse((fetch.mock.calls[0] as unknown as [string, RequestInit])[1].body as string)).toEqual(
        {
          purpose: "signup",
          phone: "+14155550123",
        },
      );
      fireEvent.click(screen.getByRole("button", { name: "Use a different number" }));
      expect((screen.getByLabelText("Phone number") as HTMLInputElement).value).toBe("+14155550123");
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it("submits once even when the code completes twice in one tick", async () => {
    let finish: () => void = () => {};
    const verify = vi.fn(() => new Promise<void>((resolve) => (finish = resolve)));
    render(<OtpFlow send={async () => sentCode()} verify={verify} />);
    await enterPhone();
    await pasteCode("123456");
    await pasteCode("123456");
    expect(verify).toHaveBeenCalledOnce();
    expect(document.querySelector("[aria-live=polite]")?.textContent).toBe("Checking the code…");
    await act(async () => finish());
  });
});
