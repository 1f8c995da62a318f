/**
 * Node variant of crypto.ts: node:crypto HMAC is synchronous and measured ~445k signs/s on Node 20
 * against ~15k/s for awaited Web Crypto. Same inputs, same outputs (crypto.test.ts).
 */
import { createHmac as nodeHmac, randomFillSync } from "node:crypto";
import type { Hmac } from "./crypto.js";

export type { Hmac } from "./crypto.js";

export function createHmac(secret: Uint8Array): Hmac {
  const key = new Uint8Array(secret);
  return (message) => nodeHmac("sha256", key).update(message, "utf8").digest("base64url");
}

export function randomBytes(length: number): Uint8Array {
  return randomFillSync(new Uint8Array(length));
}
