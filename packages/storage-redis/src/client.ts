import { createHash } from "node:crypto";

/**
 * The one thing the store asks of a Redis client: run a Lua script by its SHA-1, or by its source.
 * Each supported client gets a tiny adapter to this shape, so the store itself is client-agnostic.
 */
export interface ScriptRunner {
  evalsha(sha: string, keys: string[], args: string[]): Promise<unknown>;
  eval(script: string, keys: string[], args: string[]): Promise<unknown>;
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
    return {
      evalsha: (sha, keys, args) => nodeRedis.evalSha(sha, { keys, arguments: args }),
      eval: (script, keys, args) => nodeRedis.eval(script, { keys, arguments: args }),
    };
  }
  if (typeof (client as IoRedisLike).evalsha === "function") {
    const ioredis = client as IoRedisLike;
    return {
      // One array argument (ioredis flattens it): cheaper per call than spreading every argument.
      evalsha: (sha, keys, args) => ioredis.evalsha(sha, keys.length, keys.concat(args)),
      eval: (script, keys, args) => ioredis.eval(script, keys.length, keys.concat(args)),
    };
  }
  throw new TypeError("redisStorage: `client` must be an ioredis or node-redis (v5) client.");
}

export interface Script {
  source: string;
  sha: string;
}

export const script = (source: string): Script => ({
  source,
  sha: createHash("sha1").update(source).digest("hex"),
});

export const isNoScript = (error: unknown) => error instanceof Error && error.message.startsWith("NOSCRIPT");

/**
 * Runs a script by SHA (one round trip). The first time a server sees it — or after a restart or a
 * `SCRIPT FLUSH` — Redis answers NOSCRIPT and we send the source once with EVAL, which also caches
 * it. EVALSHA never executed anything when it answered NOSCRIPT, so the retry cannot double-apply.
 */
export function runScript(
  runner: ScriptRunner,
  { sha, source }: Script,
  keys: string[],
  args: string[],
): Promise<unknown> {
  return runner
    .evalsha(sha, keys, args)
    .catch((error: unknown) => (isNoScript(error) ? runner.eval(source, keys, args) : Promise.reject(error)));
}
