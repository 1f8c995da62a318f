import { createOtp, outbox } from "@otpkit/otp-core";
import type { Cluster, Redis } from "ioredis";
import type { createClient, createCluster } from "redis";
import { afterAll, describe, expect, it } from "vitest";
import { redisStore } from "../src/index.js";
import { dropKeys, ioredisClient, runPrefix } from "./helpers.js";

/** Redis Cluster's key slot: CRC16 (XMODEM) of the hash tag when there is one, else of the key. */
function slot(key: string): number {
  const open = key.indexOf("{");
  const close = open < 0 ? -1 : key.indexOf("}", open + 1);
  const hashed = close > open + 1 ? key.slice(open + 1, close) : key;
  let crc = 0;
  for (const byte of Buffer.from(hashed)) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++)
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}

describe("Redis Cluster: every script touches one slot", () => {
  const client = ioredisClient();
  const prefix = runPrefix("cluster");
  afterAll(async () => {
    await dropKeys(client, prefix);
    client.disconnect();
  });

  it("computes slots like Redis does (the examples of the specification and of CLUSTER KEYSLOT)", () => {
    expect(slot("123456789")).toBe(12739);
    expect(slot("somekey")).toBe(11058);
    expect(slot("foo{hash_tag}")).toBe(2515);
    expect(slot("bar{hash_tag}")).toBe(2515);
  });

  it("sends, verifies and limits with all keys of each operation in one slot, for every tenant", async () => {
    const slotsPerCall: number[][] = [];
    let checksWithHits = 0;
    // Watch every script call's keys on their way to the server.
    const watched = new Proxy(client, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver);
        if (property !== "evalsha" && property !== "eval") return value;
        return (script: string, numKeys: number, keysAndArgs: string[]) => {
          slotsPerCall.push(keysAndArgs.slice(0, numKeys).map(slot));
          if (numKeys > 1 && keysAndArgs[0]!.includes("}:r") && keysAndArgs[1]!.includes("}:w"))
            checksWithHits++;
          return value.call(target, script, numKeys, keysAndArgs);
        };
      },
    });
    const sender = outbox();
    const otp = createOtp({
      secret: "cluster-test-secret-cluster-test-secret!",
      store: redisStore({ client: watched, prefix }),
      sender,
    });
    for (const tenant of ["", "acme", "globex"]) {
      const { id } = await otp.send({ phone: "+14155552671", ip: "2001:db8::1", tenant });
      await otp.limit(
        "203.0.113.4",
        [
          { limit: 5, windowSeconds: 60 },
          { limit: 50, windowSeconds: 3600 },
        ],
        tenant,
      );
      // With an IP, the verification's per-IP windows are counted inside the check script.
      await otp.verify({ id, code: sender.lastCode("+14155552671")!, tenant, ip: "2001:db8::1" });
    }
    expect(slotsPerCall.length).toBeGreaterThanOrEqual(9);
    // (A put with windows also starts with the record then a window: at least the three checks.)
    expect(checksWithHits).toBeGreaterThanOrEqual(6);
    for (const slots of slotsPerCall) expect(new Set(slots).size).toBe(1);
    // Tenants spread over slots.
    expect(new Set(slotsPerCall.map((slots) => slots[0])).size).toBe(3);
  });
});

/** Compile-time: every supported client shape is accepted (never called). */
export const acceptsEveryClient = (
  io: Redis,
  ioCluster: Cluster,
  nodeRedis: ReturnType<typeof createClient>,
  nodeRedisCluster: ReturnType<typeof createCluster>,
) => [io, ioCluster, nodeRedis, nodeRedisCluster].map((client) => redisStore({ client }));
