/**
 * The IPv4 fast path of `normalizeIp` must give the verdicts of the function as it was before it.
 * This file keeps that function verbatim and runs both over about 10⁵ deterministic inputs: IPv4
 * (valid, leading zeros, parts past 255, too few or many parts, ports, quotes, brackets, spaces),
 * IPv6 in its spellings (full, compressed, upper case, embedded IPv4, mapped, /64, zones,
 * bracketed with a port), junk from the characters addresses are made of, and non-strings. No
 * difference is allowed.
 */

import { describe, expect, it } from "vitest";
import { normalizeIp } from "./ip.js";

// ——— normalizeIp before the fast path, verbatim ———

function legacyNormalizeIp(raw: unknown): string | undefined {
  if (typeof raw !== "string" || raw.length > 100) return undefined;
  let ip = raw.trim().replace(/^"(.*)"$/, "$1");
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(ip);
  if (bracketed) ip = bracketed[1]!;
  else if (/^[\d.]+:\d{1,5}$/.test(ip)) ip = ip.slice(0, ip.indexOf(":"));
  if (!ip.includes(":")) return legacyIpv4(ip);
  if (ip.endsWith("::/64")) ip = ip.slice(0, -3);
  const groups = legacyIpv6Groups(ip);
  if (!groups) return undefined;
  if (groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff) {
    const [high, low] = [groups[6]!, groups[7]!];
    return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
  }
  return `${groups
    .slice(0, 4)
    .map((group) => group.toString(16))
    .join(":")}::/64`;
}

function legacyIpv4(text: string): string | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  for (const part of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(part) || Number(part) > 255) return undefined;
  }
  return text;
}

function legacyIpv6Groups(ip: string): number[] | undefined {
  if (ip.length > 45 || !/^[\da-f:.]+$/i.test(ip)) return undefined;
  let text = ip;
  let tail: number[] = [];
  const lastColon = text.lastIndexOf(":");
  if (text.includes(".")) {
    const v4 = legacyIpv4(text.slice(lastColon + 1));
    if (!v4) return undefined;
    const [a, b, c, d] = v4.split(".").map(Number) as [number, number, number, number];
    tail = [(a << 8) | b, (c << 8) | d];
    text = text.slice(0, text[lastColon - 1] === ":" ? lastColon + 1 : lastColon);
  }
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const parse = (half: string | undefined) => (half ? half.split(":") : []);
  const head = parse(halves[0]);
  const rest = halves.length === 2 ? parse(halves[1]) : [];
  const explicit = head.length + rest.length + tail.length;
  const missing = 8 - explicit;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const hex = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...rest];
  if (!hex.every((group) => /^[\da-f]{1,4}$/i.test(group))) return undefined;
  return [...hex.map((group) => Number.parseInt(group, 16)), ...tail];
}

// ——— Deterministic inputs ———

/** A small seeded generator (mulberry32): the same inputs on every run, so a failure reproduces. */
function generator(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  const below = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[below(items.length)]!;
  return { next, below, pick };
}

const random = generator(0x1f2e3d4c);
const { below, pick } = random;

/** One IPv4 part: mostly valid, sometimes past 255, with a leading zero, empty or too long. */
function ipv4Part(): string {
  switch (below(10)) {
    case 0:
      return String(256 + below(800));
    case 1:
      return `0${below(256)}`;
    case 2:
      return "";
    case 3:
      return `${below(10)}${below(10)}${below(10)}${below(10)}`;
    case 4:
      return pick(["0", "00", "000", "255", "256", "1", "99", "100", "199", "249"]);
    default:
      return String(below(256));
  }
}

/** A dotted address: four parts mostly, sometimes three or five. */
function ipv4(): string {
  const count = below(8) === 0 ? pick([1, 2, 3, 5, 6]) : 4;
  return Array.from({ length: count }, ipv4Part).join(".");
}

function validIpv4(): string {
  return Array.from({ length: 4 }, () => String(below(256))).join(".");
}

/** One IPv6 group in any case, sometimes with leading zeros, sometimes invalid. */
function group(): string {
  const value = below(10) < 3 ? below(16) : below(0x10000);
  let text = value.toString(16);
  if (below(4) === 0) text = text.padStart(4, "0");
  if (below(3) === 0) text = text.toUpperCase();
  if (below(40) === 0) text = pick(["12345", "g", "", "ffff0"]);
  return text;
}

function ipv6(): string {
  const groups = Array.from({ length: 8 }, group);
  let text: string;
  switch (below(8)) {
    case 0:
      text = groups.join(":");
      break;
    case 1: {
      // Mapped IPv4 in the many spellings.
      const prefix = pick([
        "::ffff:",
        "::FFFF:",
        "0:0:0:0:0:ffff:",
        "0::ffff:",
        "::0:ffff:",
        "::fffe:",
        "1::ffff:",
      ]);
      text = prefix + (below(2) ? validIpv4() : ipv4());
      break;
    }
    case 2: {
      // Mapped IPv4 as two hex groups.
      text = `${pick(["::ffff:", "0:0:0:0:0:ffff:", "::FFFF:"])}${group()}:${group()}`;
      break;
    }
    case 3: {
      // An embedded IPv4 tail after other groups.
      text = `${groups.slice(0, below(7)).join(":")}${pick([":", "::"])}${validIpv4()}`;
      break;
    }
    default: {
      // Compressed: some groups, "::", some groups (sometimes too many, sometimes two "::").
      const head = groups.slice(0, below(6)).join(":");
      const tail = groups.slice(0, below(5)).join(":");
      text = `${head}::${tail}`;
      if (below(30) === 0) text += `::${group()}`;
    }
  }
  if (below(12) === 0) text = text.toLowerCase().replace(/::?$/, "");
  if (below(15) === 0) text = `${groups.slice(0, 4).join(":")}::/64`;
  if (below(20) === 0) text += pick(["%eth0", "%1", "/64", "/48"]);
  return text;
}

/** The wrappers platforms put around an address: a port, quotes, brackets, spaces. */
function wrapped(address: string): string {
  let text = address;
  switch (below(12)) {
    case 0:
      text = `${text}:${below(70000)}`;
      break;
    case 1:
      text = `[${text}]`;
      break;
    case 2:
      text = `[${text}]:${below(70000)}`;
      break;
    case 3:
      text = `"${text}"`;
      break;
    case 4:
      text = `${pick([" ", "\t", "  "])}${text}${pick(["", " ", "\n"])}`;
      break;
    case 5:
      text = `"[${text}]:${below(1000)}"`;
      break;
    case 6:
      text = `${text}:`;
      break;
  }
  return text;
}

/** Junk from the characters addresses are made of (and a few they are not). */
function junk(): string {
  const alphabet = '0123456789.:abcdefABCDEF[]%"/ x-_\t';
  return Array.from({ length: below(24) }, () => alphabet[below(alphabet.length)]).join("");
}

function inputs(): unknown[] {
  const all: unknown[] = [
    undefined,
    null,
    12345,
    {},
    ["1.2.3.4"],
    "",
    "1".repeat(101),
    `${"1.2.3.4".padEnd(100, " ")}`,
    `${"1.2.3.4".padEnd(101, " ")}`,
    "1.2.3.4",
    "255.255.255.255",
    "0.0.0.0",
    "1.2.3.04",
    "1.2.3.4.",
    ".1.2.3.4",
    "1..2.3",
    "1.2.3.256",
    "１.２.３.４", // full-width digits: not ASCII
  ];
  for (let i = 0; i < 40_000; i++) all.push(wrapped(ipv4()));
  for (let i = 0; i < 10_000; i++) all.push(validIpv4());
  for (let i = 0; i < 35_000; i++) all.push(wrapped(ipv6()));
  for (let i = 0; i < 20_000; i++) all.push(junk());
  return all;
}

describe("normalizeIp with its IPv4 fast path gives the same answers as before it", () => {
  const cases = inputs();

  it("on every generated input", () => {
    const differences: string[] = [];
    let accepted = 0;
    let plainIpv4 = 0;
    for (const input of cases) {
      const before = legacyNormalizeIp(input);
      const after = normalizeIp(input);
      if (before !== after) differences.push(`${JSON.stringify(input)}: ${before} → ${after}`);
      if (before !== undefined) accepted++;
      if (typeof input === "string" && before === input && !input.includes(":")) plainIpv4++;
    }
    expect(differences.slice(0, 20)).toEqual([]);
    // The inputs reach every kind of answer, in bulk: accepted, refused, and the fast path's own.
    expect(cases.length).toBeGreaterThan(100_000);
    expect(accepted).toBeGreaterThan(20_000);
    expect(cases.length - accepted).toBeGreaterThan(20_000);
    expect(plainIpv4).toBeGreaterThan(10_000);
  });

  it("reaches the mapped and /64 answers too", () => {
    const answers = cases.map(legacyNormalizeIp);
    expect(answers.filter((answer) => answer?.endsWith("::/64")).length).toBeGreaterThan(5_000);
    const mapped = cases.filter(
      (input, i) =>
        typeof input === "string" && input.includes(":") && !answers[i]?.includes(":") && answers[i],
    );
    expect(mapped.length).toBeGreaterThan(1_000);
  });
});
