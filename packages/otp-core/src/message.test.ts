import { describe, expect, it } from "vitest";
import { OtpError } from "./errors.js";
import { checkTemplate, composeMessage, defaultTemplates, extractCode, purposes } from "./message.js";

describe("composeMessage", () => {
  it("fills code, minutes and app", () => {
    expect(
      composeMessage({ template: "{app}: {code} ({minutes} min)", code: "123456", minutes: 5, app: "Acme" }),
    ).toBe("Acme: 123456 (5 min)");
  });

  it("ends with the WebOTP origin-bound line, after the Android hash", () => {
    const body = composeMessage({
      template: "Code {code}",
      code: "042917",
      minutes: 5,
      app: "",
      domain: "example.com",
      androidAppHash: "FA+9qCX9VSu",
    });
    expect(body).toBe("Code 042917\nFA+9qCX9VSu\n\n@example.com #042917");
  });

  it("places a magic link where {link} stands, or appends it", () => {
    expect(
      composeMessage({
        template: "{code} or {link}",
        code: "1234",
        minutes: 1,
        app: "",
        link: "https://x/t",
      }),
    ).toBe("1234 or https://x/t");
    expect(
      composeMessage({ template: "{code}", code: "1234", minutes: 1, app: "", link: "https://x/t" }),
    ).toBe("1234\nhttps://x/t");
  });

  it("has a default template with {code} for every purpose", () => {
    for (const purpose of purposes) expect(checkTemplate(defaultTemplates[purpose])).toContain("{code}");
  });

  it("refuses templates without {code} or too long", () => {
    for (const template of ["no code here", "{code}".padEnd(601, "x"), 12, null]) {
      expect(() => checkTemplate(template)).toThrow(OtpError);
    }
  });
});

describe("extractCode", () => {
  it("reads the origin-bound line first, else the first 4–8 digit run", () => {
    expect(extractCode("Use 2024 promo\n\n@example.com #918273")).toBe("918273");
    expect(extractCode("Your login code is 004217. Valid for 5 minutes.")).toBe("004217");
    expect(extractCode("Your Acme login code: 4821")).toBe("4821");
    expect(extractCode("Call +14155551234 now")).toBeUndefined();
    expect(extractCode("no code")).toBeUndefined();
  });
});
