import { describe, expect, it } from "vitest";
import { smsTemplates, templatesFor } from "./locales.js";
import { purposes } from "./message.js";
import { createOtp } from "./otp.js";
import { outbox } from "./senders.js";

describe("SMS texts per locale", () => {
  it("ships every purpose in every bundled locale, each with {code} and, where it lasts, {minutes}", () => {
    expect(Object.keys(smsTemplates).sort()).toEqual(["de", "en", "es", "fr", "it", "ja", "nl", "pt-BR"]);
    for (const [locale, texts] of Object.entries(smsTemplates))
      for (const purpose of purposes) {
        expect(texts[purpose], `${locale}.${purpose}`).toContain("{code}");
        if (purpose !== "magic_link") expect(texts[purpose], `${locale}.${purpose}`).toContain("{minutes}");
      }
  });

  it("picks the exact tag, else its language, and maps Auth0's underscores", () => {
    expect(templatesFor(smsTemplates, "pt-BR")).toBe(smsTemplates["pt-BR"]);
    expect(templatesFor(smsTemplates, "pt_BR")).toBe(smsTemplates["pt-BR"]);
    expect(templatesFor(smsTemplates, "pt-PT")).toBe(smsTemplates["pt-BR"]);
    expect(templatesFor(smsTemplates, "fr-CA")).toBe(smsTemplates.fr);
    expect(templatesFor(smsTemplates, "sw")).toBeUndefined();
    expect(templatesFor(smsTemplates, undefined)).toBeUndefined();
  });

  it("send and deliver speak the person's language when the app opts in", async () => {
    const sms = outbox();
    const otp = createOtp({
      secret: "locales-test-secret-locales-test-secret",
      sender: sms,
      locales: smsTemplates,
    });
    await otp.send({ phone: "+14155550101", locale: "de-DE" });
    expect(sms.last()!.body).toMatch(/^Ihr Anmeldecode lautet \d{6}\. Gültig für 5 Minuten\.$/);
    await otp.deliver({ phone: "+14155550102", code: "4242", locale: "ja_JP", purpose: "two_factor" });
    expect(sms.last()!.body).toBe(
      "セキュリティコードは 4242 です。他人に教えないでください。有効期限は5分です。",
    );
    await otp.send({ phone: "+14155550103", locale: "sw" });
    expect(sms.last()!.body).toMatch(/^Your login code is/);
    await expect(otp.send({ phone: "+14155550104", locale: "not a tag!" })).rejects.toMatchObject({
      field: "locale",
    });
    const plain = createOtp({ secret: "locales-test-secret-locales-test-secret", sender: sms });
    await plain.send({ phone: "+14155550105", locale: "fr" });
    expect(sms.last()!.body).toMatch(/^Your login code is/); // not opted in
  });
});
