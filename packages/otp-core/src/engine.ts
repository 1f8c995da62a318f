/**
 * What every stage (send, deliver, verify) shares: the resolved configuration, the keyed hashes,
 * the store behind its fail-closed guard, the clock and the event emitter. Built once per
 * `createOtp`; never exposed (it holds the signing functions).
 */
import { type OtpOptions, type Resolved, resolveOptions } from "./config.js";
import { createHmac, createSealer, type Hmac, type Sealer } from "./crypto.js";
import { OtpError } from "./errors.js";
import { eventEmitter, type OtpEvent } from "./events.js";
import { memoryStore } from "./memory-store.js";
import type { Sender } from "./senders.js";
import type { Store } from "./store.js";

export interface Engine extends Resolved {
  store: Store;
  sender: Sender | undefined;
  clock: () => number;
  /** HMAC under the signing (first) secret. */
  sign: Hmac;
  /** HMACs of `message` under every accepted secret (rotation). */
  candidates(message: string): string[] | Promise<string[]>;
  /**
   * The 16-character keyed digest naming a phone's or a subject's records and windows, so that no
   * number or user id appears in a store key.
   */
  digest(
    kind: "phone" | "subject" | "idempotency" | "ip" | "prefix" | "custom",
    tenant: string,
    value: string,
  ): string | Promise<string>;
  /** Encrypts a record's data (AES-256-GCM), bound to its record key. */
  seal: Sealer["seal"];
  /** Decrypts it under any accepted secret. */
  open: Sealer["open"];
  /** `undefined` when nobody listens: then no event object is built at all. */
  emit: ((event: OtpEvent) => void) | undefined;
}

const encoder = new TextEncoder();

export function createEngine(options: OtpOptions): Engine {
  const resolved = resolveOptions(options);
  const keys = resolved.secrets.map((secret) => encoder.encode(secret));
  const signers: Hmac[] = keys.map((key) => createHmac(key));
  const sign = signers[0]!;
  const sealer = createSealer(keys);
  return {
    ...resolved,
    store: options.store ?? memoryStore(),
    sender: options.sender,
    clock: options.clock ?? Date.now,
    sign,
    // Plain values where the primitive is synchronous (node:crypto): no promise per call. One
    // secret is the common case: skip Promise.all's allocations on the hot path.
    candidates: (message) => {
      if (signers.length > 1) return Promise.all(signers.map((signer) => signer(message)));
      const hash = sign(message);
      return typeof hash === "string" ? [hash] : hash.then((value) => [value]);
    },
    digest: (kind, tenant, value) => {
      const hash = sign(`${kind}|${tenant}|${value}`);
      return typeof hash === "string" ? hash.slice(0, 16) : hash.then((text) => text.slice(0, 16));
    },
    seal: (plaintext, associated) => sealer.seal(plaintext, associated),
    open: (sealed, associated) => sealer.open(sealed, associated),
    emit: eventEmitter(options.onEvent),
  };
}

/** Store failures are outages, never answers: fail closed with `store_unavailable`. */
export function guard<T>(operation: () => Promise<T>): Promise<T> {
  // Not an async function: on the hot path one promise is cheaper than an async frame around it.
  try {
    return operation().catch(unavailable);
  } catch (cause) {
    return Promise.reject(cause).catch(unavailable);
  }
}

function unavailable(cause: unknown): never {
  throw storeFailure(cause);
}

/**
 * What a store's failure answers: an `OtpError` as it is, anything else `store_unavailable`. For
 * hot paths that await a store call inside their own `try` instead of wrapping it in `guard`.
 */
export function storeFailure(cause: unknown): OtpError {
  if (cause instanceof OtpError) return cause;
  return new OtpError("store_unavailable", "Verification storage is unavailable. Try again shortly.", {
    cause,
  });
}
