import type {
  CheckInput,
  CheckResult,
  HitResult,
  OtpRecord,
  PutOptions,
  PutResult,
  RateHit,
  Store,
} from "@otpkit/otp-core";
import { deadline } from "@otpkit/otp-core";
import { type RedisClientLike, runScript, type Script, script, scriptRunner } from "./client.js";

import { checkScript, deleteScript, hitScript, putScript } from "./scripts.js";

export type { IoRedisLike, NodeRedisLike, RedisClientLike } from "./client.js";

export interface RedisStorageOptions {
  /**
   * The app's own connected client: an `ioredis` `Redis` or `Cluster`, or a `redis` (node-redis v5)
   * client or cluster. The store never connects, reconnects or closes it. For failing closed
   * promptly when Redis is down, configure it not to queue commands while disconnected — see the README.
   */
  client: RedisClientLike;
  /**
   * Starts the hash tag of every key: `{<prefix><tenant>}:…`. Use one per app (or per test run)
   * sharing a Redis. Must not contain `{` or `}`. Default: `"otp:"`.
   */
  prefix?: string;
  /**
   * Milliseconds an operation may take before it fails (and the core answers `store_unavailable`),
   * whatever the client's own retry settings. `0` turns the guard off. Default: `2000`.
   */
  timeoutMs?: number;
}

const scripts = {
  put: script(putScript),
  check: script(checkScript),
  hit: script(hitScript),
  delete: script(deleteScript),
};

type Reply = Array<string | number>;

/** The record as the scripts store it: seven header lines, then the data (see scripts.ts). */
function encodeRecord(record: OtpRecord, retainUntil: number): string {
  const numbers = [retainUntil, record.expiresAt, record.attempts, record.maxAttempts];
  const texts = [record.id, record.hash, record.linkHash ?? ""];
  if (!numbers.every((n) => Number.isSafeInteger(n) && n >= 0) || texts.some((text) => text.includes("\n"))) {
    throw new TypeError(
      "redisStorage: record times and counts are whole numbers; ids and hashes have no newline.",
    );
  }
  return `${numbers.join("\n")}\n${texts.join("\n")}\n${record.data}`;
}

function decodeRecord(value: string): OtpRecord {
  const lines: string[] = [];
  let start = 0;
  for (let i = 0; i < 7; i++) {
    const end = value.indexOf("\n", start);
    lines.push(value.slice(start, end));
    start = end + 1;
  }
  const [, expiresAt, attempts, maxAttempts, id, hash, linkHash] = lines as [string, ...string[]];
  return {
    id: id!,
    hash: hash!,
    ...(linkHash ? { linkHash } : {}),
    expiresAt: Number(expiresAt),
    attempts: Number(attempts),
    maxAttempts: Number(maxAttempts),
    data: value.slice(start),
  };
}

/** The tenant of a core key is what precedes its first `:` (`tenant:l:digest`, `tenant:rl:…`). */
const tenantOf = (key: string) => {
  const colon = key.indexOf(":");
  return colon < 0 ? "" : key.slice(0, colon);
};

/**
 * A `Store` on Redis (standalone, Sentinel or Cluster). Each operation is one Lua script, sent with
 * EVALSHA: one round trip, and atomic because Redis runs a script without interleaving any other
 * command. Expiry lives in Redis (PEXPIRE), so nothing needs sweeping.
 *
 * Every key of one operation carries the same hash tag, `{<prefix><tenant>}`, so each script
 * touches a single Cluster slot: one slot per tenant.
 */
export function redisStorage(options: RedisStorageOptions) {
  const runner = scriptRunner(options.client);
  const prefix = options.prefix ?? "otp:";
  if (/[{}]/.test(prefix)) throw new TypeError("redisStorage: `prefix` must not contain { or }.");
  const bounded = deadline(options.timeoutMs ?? 2000, "Redis");

  /**
   * `tenant:rest` becomes `{<prefix>tenant}:<kind>:rest`; the kind (`r` record, `w` window) keeps
   * records and windows apart. A key without a colon (tenant "") keeps its whole text after the kind.
   */
  const redisKey = (kind: "r" | "w", key: string) => {
    const tenant = tenantOf(key);
    return `{${prefix}${tenant}}:${kind}${key.slice(tenant.length)}`;
  };

  /**
   * Appends each rule's window key to `keys` and its limit and window to `args`, in the same order.
   * A script may only touch one slot, so every window must belong to `tenant`, the operation's.
   */
  const addWindows = (tenant: string, hits: readonly RateHit[], keys: string[], args: string[]) => {
    for (const hit of hits) {
      if (tenantOf(hit.key) !== tenant) {
        throw new Error("redisStorage: all keys of one operation must share a tenant (one Cluster slot).");
      }
      keys.push(`{${prefix}${tenant}}:w${hit.key.slice(tenant.length)}`);
      args.push(String(hit.limit), String(hit.windowMs));
    }
  };

  const run = (which: Script, keys: string[], args: string[]) =>
    bounded(runScript(runner, which, keys, args)) as Promise<Reply>;

  return {
    name: "redis",

    async put(
      key: string,
      record: OtpRecord,
      { now, retainUntil, hits = [], ifId }: PutOptions,
    ): Promise<PutResult> {
      const keys = [redisKey("r", key)];
      const args = [
        String(now),
        String(retainUntil - now),
        ifId === undefined ? "0" : "1",
        ifId ?? "",
        encodeRecord(record, retainUntil),
      ];
      addWindows(tenantOf(key), hits, keys, args);
      const reply = await run(scripts.put, keys, args);
      if (reply[0] === "limited") {
        return { ok: false, key: hits[Number(reply[1]) - 1]!.key, retryAfterMs: Number(reply[2]) };
      }
      return { ok: true, previous: reply.length > 1 ? decodeRecord(String(reply[1])) : null };
    },

    async check(key: string, { id, hashes, now }: CheckInput): Promise<CheckResult> {
      const reply = await run(
        scripts.check,
        [redisKey("r", key)],
        [String(now), id === undefined ? "0" : "1", id ?? "", ...hashes],
      );
      switch (reply[0]) {
        case "approved":
          return { status: "approved", record: decodeRecord(String(reply[1])) };
        case "invalid":
          return { status: "invalid", attemptsLeft: Number(reply[1]) };
        case "too_many_attempts":
        case "expired":
        case "not_found":
          return { status: reply[0] };
        default:
          throw new Error(`redisStorage: unexpected reply ${String(reply[0])} from the check script.`);
      }
    },

    async hit(hits: readonly RateHit[], now: number): Promise<HitResult> {
      if (!hits.length) return { ok: true };
      const keys: string[] = [];
      const args = [String(now)];
      addWindows(tenantOf(hits[0]!.key), hits, keys, args);
      const reply = await run(scripts.hit, keys, args);
      if (reply[0] === "limited") {
        return { ok: false, key: hits[Number(reply[1]) - 1]!.key, retryAfterMs: Number(reply[2]) };
      }
      return { ok: true };
    },

    async delete(key: string, id?: string): Promise<boolean> {
      const removed = await run(
        scripts.delete,
        [redisKey("r", key)],
        [id === undefined ? "0" : "1", id ?? ""],
      );
      return (removed as unknown as number) === 1;
    },
  } satisfies Store;
}
