/**
 * The keyed-hash and randomness primitive, on Web Crypto: runs on Deno, Bun, browsers and edge
 * runtimes. Node builds swap in `crypto.node.ts` (see tsup.config.ts and the `node` export
 * condition), because Web Crypto HMAC in Node 20 is ~30x slower than node:crypto.
 * Both variants must produce identical output; crypto.test.ts proves it.
 */
import { base64url } from "./encoding.js";

/** A keyed HMAC-SHA-256 over UTF-8 text, returning base64url (43 characters). */
export type Hmac = (message: string) => string | Promise<string>;

const encoder = new TextEncoder();

export function createHmac(secret: Uint8Array): Hmac {
  const key = crypto.subtle.importKey(
    "raw",
    secret as Uint8Array<ArrayBuffer>,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  return async (message) =>
    base64url(new Uint8Array(await crypto.subtle.sign("HMAC", await key, encoder.encode(message))));
}

export function randomBytes(length: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(length));
}
