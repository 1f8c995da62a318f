/**
 * Client IPs, canonicalised once in core so that every adapter counts the same person in the same
 * per-IP bucket, however its platform spells the address.
 */

/**
 * The canonical form of an IP address for per-IP limits, or `undefined` when `raw` is not one:
 *
 * - quotes, `[…]` brackets and a `:port` are removed (an IPv6 zone, `%eth0`, is refused);
 * - IPv4 is dotted decimal; a part with a leading zero (`010.0.0.1`, which some parsers read as
 *   octal, so it names another host) is refused;
 * - IPv4-mapped IPv6 in any spelling (`::ffff:1.2.3.4`, `::FFFF:0102:0304`,
 *   `0:0:0:0:0:ffff:1.2.3.4`) becomes the IPv4 address it carries;
 * - any other IPv6 address becomes its /64 (`2001:db8:0:1::/64`): one subscriber usually holds a
 *   whole /64, and a limit per single address would give them 2^64 tries;
 * - an address already in this form stays as it is.
 */
export function normalizeIp(raw: unknown): string | undefined {
  if (typeof raw !== "string" || raw.length > 100) return undefined;
  // Most calls carry a plain dotted-decimal IPv4 address, already canonical: one scan of its
  // characters instead of the regular expressions and splits below. Anything else — or a plain
  // address that is not valid — takes the general path, which decides it as before.
  if (isPlainIpv4(raw)) return raw;
  let ip = raw.trim().replace(/^"(.*)"$/, "$1");
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(ip);
  if (bracketed) ip = bracketed[1]!;
  else if (/^[\d.]+:\d{1,5}$/.test(ip)) ip = ip.slice(0, ip.indexOf(":"));
  if (!ip.includes(":")) return ipv4(ip);
  // Already canonical (`2001:db8:0:1::/64`): canonicalising is idempotent.
  if (ip.endsWith("::/64")) ip = ip.slice(0, -3);
  const groups = ipv6Groups(ip);
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

/**
 * Whether `text` is exactly four dot-separated parts of 0–255 with no leading zeros (what `ipv4`
 * accepts), read character by character: no regular expression, no array, no substring.
 */
function isPlainIpv4(text: string): boolean {
  const length = text.length;
  if (length < 7 || length > 15) return false;
  let parts = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i <= length; i++) {
    const char = i === length ? 46 : text.charCodeAt(i); // the end closes the last part like a "."
    if (char === 46) {
      if (digits === 0 || value > 255 || ++parts > 4) return false;
      value = 0;
      digits = 0;
    } else if (char >= 48 && char <= 57) {
      // A part may start with 0 only if it is just "0": "010" reads as octal to some parsers.
      if (digits === 1 && value === 0) return false;
      value = value * 10 + (char - 48);
      if (++digits > 3) return false;
    } else {
      return false;
    }
  }
  return parts === 4;
}

/** Dotted-decimal IPv4 with four parts of 0–255 and no leading zeros, or `undefined`. */
function ipv4(text: string): string | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  for (const part of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(part) || Number(part) > 255) return undefined;
  }
  return text;
}

/** The eight 16-bit groups of an IPv6 address (an embedded IPv4 tail allowed), or `undefined`. */
function ipv6Groups(ip: string): number[] | undefined {
  if (ip.length > 45 || !/^[\da-f:.]+$/i.test(ip)) return undefined;
  let text = ip;
  let tail: number[] = [];
  const lastColon = text.lastIndexOf(":");
  if (text.includes(".")) {
    const v4 = ipv4(text.slice(lastColon + 1));
    if (!v4) return undefined;
    const [a, b, c, d] = v4.split(".").map(Number) as [number, number, number, number];
    tail = [(a << 8) | b, (c << 8) | d];
    // Keep the colon when it is half of a "::" right before the IPv4 part.
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

/**
 * The client address for per-IP limits. With `trustProxy` hops, the forwarding header's entries
 * were appended right to left by our own proxies: the client is `trustProxy` entries from the
 * right (or the leftmost, if the chain is shorter). Anything unparsable falls back to `fallback`
 * (the socket's address, or what the app read itself). Without trusted proxies the header is
 * ignored: it is whatever the client wrote.
 */
export function forwardedIp(
  header: string | null | undefined,
  trustProxy: number,
  proxyHeader: "x-forwarded-for" | "forwarded",
  fallback: string | undefined,
): string | undefined {
  const own = fallback === undefined ? undefined : normalizeIp(fallback);
  if (trustProxy === 0 || !header) return own;
  const chain =
    proxyHeader === "forwarded"
      ? header.split(",").map((element) => /(?:^|;)\s*for\s*=\s*("[^"]*"|[^;]*)/i.exec(element)?.[1] ?? "")
      : header.split(",");
  const hop = chain[Math.max(0, chain.length - trustProxy)] ?? "";
  return normalizeIp(hop) ?? own;
}
