import { describe, expect, it } from "vitest";
import { generateCode, randomToken } from "./code.js";

/** Pearson's chi-square statistic of observed counts against a uniform expectation. */
function chiSquare(counts: number[], total: number): number {
  const expected = total / counts.length;
  return counts.reduce((sum, count) => sum + (count - expected) ** 2 / expected, 0);
}

/** Per-position digit counts of many codes. */
function digitCounts(codes: string[], length: number): number[][] {
  const counts = Array.from({ length }, () => new Array(10).fill(0));
  for (const code of codes) for (let i = 0; i < length; i++) counts[i]![Number(code[i])]++;
  return counts;
}

// df = 9: P(chi2 > 50) ≈ 1.1e-7. Six positions → a false alarm about once in 1.5 million runs (at
// 33.72, p = 1e-4, it was once in 1,700: CI met it).
const digitCritical = 50;

describe("generateCode", () => {
  it("makes codes of exactly the requested length, digits only, leading zeros kept", () => {
    for (let length = 4; length <= 8; length++) {
      for (let i = 0; i < 200; i++) expect(generateCode(length)).toMatch(new RegExp(`^\\d{${length}}$`));
    }
    const codes = Array.from({ length: 5000 }, () => generateCode(6));
    expect(codes.some((code) => code.startsWith("0"))).toBe(true);
  });

  it("is uniform: chi-square per digit position over 100,000 six-digit codes", () => {
    const total = 100_000;
    const codes = Array.from({ length: total }, () => generateCode(6));
    for (const counts of digitCounts(codes, 6)) expect(chiSquare(counts, total)).toBeLessThan(digitCritical);
  });

  it("is uniform over the whole code space: chi-square over 100,000 four-digit codes in 10,000 bins", () => {
    const total = 100_000;
    const counts = new Array(10_000).fill(0);
    for (let i = 0; i < total; i++) counts[Number(generateCode(4))]++;
    // df = 9999: mean 9999, sd ≈ 141; 6 sd above the mean is far beyond chance.
    expect(chiSquare(counts, total)).toBeLessThan(9999 + 6 * 141.4);
  });

  it("the same statistic catches modulo bias (byte % 10 without rejection)", () => {
    // Enough codes that the bias (26/256 against 25/256 per digit) lifts the statistic far past
    // the critical value: its expected excess grows with the count (≈ 146 at 400,000).
    const total = 400_000;
    const biased = Array.from({ length: total }, () =>
      Array.from(crypto.getRandomValues(new Uint8Array(6)), (byte) => byte % 10).join(""),
    );
    const statistics = digitCounts(biased, 6).map((counts) => chiSquare(counts, total));
    expect(Math.max(...statistics)).toBeGreaterThan(digitCritical);
  });

  it("makes distinct URL-safe tokens", () => {
    const tokens = new Set(Array.from({ length: 1000 }, () => randomToken(16)));
    expect(tokens.size).toBe(1000);
    for (const token of tokens) expect(token).toMatch(/^[\w-]{22}$/);
  });
});
