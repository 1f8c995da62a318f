import { describe, expect, it } from "vitest";
import { OtpError } from "./errors.js";
import { parseJsonObject } from "./http-body.js";

const bytes = (text: string) => new TextEncoder().encode(text);
const codeOf = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    return error instanceof OtpError ? error.code : "not an OtpError";
  }
  return "no error";
};

describe("parseJsonObject", () => {
  it("drops polluting keys however they are spelled, escapes included", () => {
    const parsed = parseJsonObject(
      bytes(
        '{"phone":"+14155551234","\\u005f_proto__":{"polluted":1},"metadata":{"construct\\u006fr":{"a":1},"pro\\u0074otype":2,"ok":"\\u00e9"}}',
      ),
    );
    expect(parsed).toEqual({ phone: "+14155551234", metadata: { ok: "é" } });
    expect(Object.hasOwn(parsed, "__proto__")).toBe(false);
    expect(({} as { polluted?: number }).polluted).toBeUndefined();
  });

  it("parses plain bodies to the same value as before", () => {
    const text = '{"phone":"+14155551234","metadata":{"order":42,"tags":["a","b"],"nested":{"x":null}}}';
    expect(parseJsonObject(bytes(text))).toEqual(JSON.parse(text));
  });

  it("refuses invalid UTF-8, and decodes the next body normally", () => {
    expect(codeOf(() => parseJsonObject(new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x7d])))).toBe(
      "invalid_request",
    );
    // A truncated multi-byte sequence at the end must not carry over into the next decode.
    expect(
      codeOf(() => parseJsonObject(new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xe2, 0x82]))),
    ).toBe("invalid_request");
    expect(parseJsonObject(bytes('{"a":"€"}'))).toEqual({ a: "€" });
  });

  it("refuses what is not one JSON object", () => {
    for (const text of ["[1]", "null", "42", '"x"', "{", ""])
      expect(codeOf(() => parseJsonObject(bytes(text)))).toBe("invalid_request");
  });
});
