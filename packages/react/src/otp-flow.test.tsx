import { act, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { OtpClientError, type SentCode } from "./client.js";
import { OtpFlow } from "./otp-flow.js";
import { loadPhoneLibrary } from "./phone-format.js";

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

describe("OtpFlow: the code step", () => {
  const field = () => screen.getByLabelText("Phone number") as HTMLInputElement;

  it("has a Verify button that asks for every digit when the code is incomplete", async () => {
    const verify = vi.fn(async () => {});
    render(<OtpFlow send={async () => sentCode()} verify={verify} />);
    await enterPhone();
    for (const [index, digit] of ["1", "2", "3", "4", "5"].entries())
      fireEvent.change(screen.getByLabelText(`Digit ${index + 1} of 6`), { target: { value: digit } });
    fireEvent.click(screen.getByRole("button", { name: "Verify" }));
    expect(verify).not.toHaveBeenCalled();
    expect(document.querySelector(".otpkit-code-input [role=alert]")?.textContent).toBe(
      "Enter all 6 digits.",
    );
    await act(async () => {
      fireEvent.change(screen.getByLabelText("Digit 6 of 6"), { target: { value: "6" } });
    });
    expect(verify).toHaveBeenCalledWith(expect.objectContaining({ code: "123456" }));
  });

  it("shows the attempts left that NextAuth's error carries", async () => {
    const verify = vi.fn(async () => ({ error: "invalid_code;attempts_left=2", ok: false, status: 401 }));
    render(<OtpFlow send={async () => sentCode()} verify={verify} />);
    await enterPhone();
    await pasteCode("111111");
    expect(screen.getByRole("alert").textContent).toBe("That code isn't right. 2 attempts left.");
  });

  it("says when a new code can be asked for after a lockout, by the resend countdown", async () => {
    const verify = vi.fn(async () => ({ error: "too_many_attempts", ok: false, status: 401 }));
    render(<OtpFlow send={async () => sentCode(45)} verify={verify} />);
    await enterPhone();
    await pasteCode("111111");
    const visible = document.querySelector(".otpkit-code-input .otpkit-countdown")?.textContent ?? "";
    expect(visible).toMatch(/locked\. You can request a new one in 4[45] seconds\.$/);
    expect(screen.getByRole("button", { name: /Resend code in 0:4[45]/ })).toBeTruthy();
  });

  it("confirms a resend", async () => {
    const send = vi.fn(async () => sentCode(0));
    render(<OtpFlow send={send} verify={async () => {}} />);
    await enterPhone();
    expect(screen.getAllByRole("status").some((status) => status.textContent === "Code sent again.")).toBe(
      false,
    );
    await act(async () => {
      fireEvent.click(screen.getByRole("button", { name: "Resend code" }));
    });
    expect(send).toHaveBeenCalledTimes(2);
    expect(screen.getByText("Code sent again.")).toBeTruthy();
  });

  it("goes back to the code step for the same number without a new send, refilled as typed", async () => {
    const send = vi.fn(async () => sentCode());
    render(<OtpFlow send={send} verify={async () => {}} defaultCountry="US" countries="US,CA" />);
    await act(() => loadPhoneLibrary().then(() => {}));
    fireEvent.change(field(), { target: { value: "4155550123" } });
    fireEvent.click(screen.getByRole("button", { name: "Send code" }));
    await screen.findByRole("group", { name: "Enter the 6-digit code" });
    fireEvent.click(screen.getByRole("button", { name: "Use a different number" }));
    expect(field().value).toBe("(415) 555-0123");
    fireEvent.click(screen.getByRole("button", { name: "Send code" }));
    await screen.findByRole("group", { name: "Enter the 6-digit code" });
    expect(send).toHaveBeenCalledOnce();
    // Another number is a new send.
    fireEvent.click(screen.getByRole("button", { name: "Use a different number" }));
    fireEvent.change(field(), { target: { value: "4155550199" } });
    await act(async () => {
      fireEvent.click(screen.getByRole("button", { name: "Send code" }));
    });
    expect(send).toHaveBeenLastCalledWith("+14155550199");
  });

  it("shows a refused resend with its live wait and keeps Resend disabled meanwhile", async () => {
    let calls = 0;
    const send = vi.fn(async () => {
      if (++calls === 1) return sentCode(0);
      throw new OtpClientError({ code: "rate_limited", source: "app", reason: "cooldown", retryAfter: 30 });
    });
    render(<OtpFlow send={send} verify={async () => {}} />);
    await enterPhone();
    await act(async () => {
      fireEvent.click(screen.getByRole("button", { name: "Resend code" }));
    });
    expect(document.querySelector(".otpkit-countdown")?.textContent).toMatch(
      /request another in (30|29) seconds/,
    );
    expect(
      (screen.getByRole("button", { name: /Resend code in 0:(30|29)/ }) as HTMLButtonElement).disabled,
    ).toBe(true);
  });

  it("renders the asked locale and sends it with the code request when told to", async () => {
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
      render(<OtpFlow locale="fr" sendLocale verify={async () => {}} />);
      const button = await screen.findByRole("button", { name: "Recevoir un code" });
      expect(document.querySelector(".otpkit-flow")?.getAttribute("lang")).toBe("fr");
      fireEvent.change(screen.getByLabelText("Numéro de téléphone"), { target: { value: "+14155550123" } });
      fireEvent.click(button);
      await screen.findByRole("group", { name: "Saisissez le code à 6 chiffres" });
      const body = JSON.parse((fetch.mock.calls[0] as unknown as [string, RequestInit])[1].body as string);
      expect(body).toEqual({ phone: "+14155550123", locale: "fr" });
      expect(screen.getByRole("button", { name: "Vérifier" })).toBeTruthy();
    } finally {
      vi.unstubAllGlobals();
    }
  });
});
