import {
  type CheckInput,
  type CheckResult,
  deadline,
  type HitResult,
  keyTenant,
  type OtpRecord,
  type PutOptions,
  type PutResult,
  type RateHit,
  type Store,
} from "@otpkit/otp-core/store";
import { type RedisClientLike, runScript, type Script, script, scriptRunner } from "./client.js";
import {
  checkHitsScript,
  checkReply,
  checkScript,
  deleteScript,
  hitScript,
  putScript,
  readScript,
  releaseScript,
} from "./scripts.js";

export interface RedisStoreOptions {
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
  /**
   * After this many operations in a row ran out of time, the store forces the client to reconnect
   * (ioredis: `disconnect(true)`; node-redis: `destroy()` then `connect()`). A half-open connection
   * (the server's host gone without a reset) otherwise keeps every request at 503 until the kernel
   * gives up on the socket — about 15 minutes with Linux defaults; TCP keepalive cannot help while
   * unacknowledged data is in flight. The reconnect drops the client's other in-flight commands
   * too: if the app shares the client with other code, that code sees them fail once. `0` turns it
   * off. Default: `3`.
   */
  reconnectAfterTimeouts?: number;
}

const scripts = {
  put: script(putScript),
  check: script(checkScript),
  checkHits: script(checkHitsScript),
  hit: script(hitScript),
  release: script(releaseScript),
  read: script(readScript),
  delete: script(deleteScript),
};

/** What the scripts answer: a bulk string, an integer, or an array of integers (see scripts.ts). */
type Reply = string | number | number[];

/** An optional id as one script argument: "" for none, else "=" and the id. */
const idMarker = (id: string | undefined) => (id === undefined ? "" : `=${id}`);

/** The record as the scripts store it: seven header lines, then the data (see scripts.ts). */
function encodeRecord(record: OtpRecord, retainUntil: number): string {
  const { id, hash, linkHash = "", expiresAt, attempts, maxAttempts } = record;
  // Plain checks, no closures: this runs on every send.
  if (
    !(isCount(retainUntil) && isCount(expiresAt) && isCount(attempts) && isCount(maxAttempts)) ||
    id.includes("\n") ||
    hash.includes("\n") ||
    linkHash.includes("\n")
  ) {
    throw new TypeError(
      "redisStore: record times and counts are whole numbers; ids and hashes have no newline.",
    );
  }
  return `${retainUntil}\n${expiresAt}\n${attempts}\n${maxAttempts}\n${id}\n${hash}\n${linkHash}\n${record.data}`;
}

const isCount = (value: number) => Number.isSafeInteger(value) && value >= 0;

function decodeRecord(value: string): OtpRecord {
  // The seven header lines (a native split, limited so the data — which may hold newlines — is
  // not split), then the data: everything after them.
  const header = value.split("\n", 7);
  let dataStart = 7;
  for (let i = 0; i < 7; i++) dataStart += header[i]!.length;
  const record: OtpRecord = {
    id: header[4]!,
    hash: header[5]!,
    expiresAt: Number(header[1]),
    attempts: Number(header[2]),
    maxAttempts: Number(header[3]),
    data: value.slice(dataStart),
  };
  if (header[6]) record.linkHash = header[6];
  return record;
}

/** The check script's reply as the contract's result (module level: no closure per call). */
function checkResult(reply: Reply): CheckResult {
  if (typeof reply === "string") return { status: "approved", record: decodeRecord(reply) };
  if (Array.isArray(reply) && reply[0] === checkReply.locked)
    return { status: "locked", retryAfterMs: Number(reply[1]) };
  if (typeof reply === "number" && reply > 0) return { status: "invalid", attemptsLeft: reply };
  if (reply === checkReply.notFound) return { status: "not_found" };
  if (reply === checkReply.expired) return { status: "expired" };
  if (reply === checkReply.tooManyAttempts) return { status: "too_many_attempts" };
  throw new Error(`redisStore: unexpected reply ${String(reply)} from the check script.`);
}

const wasRemoved = (reply: Reply) => reply === 1;

/** The put script's reply when no window refused. */
const putResult = (reply: Reply): PutResult => ({
  ok: true,
  previous: typeof reply === "string" ? decodeRecord(reply) : null,
});

/** The tenant of a core key (`tenant:l:digest`, `tenant:rl:…`): core's documented key fact. */
const tenantOf = keyTenant;

/**
 * A `Store` on Redis (standalone, Sentinel or Cluster). Each operation is one Lua script, sent with
 * EVALSHA: one round trip, and atomic because Redis runs a script without interleaving any other
 * command. Expiry lives in Redis (PEXPIRE), so nothing needs sweeping.
 *
 * Every key of one operation carries the same hash tag, `{<prefix><tenant>}`, so each script
 * touches a single Cluster slot: one slot per tenant.
 */
export function createRedisStore(options: RedisStoreOptions) {
  const runner = scriptRunner(options.client);
  const prefix = options.prefix ?? "otp:";
  if (/[{}]/.test(prefix)) throw new TypeError("redisStore: `prefix` must not contain { or }.");
  const reconnectAfter = options.reconnectAfterTimeouts ?? 3;
  let timeoutsInARow = 0;
  const bounded = deadline(options.timeoutMs ?? 2000, "Redis", {
    expired() {
      if (reconnectAfter > 0 && ++timeoutsInARow >= reconnectAfter) {
        timeoutsInARow = 0;
        forceReconnect(options.client);
      }
    },
    answered() {
      timeoutsInARow = 0;
    },
  });

  /**
   * `tenant:rest` becomes `{<prefix>tenant}:<kind>:rest`; the kind (`r` record, `w` window, `f`
   * failure counter) keeps them apart. A key without a colon (tenant "") keeps its whole text after the kind.
   */
  const redisKey = (kind: "r" | "w" | "f", key: string) => {
    const tenant = tenantOf(key);
    return `{${prefix}${tenant}}:${kind}${key.slice(tenant.length)}`;
  };

  /** A window's Redis key; a script may only touch one slot, so it must belong to `tenant`. */
  const windowKey = (tenant: string, key: string) => {
    if (tenantOf(key) !== tenant)
      throw new Error("redisStore: all keys of one operation must share a tenant (one Cluster slot).");
    return `{${prefix}${tenant}}:w${key.slice(tenant.length)}`;
  };

  /**
   * Appends the window keys of `hits` (rule order), then the tripwires' verified-events keys, to
   * `keys`, and returns the six arguments per window that `countAll` reads. `first` is the KEYS
   * index (1-based) of the first window.
   */
  const windowPlan = (tenant: string, hits: readonly RateHit[], keys: string[], first: number) => {
    const args: string[] = [];
    for (const hit of hits) keys.push(windowKey(tenant, hit.key));
    let ratioAt = first + hits.length;
    for (const hit of hits) {
      const ratio = hit.ratio;
      if (ratio) keys.push(windowKey(tenant, ratio.key));
      // A shared log's rules travel as comma lists in the same two arguments (see scripts.ts).
      const also = hit.also;
      args.push(
        also?.length ? [hit.limit, ...also.map((rule) => rule.limit)].join(",") : String(hit.limit),
        also?.length ? [hit.windowMs, ...also.map((rule) => rule.windowMs)].join(",") : String(hit.windowMs),
        String(hit.weight ?? 1),
        ratio ? String(ratioAt++) : "0",
        ratio ? String(ratio.minEvents) : "0",
        ratio ? String(ratio.minRatio) : "0",
      );
    }
    return args;
  };

  /** One script, one round trip, bounded; `map` turns the reply into the operation's result. */
  const run = <R>(which: Script, numKeys: number, keysAndArgs: string[], map: (reply: Reply) => R) =>
    runScript(runner, bounded, which, numKeys, keysAndArgs, map as (reply: unknown) => R);

  /** The reply of a script whose windows refused: `{rule index (1-based), retry after ms}`. */
  const limited = (hits: readonly RateHit[], [index, retryAfterMs]: number[]) => ({
    ok: false as const,
    key: hits[index! - 1]!.key,
    retryAfterMs: retryAfterMs!,
  });

  // Plain functions returning the bounded promise (not `async`): an async wrapper would add a
  // promise and a hop per operation, which shows at tens of thousands of operations a second.
  // Each builds one array — keys, then arguments — for the same reason.
  return {
    name: "redis",
    sharedLogs: true,
    checkHits: true,

    put(
      key: string,
      record: OtpRecord,
      { now, retainUntil, hits = [], ifId, carry }: PutOptions,
    ): Promise<PutResult> {
      let keys: string[];
      let args: string[];
      try {
        keys = [redisKey("r", key)];
        args = windowPlan(tenantOf(key), hits, keys, 2);
      } catch (error) {
        return Promise.reject(error); // a Store answers with a promise, even when refusing its input
      }
      const numKeys = keys.length;
      keys.push(
        String(now),
        idMarker(ifId),
        carry ? "1" : "",
        String(hits.length),
        encodeRecord(record, retainUntil),
      );
      for (const arg of args) keys.push(arg);
      return run(scripts.put, numKeys, keys, (reply) =>
        Array.isArray(reply) ? limited(hits, reply) : putResult(reply),
      );
    },

    check(key: string, { id, hashes, now, failures = [], hits }: CheckInput): Promise<CheckResult> {
      const keysAndArgs = [redisKey("r", key)];
      // With hits, their windows come right after the record and their six arguments each before
      // the hashes (see checkHitsScript); without, the plain script, which does not even define
      // the window functions.
      let windowArgs: string[] | undefined;
      try {
        const tenant = tenantOf(key);
        if (hits?.length) windowArgs = windowPlan(tenant, hits, keysAndArgs, 2);
        for (const rule of failures) {
          // One slot per script: the counters live under the record's tenant tag.
          if (tenantOf(rule.key) !== tenant)
            throw new Error("redisStore: all keys of one operation must share a tenant (one Cluster slot).");
          keysAndArgs.push(redisKey("f", rule.key));
        }
      } catch (error) {
        return Promise.reject(error);
      }
      const numKeys = keysAndArgs.length;
      keysAndArgs.push(String(now), idMarker(id), String(hashes.length));
      if (windowArgs) {
        keysAndArgs.push(String(hits!.length), String(numKeys - 1 - failures.length));
        for (const arg of windowArgs) keysAndArgs.push(arg);
      }
      for (const hash of hashes) keysAndArgs.push(hash);
      for (const rule of failures)
        keysAndArgs.push(
          String(rule.threshold),
          String(rule.backoffMs),
          String(rule.maxBackoffMs),
          String(rule.retainMs),
        );
      if (!windowArgs) return run(scripts.check, numKeys, keysAndArgs, checkResult);
      return run(scripts.checkHits, numKeys, keysAndArgs, (reply) =>
        Array.isArray(reply) && reply[0] === checkReply.limited
          ? { status: "limited", key: hits![reply[1]! - 1]!.key, retryAfterMs: Number(reply[2]) }
          : checkResult(reply),
      );
    },

    hit(hits: readonly RateHit[], now: number): Promise<HitResult> {
      if (!hits.length) return Promise.resolve({ ok: true });
      const keys: string[] = [];
      let args: string[];
      try {
        args = windowPlan(tenantOf(hits[0]!.key), hits, keys, 1);
      } catch (error) {
        return Promise.reject(error);
      }
      const numKeys = keys.length;
      keys.push(String(now), String(hits.length));
      for (const arg of args) keys.push(arg);
      return run(
        scripts.hit,
        numKeys,
        keys,
        (reply): HitResult => (Array.isArray(reply) ? limited(hits, reply) : { ok: true }),
      );
    },

    release(hits: readonly RateHit[], at: number): Promise<void> {
      if (!hits.length) return Promise.resolve();
      let keysAndArgs: string[];
      try {
        const tenant = tenantOf(hits[0]!.key);
        keysAndArgs = hits.map((hit) => windowKey(tenant, hit.key));
      } catch (error) {
        return Promise.reject(error);
      }
      keysAndArgs.push(String(at));
      for (const hit of hits) keysAndArgs.push(String(hit.weight ?? 1));
      return run(scripts.release, hits.length, keysAndArgs, nothing);
    },

    read(key: string, now: number): Promise<OtpRecord | null> {
      return run(scripts.read, 1, [redisKey("r", key), String(now)], (reply) =>
        typeof reply === "string" ? decodeRecord(reply) : null,
      );
    },

    delete(key: string, id?: string): Promise<boolean> {
      return run(scripts.delete, 1, [redisKey("r", key), idMarker(id)], wasRemoved);
    },
  } satisfies Store;
}

const nothing = () => undefined;

/** Drops the client's connection and opens a new one (see `reconnectAfterTimeouts`). */
function forceReconnect(client: RedisClientLike): void {
  const candidate = client as {
    evalsha?: unknown;
    disconnect?: (reconnect?: boolean) => unknown;
    destroy?: () => unknown;
    connect?: () => Promise<unknown>;
  };
  try {
    const stream = (client as { stream?: { destroy?: () => void } }).stream;
    if (typeof candidate.evalsha === "function" && typeof stream?.destroy === "function") {
      // ioredis: destroying the socket (ending it politely would wait for a peer that is gone)
      // makes the client reconnect by its retry strategy, as after any lost connection.
      stream.destroy();
    } else if (typeof candidate.evalsha === "function" && typeof candidate.disconnect === "function") {
      candidate.disconnect(true); // ioredis Cluster: reconnects every node
    } else if (typeof candidate.destroy === "function" && typeof candidate.connect === "function") {
      Promise.resolve(candidate.destroy())
        .then(() => candidate.connect!())
        .catch(() => {}); // node-redis: a failed connect shows up as store_unavailable on the next call
    }
  } catch {
    // Reconnecting is best effort; the deadline keeps failing requests closed meanwhile.
  }
}
