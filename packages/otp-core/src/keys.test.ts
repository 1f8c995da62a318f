import { describe, expect, it } from "vitest";
import { parseVerificationId, verificationId } from "./keys.js";
import { purposes } from "./message.js";

/** The reading by capture groups that `parseVerificationId` replaced: the reference it must equal. */
const reference = /^ver_([lstprmxLSTPRMX])([4-8])([\w-]{16})([\w-]{16})$/;
function byCaptures(id: unknown) {
  const parts = typeof id === "string" ? reference.exec(id) : null;
  if (!parts) return undefined;
  const letter = parts[1]!;
  const lower = letter.toLowerCase();
  return {
    purpose: purposes["lstprmx".indexOf(lower)],
    letter,
    bound: letter !== lower,
    codeLength: Number(parts[2]),
    digest: parts[3],
  };
}

describe("parseVerificationId", () => {
  it("reads every id (and refuses every non-id) exactly as the capture-group reading did", () => {
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const text = (length: number) => Array.from({ length }, () => alphabet[random(alphabet.length)]).join("");
    const samples: unknown[] = [undefined, null, 42, "", "ver_", "ver_l6", `ver_l6${text(31)}`];
    for (const letter of "lstprmxLSTPRMXaZ") {
      for (const length of [3, 4, 6, 8, 9]) {
        const id = verificationId(letter, length, text(16), text(16));
        samples.push(
          id,
          `${id}x`,
          id.slice(1),
          ` ${id}`,
          id.replace("ver_", "VER_"),
          `${id.slice(0, 20)}.${id.slice(21)}`,
        );
      }
    }
    let valid = 0;
    for (const sample of samples) {
      const expected = byCaptures(sample);
      expect(parseVerificationId(sample)).toEqual(expected);
      if (expected) valid++;
    }
    expect(valid).toBe(14 * 3);
  });
});
