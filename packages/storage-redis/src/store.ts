import {
  type CheckInput,
  type CheckResult,
  deadline,
  type FailureRule,
  type HitResult,
  keyTenant,
  type OtpRecord,
  type PutOptions,
  type PutResult,
  type RateHit,
  type Store,
  type WindowRule,
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

/** A shared log's two arguments (comma lists of limits and windows), and the rules they were made from. */
interface SharedArguments {
  /** The hit's own limit and window, then each `also` rule's: flat. */
  made: number[];
  limits: string;
  windows: string;
}

/**
 * A shared log's arguments, made once per `also` list: the core hands every send the same frozen
 * list per rule list, so joining it again per send would only make garbage. Checked against the
 * rules each time (a caller may reuse a list with other numbers), and made anew when they differ.
 */
const sharedArguments = new WeakMap<readonly WindowRule[], SharedArguments>();

function sharedArgumentsOf(hit: RateHit, also: readonly WindowRule[]): SharedArguments {
  const known = sharedArguments.get(also);
  if (known) {
    const made = known.made;
    let same = made.length === 2 + 2 * also.length && made[0] === hit.limit && made[1] === hit.windowMs;
    for (let i = 0; same && i < also.length; i++)
      same = made[2 + 2 * i] === also[i]!.limit && made[3 + 2 * i] === also[i]!.windowMs;
    if (same) return known;
  }
  const made = [hit.limit, hit.windowMs];
  let limits = String(hit.limit);
  let windows = String(hit.windowMs);
  for (const rule of also) {
    made.push(rule.limit, rule.windowMs);
    limits += `,${rule.limit}`;
    windows += `,${rule.windowMs}`;
  }
  const texts = { made, limits, windows };
  sharedArguments.set(also, texts);
  return texts;
}

/**
 * Appends what `countAll` reads for `hits` (see scripts.ts): the windows' options — "" when every
 * hit counts one event and has no tripwire, else four values per hit — then limit and window per
 * hit. `ratioAt` is the KEYS index (1-based) of the first tripwire's verified-events window.
 */
function pushWindowArguments(hits: readonly RateHit[], out: string[], ratioAt: number): void {
  let plain = true;
  for (const hit of hits) {
    if (hit.ratio || (hit.weight !== undefined && hit.weight !== 1)) {
      plain = false;
      break;
    }
  }
  if (plain) {
    out.push("");
  } else {
    let options = "";
    for (const hit of hits) {
      const ratio = hit.ratio;
      const each = ratio
        ? `${hit.weight ?? 1},${ratioAt++},${ratio.minEvents},${ratio.minRatio}`
        : `${hit.weight ?? 1},0,0,0`;
      options = options ? `${options},${each}` : each;
    }
    out.push(options);
  }
  for (const hit of hits) {
    const also = hit.also;
    if (also?.length) {
      const shared = sharedArgumentsOf(hit, also);
      out.push(shared.limits, shared.windows);
    } else {
      out.push(String(hit.limit), String(hit.windowMs));
    }
  }
}

/** A consecutive-failure counter's one argument (see checkBody in scripts.ts). */
const counterArgument = (rule: FailureRule) =>
  `${rule.threshold},${rule.backoffMs},${rule.maxBackoffMs},${rule.retainMs}`;

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
   * `keys` (their arguments follow later, from `pushWindowArguments`: keys come first in EVALSHA).
   * Throws, before anything is sent, when a key is not of `tenant`.
   */
  const pushWindowKeys = (tenant: string, hits: readonly RateHit[], keys: string[]) => {
    for (const hit of hits) keys.push(windowKey(tenant, hit.key));
    for (const hit of hits) if (hit.ratio) keys.push(windowKey(tenant, hit.ratio.key));
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
      try {
        keys = [redisKey("r", key)];
        pushWindowKeys(tenantOf(key), hits, keys);
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
      pushWindowArguments(hits, keys, 2 + hits.length);
      return run(scripts.put, numKeys, keys, (reply) =>
        Array.isArray(reply) ? limited(hits, reply) : putResult(reply),
      );
    },

    check(key: string, { id, hashes, now, failures = [], hits }: CheckInput): Promise<CheckResult> {
      const keysAndArgs = [redisKey("r", key)];
      // With hits, their windows come right after the record and their arguments before the
      // hashes (see checkHitsScript); without, the plain script, which does not even define the
      // window functions.
      const withHits = hits !== undefined && hits.length > 0;
      try {
        const tenant = tenantOf(key);
        if (withHits) pushWindowKeys(tenant, hits, keysAndArgs);
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
      if (withHits) {
        keysAndArgs.push(String(hits.length), String(numKeys - 1 - failures.length));
        pushWindowArguments(hits, keysAndArgs, 2 + hits.length);
      }
      for (const hash of hashes) keysAndArgs.push(hash);
      for (const rule of failures) keysAndArgs.push(counterArgument(rule));
      if (!withHits) return run(scripts.check, numKeys, keysAndArgs, checkResult);
      return run(scripts.checkHits, numKeys, keysAndArgs, (reply) =>
        Array.isArray(reply) && reply[0] === checkReply.limited
          ? { status: "limited", key: hits![reply[1]! - 1]!.key, retryAfterMs: Number(reply[2]) }
          : checkResult(reply),
      );
    },

    hit(hits: readonly RateHit[], now: number): Promise<HitResult> {
      if (!hits.length) return Promise.resolve({ ok: true });
      const keys: string[] = [];
      try {
        pushWindowKeys(tenantOf(hits[0]!.key), hits, keys);
      } catch (error) {
        return Promise.reject(error);
      }
      const numKeys = keys.length;
      keys.push(String(now), String(hits.length));
      pushWindowArguments(hits, keys, 1 + hits.length);
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
