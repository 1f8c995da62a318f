/**
 * Node variant of crypto.ts: node:crypto HMAC is synchronous and measured ~445k signs/s on Node 20
 * against ~15k/s for awaited Web Crypto. Same inputs, same outputs (crypto.test.ts).
 */
import { createSecretKey, createHmac as nodeHmac, randomFillSync } from "node:crypto";
import type { Hmac } from "./crypto.js";

export type { Hmac } from "./crypto.js";

export function createHmac(secret: Uint8Array): Hmac {
  // A KeyObject is imported once; passing raw bytes would re-import the key on every call.
  const key = createSecretKey(new Uint8Array(secret));
  return (message) => nodeHmac("sha256", key).update(message, "utf8").digest("base64url");
}

/**
 * CSPRNG bytes, drawn from the OS in 4 KiB batches: one randomFillSync per call costs more than
 * the bytes themselves. Every byte is handed out once and the pool is refilled, never reused.
 */
const pool = new Uint8Array(4096);
let offset = pool.length;

export function randomBytes(length: number): Uint8Array {
  if (length > pool.length) return randomFillSync(new Uint8Array(length));
  if (offset + length > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const bytes = pool.slice(offset, offset + length);
  offset += length;
  return bytes;
}
