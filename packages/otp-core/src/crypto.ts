/**
 * The keyed-hash and randomness primitive, on Web Crypto: runs on Deno, Bun, browsers and edge
 * runtimes. Node builds swap in `crypto.node.ts` (see tsup.config.ts and the `node` export
 * condition), because Web Crypto HMAC in Node 20 is ~30x slower than node:crypto.
 * Both variants must produce identical output; crypto.test.ts proves it.
 */
import { base64url, fromBase64url } from "./encoding.js";
import { sealInfo, sealSalt } from "./seal-params.js";

/** A keyed HMAC-SHA-256 over UTF-8 text, returning base64url (43 characters). */
export type Hmac = (message: string) => string | Promise<string>;

/**
 * Authenticated encryption of what a record keeps besides hashes (the number, its mask, the
 * metadata): AES-256-GCM under a key derived from each secret with HKDF-SHA-256, a random 96-bit
 * IV per record, and the record key as additional data (a sealed value moved to another key fails
 * to open). `seal` uses the first secret; `open` tries each, so rotation keeps working.
 * Sealed text: `e1.<iv>.<ciphertext and tag>`, base64url.
 */
export interface Sealer {
  seal(plaintext: string, associated: string): string | Promise<string>;
  open(sealed: string, associated: string): string | Promise<string>;
}

const decoder = new TextDecoder();

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

export function createSealer(secrets: readonly Uint8Array[]): Sealer {
  const keys = secrets.map(async (secret) => {
    const material = await crypto.subtle.importKey("raw", secret as Uint8Array<ArrayBuffer>, "HKDF", false, [
      "deriveKey",
    ]);
    return crypto.subtle.deriveKey(
      { name: "HKDF", hash: "SHA-256", salt: encoder.encode(sealSalt), info: encoder.encode(sealInfo) },
      material,
      { name: "AES-GCM", length: 256 },
      false,
      ["encrypt", "decrypt"],
    );
  });
  return {
    async seal(plaintext, associated) {
      const iv = randomBytes(12);
      const sealed = await crypto.subtle.encrypt(
        { name: "AES-GCM", iv: iv as Uint8Array<ArrayBuffer>, additionalData: encoder.encode(associated) },
        await keys[0]!,
        encoder.encode(plaintext),
      );
      return `e1.${base64url(iv)}.${base64url(new Uint8Array(sealed))}`;
    },
    async open(sealed, associated) {
      const [version, iv, body] = sealed.split(".");
      if (version !== "e1" || !iv || !body) throw new TypeError("Not a sealed record.");
      const params = {
        name: "AES-GCM",
        iv: fromBase64url(iv) as Uint8Array<ArrayBuffer>,
        additionalData: encoder.encode(associated),
      };
      const data = fromBase64url(body) as Uint8Array<ArrayBuffer>;
      for (const key of keys) {
        try {
          return decoder.decode(await crypto.subtle.decrypt(params, await key, data));
        } catch {
          // Sealed under another secret of the rotation list (or tampered with): try the next.
        }
      }
      throw new TypeError("The record does not open under any configured secret.");
    },
  };
}

export function randomBytes(length: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(length));
}
