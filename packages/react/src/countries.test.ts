import { getCountries, getCountryCallingCode } from "libphonenumber-js/min";
import { describe, expect, it } from "vitest";
import {
  allCountries,
  countryName,
  defaultCountryFor,
  dialCodes,
  flagOf,
  resolveCountries,
} from "./countries.js";

describe("the country table", () => {
  it("is libphonenumber-js's regions with their calling codes, exactly", () => {
    const theirs = getCountries();
    expect([...allCountries].sort()).toEqual([...theirs].sort());
    for (const region of theirs) expect(dialCodes.get(region), region).toBe(getCountryCallingCode(region));
  });

  it("makes flags from regional indicators and names from Intl.DisplayNames", () => {
    expect(flagOf("US")).toBe("\u{1F1FA}\u{1F1F8}");
    expect(flagOf("gb")).toBe("\u{1F1EC}\u{1F1E7}");
    expect(countryName("DE", "en")).toBe("Germany");
    expect(countryName("DE", "fr")).toBe("Allemagne");
    expect(countryName("JP", "ja")).toBe("日本");
  });
});

describe("resolveCountries", () => {
  it("reads the app's list or OTP_COUNTRIES-style string, keeping known regions once", () => {
    expect(resolveCountries("US, ca,GB,xx,US")).toEqual(["US", "CA", "GB"]);
    expect(resolveCountries(["fr", "DE"])).toEqual(["FR", "DE"]);
  });
  it("offers every region when given none, an empty list, or 'all'", () => {
    expect(resolveCountries()).toHaveLength(allCountries.length);
    expect(resolveCountries("")).toHaveLength(allCountries.length);
    expect(resolveCountries("all")).toHaveLength(allCountries.length);
  });
});

describe("defaultCountryFor", () => {
  const offered = ["US", "CA", "GB", "FR"];
  it("takes the app's default when it is offered", () => {
    expect(defaultCountryFor(offered, "gb", ["fr-FR"])).toBe("GB");
  });
  it("else the region of the first browser language that names an offered one", () => {
    expect(defaultCountryFor(offered, "DE", ["de-DE", "en-GB"])).toBe("GB");
    expect(defaultCountryFor(offered, undefined, ["fr"])).toBe("FR"); // fr → fr-Latn-FR
  });
  it("else the first offered", () => {
    expect(defaultCountryFor(offered, undefined, ["ja-JP"])).toBe("US");
    expect(defaultCountryFor(["CA"], undefined, [])).toBe("CA");
  });
});
