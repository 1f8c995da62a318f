import { describe, expect, it } from "vitest";
import { formatAsYouType, isInternational, loadPhoneLibrary, regionToShow, toE164 } from "./phone-format.js";

describe("phone formatting (libphonenumber-js, loaded lazily)", () => {
  it("loads once and formats a national number in the selected country as typed", async () => {
    const library = await loadPhoneLibrary();
    expect(await loadPhoneLibrary()).toBe(library);
    expect(formatAsYouType(library, "4155550123", "US")).toMatchObject({
      text: "(415) 555-0123",
      country: "US",
    });
    expect(formatAsYouType(library, "07700900123", "GB").text).toBe("07700 900123");
  });

  it("formats a number typed with + whatever the selector says, and names its region", async () => {
    const library = await loadPhoneLibrary();
    const british = formatAsYouType(library, "+447700900123", "US");
    expect(british).toMatchObject({ text: "+44 7700 900123", callingCode: "44" });
    expect(regionToShow(british, "US", ["US", "CA", "GB"])).toBe("GB");
    expect(formatAsYouType(library, "0033612345678", "US").country).toBe("FR");
    // +1 is shared: Canada stays selected for a number that could be either.
    expect(regionToShow({ country: undefined, callingCode: "1" }, "CA", ["US", "CA"])).toBe("CA");
    expect(regionToShow(formatAsYouType(library, "+1 604 555 0123", "US"), "US", ["US", "CA"])).toBe("CA");
  });

  it("normalizes to E.164: national in the selected country, international as written", async () => {
    const library = await loadPhoneLibrary();
    expect(toE164(library, "(415) 555-0123", "US")).toBe("+14155550123");
    expect(toE164(library, "07700 900123", "GB")).toBe("+447700900123"); // the trunk 0 dropped
    expect(toE164(library, "+44 7700 900123", "US")).toBe("+447700900123");
    expect(toE164(library, "0044 7700 900123", "US")).toBe("+447700900123");
  });

  it("falls back to the dial code and digits without the library (the server validates)", () => {
    expect(toE164(undefined, "(415) 555-0123", "US")).toBe("+14155550123");
    expect(toE164(undefined, "+44 7700 900123", "US")).toBe("+447700900123");
    expect(isInternational("  +1")).toBe(true);
    expect(isInternational("415")).toBe(false);
  });
});
