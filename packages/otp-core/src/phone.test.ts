import { describe, expect, it } from "vitest";
import { OtpError } from "./errors.js";
import { maskPhone, parsePhone } from "./phone.js";

const codeOf = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    return error instanceof OtpError ? error.code : "not an OtpError";
  }
  return "no error";
};

describe("parsePhone", () => {
  it("normalises to E.164 and reports the country", () => {
    expect(parsePhone("+1 (415) 555-1234")).toEqual({
      e164: "+14155551234",
      country: "US",
      masked: "+1 ***-***-1234",
      type: "FIXED_LINE_OR_MOBILE",
    });
    expect(parsePhone("+44 7123 456789")).toMatchObject({ e164: "+447123456789", country: "GB" });
    expect(parsePhone("07123 456789", { defaultCountry: "GB" }).e164).toBe("+447123456789");
  });

  it("rejects what is not a valid number", () => {
    for (const input of [
      "",
      "hello",
      "+1555",
      "+15555550100",
      "12345",
      42,
      null,
      undefined,
      {},
      "+1".padEnd(40, "5"),
    ]) {
      expect(codeOf(() => parsePhone(input))).toBe("invalid_phone");
    }
  });

  it("rejects national input without a default country", () => {
    expect(codeOf(() => parsePhone("4155551234"))).toBe("invalid_phone");
    expect(parsePhone("4155551234", { defaultCountry: "US" }).e164).toBe("+14155551234");
  });

  it("rejects landlines and premium numbers unless allowed", () => {
    expect(codeOf(() => parsePhone("+4930123456"))).toBe("invalid_phone");
    expect(parsePhone("+4930123456", { allowNonMobileTypes: true }).e164).toBe("+4930123456");
  });

  it("applies the country allowlist and denylist", () => {
    expect(codeOf(() => parsePhone("+447123456789", { allowedCountries: ["US", "CA"] }))).toBe("blocked");
    expect(parsePhone("+14155551234", { allowedCountries: ["US", "CA"] }).country).toBe("US");
    expect(codeOf(() => parsePhone("+33612345678", { blockedCountries: ["FR"] }))).toBe("blocked");
  });
});

describe("maskPhone", () => {
  it("keeps the country code and the last four digits", () => {
    expect(maskPhone("+14155551234")).toBe("+1 ***-***-1234");
    expect(maskPhone("+447123456789")).toBe("+44 ***-***-6789");
    expect(maskPhone("+4915123456789")).toBe("+49 ***-***-*-6789");
    expect(maskPhone("nonsense")).toBe("***");
  });
});

describe("maskPhone groups", () => {
  it("hides every digit but the last four, in groups of three (the last group shorter)", () => {
    expect(maskPhone("+11234")).toBe("+1 1234");
    expect(maskPhone("+112345")).toBe("+1 *-2345");
    expect(maskPhone("+1123456")).toBe("+1 **-3456");
    expect(maskPhone("+11234567")).toBe("+1 ***-4567");
    expect(maskPhone("+112345678")).toBe("+1 ***-*-5678");
    expect(maskPhone("+49123456789012")).toBe("+49 ***-***-**-9012");
  });
});
