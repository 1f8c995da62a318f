import { errorCodes } from "@otpkit/otp-core/protocol";
import { act, render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { englishLocale, loadLocale, pickLocale, supportedLocales, useOtpLocale } from "./i18n.js";
import { errorMessage } from "./messages.js";

describe("pickLocale", () => {
  it("takes an exact tag, else the language, else English", () => {
    expect(pickLocale(["pt-BR"])).toBe("pt-BR");
    expect(pickLocale(["pt-PT"])).toBe("pt-BR");
    expect(pickLocale(["fr-CA", "en"])).toBe("fr");
    expect(pickLocale(["de_AT"])).toBe("de");
    expect(pickLocale(["sv-SE", "nl-BE"])).toBe("nl");
    expect(pickLocale(["sv-SE"])).toBe("en");
    expect(pickLocale([])).toBe("en");
  });
});

describe("the bundled locales", () => {
  const codes = [...errorCodes, "network_error", "CredentialsSignin", "incomplete_code", "unknown"];
  const details = { retryAfter: 42, attemptsLeft: 2, resendIn: 30, codeLength: 6 };

  it.each(supportedLocales.filter((locale) => locale !== "en"))(
    "%s: loads lazily, has a text for every error code and every label, none left in English",
    async (tag) => {
      const locale = await loadLocale(tag);
      expect(locale.locale).toBe(tag);
      expect(Object.keys(locale.labels).sort()).toEqual(Object.keys(englishLocale.labels).sort());
      let translated = 0;
      for (const code of codes) {
        const text = errorMessage({ code, ...details }, locale.messages);
        expect(text, code).toMatch(/\S/);
        if (text !== errorMessage({ code, ...details })) translated++;
      }
      expect(translated).toBe(codes.length);
      for (const [name, label] of Object.entries(locale.labels)) {
        const english = (englishLocale.labels as unknown as Record<string, unknown>)[name];
        if (typeof label === "string" && label !== "") expect(label, name).not.toBe(english);
      }
      // Waits and counts reach the text.
      expect(errorMessage({ code: "rate_limited", source: "app", retryAfter: 42 }, locale.messages)).toMatch(
        /42/,
      );
      expect(errorMessage({ code: "invalid_code", attemptsLeft: 2 }, locale.messages)).toMatch(/2/);
      expect(locale.labels.code(6)).toMatch(/6/);
    },
  );
});

function Probe({ locale }: { locale?: string }) {
  const active = useOtpLocale(locale);
  return <p data-testid="probe">{`${active.locale}: ${active.labels.sendCode}`}</p>;
}

describe("useOtpLocale", () => {
  it("renders English first, then the asked locale once its chunk is in", async () => {
    render(<Probe locale="fr-FR" />);
    expect(screen.getByTestId("probe").textContent).toBe("en: Send code");
    await act(() => loadLocale("fr"));
    expect(screen.getByTestId("probe").textContent).toBe("fr: Recevoir un code");
  });

  it("follows the browser's languages when the app names none", async () => {
    const languages = Object.getOwnPropertyDescriptor(Navigator.prototype, "languages");
    Object.defineProperty(navigator, "languages", { configurable: true, get: () => ["sv-SE", "de-DE"] });
    try {
      render(<Probe />);
      await act(() => loadLocale("de"));
      expect(screen.getByTestId("probe").textContent).toBe("de: Code senden");
    } finally {
      delete (navigator as { languages?: unknown }).languages;
      if (languages) Object.defineProperty(Navigator.prototype, "languages", languages);
    }
  });
});
