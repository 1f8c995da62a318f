import { describe, expect, it } from "vitest";
import { forwardedIp, normalizeIp } from "./ip.js";

describe("normalizeIp: one bucket per person, however the address is spelled", () => {
  it.each([
    ["203.0.113.7", "203.0.113.7"],
    ["203.0.113.7:443", "203.0.113.7"],
    ['"203.0.113.7"', "203.0.113.7"],
    ["0.0.0.0", "0.0.0.0"],
    // IPv4-mapped IPv6, in every spelling, is the IPv4 address.
    ["::ffff:203.0.113.7", "203.0.113.7"],
    ["::FFFF:203.0.113.7", "203.0.113.7"],
    ["[::ffff:203.0.113.7]:8443", "203.0.113.7"],
    ["0:0:0:0:0:ffff:203.0.113.7", "203.0.113.7"],
    ["0000:0000:0000:0000:0000:FFFF:CB00:7107", "203.0.113.7"],
    ["::ffff:cb00:7107", "203.0.113.7"],
    ["0::ffff:203.0.113.7", "203.0.113.7"],
    // Any other IPv6 is its /64, and the canonical form is a fixed point.
    ["2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"],
    ["2001:DB8:0001:0002::9", "2001:db8:1:2::/64"],
    ["[2001:db8:1:2::9]:443", "2001:db8:1:2::/64"],
    ["2001:db8:1:2::/64", "2001:db8:1:2::/64"],
    ["::1", "0:0:0:0::/64"],
    ["64:ff9b::203.0.113.7", "64:ff9b:0:0::/64"],
  ])("%s → %s", (raw, expected) => {
    expect(normalizeIp(raw)).toBe(expected);
  });

  it.each([
    "010.0.0.1", // leading zero: octal to some parsers, another host
    "203.000.113.7",
    "::ffff:010.0.0.1",
    "256.1.1.1",
    "1.2.3",
    "1.2.3.4.5",
    "1::2::3",
    "12345::1",
    "fe80::1%eth0",
    "unknown",
    "",
    "_hidden",
    "2001:db8::/48",
  ])("%j is refused (charged to the no-IP budget, never to someone else's)", (raw) => {
    expect(normalizeIp(raw)).toBeUndefined();
  });

  it("refuses non-strings and absurd lengths", () => {
    expect(normalizeIp(undefined)).toBeUndefined();
    expect(normalizeIp(12345)).toBeUndefined();
    expect(normalizeIp("1".repeat(200))).toBeUndefined();
  });
});

describe("forwardedIp", () => {
  it("reads the trusted hop from the right, else falls back to the socket's address", () => {
    expect(forwardedIp("6.6.6.6, 1.1.1.1", 1, "x-forwarded-for", "10.0.0.1")).toBe("1.1.1.1");
    expect(forwardedIp("6.6.6.6, 1.1.1.1", 0, "x-forwarded-for", "10.0.0.1")).toBe("10.0.0.1");
    expect(forwardedIp("garbage", 1, "x-forwarded-for", "::ffff:10.0.0.1")).toBe("10.0.0.1");
    expect(forwardedIp('for="[2001:db8::1]:80"', 1, "forwarded", undefined)).toBe("2001:db8:0:0::/64");
    expect(forwardedIp(undefined, 1, "forwarded", undefined)).toBeUndefined();
  });
});
