import { type Store, memoryStore } from "@otpkit/otp-core";

export interface StoreFromEnv {
  store: Store;
  /** A human-readable description for the startup line (never includes credentials). */
  description: string;
  /** Closes any client this module opened. */
  close(): Promise<void>;
}

/**
 * Picks the store for `otpkit serve`: `REDIS_URL` → Redis, `DATABASE_URL` → PostgreSQL, else the
 * embedded memory store. (Redis/PostgreSQL wiring is owned by the storage packages' work.)
 */
export async function storeFromEnv(env: Record<string, string | undefined>): Promise<StoreFromEnv> {
  void env;
  return { store: memoryStore(), description: "memory (one process, nothing persisted)", close: async () => {} };
}
