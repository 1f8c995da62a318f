import { describeUrl } from "@otpkit/otp-core/store";
import { createRedisStore, type RedisStoreOptions } from "./store.js";

export interface RedisUrlOptions extends Omit<RedisStoreOptions, "client"> {
  /** Milliseconds to wait for the first connection. Default: `2000`. */
  connectTimeoutMs?: number;
}

export type RedisUrlStore = ReturnType<typeof createRedisStore> & {
  /** The ioredis client this store made (for `INFO`, health checks); the store owns it. */
  readonly client: import("ioredis").Redis;
  /** Ends the client (QUIT, or a hard disconnect when Redis is gone). */
  close(): Promise<void>;
};

/**
 * A store on its own `ioredis` client for `url` (`redis://`, `rediss://`), configured to fail
 * fast rather than queue: while Redis is away a request gets a prompt `store_unavailable` (503)
 * and the client reconnects in the background. Resolves once connected; rejects with a message
 * that names the server without its credentials when it cannot connect. Needs `ioredis` installed.
 */
export async function fromUrl(url: string, options: RedisUrlOptions = {}): Promise<RedisUrlStore> {
  const { connectTimeoutMs = 2000, ...storeOptions } = options;
  const { Redis } = await import("ioredis");
  const client = new Redis(url, {
    lazyConnect: true,
    // Fail a command at once while disconnected instead of queueing it until Redis returns.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    // A command the store already answered as failed (a timeout) must not run later, after a
    // reconnect: it would spend a budget for a send that never happened.
    autoResendUnfulfilledCommands: false,
    connectTimeout: connectTimeoutMs,
    // Commands that never come back (a half-open connection) fail after this long…
    commandTimeout: storeOptions.timeoutMs ?? 2000,
    // …and keepalive probes an idle connection (defence in depth: the store's forced reconnect
    // after timeouts is what recovers a connection with unacknowledged data in flight).
    keepAlive: 10_000,
  });
  // Failures reach requests as store_unavailable; the event itself needs no output.
  client.on("error", () => {});
  try {
    await client.connect();
  } catch (cause) {
    client.disconnect();
    throw new Error(
      `Redis at ${describeUrl(url)} is unavailable: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  }
  return Object.assign(createRedisStore({ ...storeOptions, client }), {
    client,
    close: async () => {
      await client.quit().catch(() => client.disconnect());
    },
  });
}
