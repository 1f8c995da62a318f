import { describe, expect, it } from "vitest";
import * as web from "./crypto.js";
import * as node from "./crypto.node.js";

const encoder = new TextEncoder();

describe("HMAC primitive", () => {
  it("gives identical hashes on Web Crypto and node:crypto", async () => {
    const secret = encoder.encode("a-secret-that-is-at-least-32-bytes-long!");
    const webHmac = web.createHmac(secret);
    const nodeHmac = node.createHmac(secret);
    for (const message of ["", "code|:l:abc|123456", "ünïcödé ✓", "x".repeat(1000)]) {
      expect(await webHmac(message)).toBe(await nodeHmac(message));
    }
  });

  it("stays identical around the node variant's scratch-buffer bound, for long keys, and across calls", async () => {
    // 340 UTF-16 units is where the node variant switches paths; 4-byte UTF-8 (surrogate pairs)
    // and 3-byte characters fill its buffer the most.
    const messages = [
      "a".repeat(339),
      "a".repeat(340),
      "a".repeat(341),
      "€".repeat(340),
      "€".repeat(341),
      "😀".repeat(170),
      "😀".repeat(171),
      "phone||+14155551234",
      "p",
    ];
    for (const secret of [
      encoder.encode("a-secret-that-is-at-least-32-bytes-long!"),
      encoder.encode("k".repeat(64)),
      encoder.encode("a-secret-longer-than-one-sha-256-block-".repeat(3)),
    ]) {
      const webHmac = web.createHmac(secret);
      const nodeHmac = node.createHmac(secret);
      // Twice each, interleaved: nothing of one message may carry over into the next.
      for (const message of [...messages, ...messages.reverse()])
        expect(await nodeHmac(message), `${message.length} units`).toBe(await webHmac(message));
    }
  });

  it("matches the RFC 4231 test case 2 vector", async () => {
    // key "Jefe", data "what do ya want for nothing?" → 5bdcc146bf60754e6a042426089575c7...
    const expected = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
    const hex = (base64url: string) =>
      [...atob(base64url.replace(/-/g, "+").replace(/_/g, "/"))]
        .map((c) => c.charCodeAt(0).toString(16).padStart(2, "0"))
        .join("");
    expect(hex(await web.createHmac(encoder.encode("Jefe"))("what do ya want for nothing?"))).toBe(expected);
    expect(hex(await node.createHmac(encoder.encode("Jefe"))("what do ya want for nothing?"))).toBe(expected);
    // Test case 6: a 131-byte key (longer than a block, so hashed first), 0xaa repeated.
    const long = new Uint8Array(131).fill(0xaa);
    const six = "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54";
    const message = "Test Using Larger Than Block-Size Key - Hash Key First";
    expect(hex(await web.createHmac(long)(message))).toBe(six);
    expect(hex(await node.createHmac(long)(message))).toBe(six);
  });

  it("depends on the key", async () => {
    const a = await node.createHmac(encoder.encode("k".repeat(32)))("m");
    const b = await node.createHmac(encoder.encode("j".repeat(32)))("m");
    expect(a).not.toBe(b);
  });

  it("draws random bytes of the requested length on both", () => {
    for (const variant of [web, node]) {
      const bytes = variant.randomBytes(32);
      expect(bytes).toBeInstanceOf(Uint8Array);
      expect(bytes).toHaveLength(32);
      expect(variant.randomBytes(32)).not.toEqual(bytes);
    }
  });
});

describe("record sealing (AES-256-GCM, HKDF keys)", () => {
  const secrets = [
    encoder.encode("new-secret-new-secret-new-secret-!!"),
    encoder.encode("old-secret-old-secret-old-secret-!!"),
  ];
  const plaintext = JSON.stringify({ phone: "+14155551234", metadata: { ü: "✓" } });

  it("opens across variants: node seals, Web Crypto opens, and back", async () => {
    const w = web.createSealer(secrets);
    const n = node.createSealer(secrets);
    expect(await w.open(await n.seal(plaintext, "t:l:key"), "t:l:key")).toBe(plaintext);
    expect(await n.open(await w.seal(plaintext, "t:l:key"), "t:l:key")).toBe(plaintext);
  });

  it("hides the plaintext, uses a fresh IV each time, and keeps working across rotation", async () => {
    for (const variant of [web, node]) {
      const sealer = variant.createSealer(secrets);
      const a = await sealer.seal(plaintext, "k");
      const b = await sealer.seal(plaintext, "k");
      expect(a).toMatch(/^e1\.[\w-]{16}\.[\w-]+$/);
      expect(a).not.toBe(b);
      expect(a).not.toContain("4155551234");
      // Sealed under the old secret (first in an earlier list): still opens after rotation.
      const old = await variant.createSealer([secrets[1]!]).seal(plaintext, "k");
      expect(await sealer.open(old, "k")).toBe(plaintext);
      await expect(
        Promise.resolve().then(() => variant.createSealer([secrets[0]!]).open(old, "k")),
      ).rejects.toThrow();
    }
  });

  it("refuses a value moved to another key, or tampered with", async () => {
    for (const variant of [web, node]) {
      const sealer = variant.createSealer(secrets);
      const sealed = await sealer.seal(plaintext, "t:l:one");
      await expect(Promise.resolve().then(() => sealer.open(sealed, "t:l:two"))).rejects.toThrow();
      const flipped = sealed.slice(0, -2) + (sealed.at(-2) === "A" ? "B" : "A") + sealed.at(-1);
      await expect(Promise.resolve().then(() => sealer.open(flipped, "t:l:one"))).rejects.toThrow();
      await expect(Promise.resolve().then(() => sealer.open("plain json", "t:l:one"))).rejects.toThrow();
    }
  });
});
