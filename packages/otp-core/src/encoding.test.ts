import { describe, expect, it } from "vitest";
import { base64url, constantTimeEqual } from "./encoding.js";

describe("encoding", () => {
  it("encodes base64url exactly like the platform, for every tail length", () => {
    for (let length = 0; length < 40; length++) {
      const bytes = Uint8Array.from({ length }, (_, i) => (i * 73 + 41) & 255);
      const reference = btoa(String.fromCharCode(...bytes))
        .replace(/\+/g, "-")
        .replace(/\//g, "_")
        .replace(/=+$/, "");
      expect(base64url(bytes)).toBe(reference);
    }
  });

  it("compares strings for equality", () => {
    expect(constantTimeEqual("abc", "abc")).toBe(true);
    expect(constantTimeEqual("abc", "abd")).toBe(false);
    expect(constantTimeEqual("abc", "abcd")).toBe(false);
    expect(constantTimeEqual("", "")).toBe(true);
  });
});
