import { createHash } from "node:crypto";
import type { Bounded } from "@otpkit/otp-core/store";

/**
 * The one thing the store asks of a Redis client: run a Lua script by its SHA-1, or by its source.
 * Each supported client gets a tiny adapter to this shape, so the store itself is client-agnostic.
 */
export interface ScriptRunner {
  /** `keysAndArgs`: the `numKeys` keys, then the arguments, in one array (one allocation per call). */
  evalsha(sha: string, numKeys: number, keysAndArgs: string[]): Promise<unknown>;
  eval(script: string, numKeys: number, keysAndArgs: string[]): Promise<unknown>;
}

/** The slice of an `ioredis` client (`Redis` or `Cluster`) that the store uses. */
export interface IoRedisLike {
  evalsha(sha: string, numKeys: number, keysAndArgs: string[]): Promise<unknown>;
  eval(script: string, numKeys: number, keysAndArgs: string[]): Promise<unknown>;
}

/** The slice of a `redis` (node-redis v5) client or cluster that the store uses. */
export interface NodeRedisLike {
  evalSha(sha: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
}

export type RedisClientLike = IoRedisLike | NodeRedisLike;

/** Adapts whichever client the app already has. node-redis spells it `evalSha`, ioredis `evalsha`. */
export function scriptRunner(client: RedisClientLike): ScriptRunner {
  if (typeof (client as NodeRedisLike).evalSha === "function") {
    const nodeRedis = client as NodeRedisLike;
    const split = (numKeys: number, keysAndArgs: string[]) => ({
      keys: keysAndArgs.slice(0, numKeys),
      arguments: keysAndArgs.slice(numKeys),
    });
    return {
      evalsha: (sha, numKeys, keysAndArgs) => nodeRedis.evalSha(sha, split(numKeys, keysAndArgs)),
      eval: (script, numKeys, keysAndArgs) => nodeRedis.eval(script, split(numKeys, keysAndArgs)),
    };
  }
  if (typeof (client as IoRedisLike).evalsha === "function") {
    const ioredis = client as IoRedisLike;
    return {
      // One array argument (ioredis flattens it): cheaper per call than spreading every argument.
      evalsha: (sha, numKeys, keysAndArgs) => ioredis.evalsha(sha, numKeys, keysAndArgs),
      eval: (script, numKeys, keysAndArgs) => ioredis.eval(script, numKeys, keysAndArgs),
    };
  }
  throw new TypeError("redisStore: `client` must be an ioredis or node-redis (v5) client.");
}

export interface Script {
  source: string;
  sha: string;
}

export const script = (source: string): Script => ({
  source,
  sha: createHash("sha1").update(source).digest("hex"),
});

const isNoScript = (error: unknown) => error instanceof Error && error.message.startsWith("NOSCRIPT");

/**
 * Runs a script by SHA (one round trip), within `bounded`'s deadline, mapping the reply with `map`.
 * The first time a server sees a script — or after a restart or a `SCRIPT FLUSH` — Redis answers
 * NOSCRIPT and the source goes once with EVAL, which also caches it. EVALSHA never executed anything
 * when it answered NOSCRIPT, so the retry cannot double-apply. The retry happens inside the same
 * bounded operation (no `.catch` promise per call: this is every operation's path).
 */
export function runScript<R>(
  runner: ScriptRunner,
  bounded: Bounded,
  { sha, source }: Script,
  numKeys: number,
  keysAndArgs: string[],
  map: (reply: unknown) => R,
): Promise<R> {
  return bounded(runner.evalsha(sha, numKeys, keysAndArgs), map, (error) =>
    isNoScript(error) ? runner.eval(source, numKeys, keysAndArgs) : undefined,
  );
}
