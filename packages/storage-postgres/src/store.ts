import {
  type CheckInput,
  type CheckResult,
  deadline,
  type HitResult,
  type OtpRecord,
  type PutOptions,
  type PutResult,
  type RateHit,
  type Store,
} from "@otpkit/otp-core/store";

import { defaultTable, schemaSql, tableNames } from "./schema.js";
import { checkSql, deleteExpiredSql, deleteSql, hitSql, putSql, readSql, releaseSql } from "./statements.js";

/**
 * Anything that runs one parameterized statement: a `pg` `Pool` or `Client`, and the same shape
 * from Neon's and Vercel's Postgres drivers. Give it a pool (or a client outside any transaction):
 * each statement must commit on its own.
 */
export interface Queryable {
  query(text: string, params?: unknown[]): Promise<{ rows: any[] }>;
}

/** A statement sent by name, so that each connection parses and plans it once (`pg`'s QueryConfig). */
interface NamedQuery {
  name: string;
  text: string;
  values: unknown[];
}

export interface PostgresStoreOptions {
  /** Runs the statements. For failing closed promptly when the database is down, see the README. */
  client: Queryable;
  /**
   * The pending-codes table, optionally schema-qualified; rate windows live in `<table>_windows`.
   * Create both with `migrate()` or `schema.sql`. Default: `"otpkit_codes"`.
   */
  table?: string;
  /**
   * Send each statement as a named prepared statement (`{ name, text, values }`): PostgreSQL then
   * parses and plans it once per connection instead of on every call, which more than doubles
   * throughput here. Needs a client that takes a query config object (`pg`, Neon's `Pool`) and a
   * direct connection or a pooler that keeps prepared statements (PgBouncer ≥ 1.21 with
   * `max_prepared_statements`; not transaction-mode poolers without it).
   * Default: `true` when the client has a `connect` method (a `pg` `Pool` or `Client`), else `false`.
   */
  preparedStatements?: boolean;
  /**
   * Milliseconds an operation may take before it fails (and the core answers `store_unavailable`),
   * including waiting for a pooled connection. `0` turns the guard off. Default: `5000`.
   */
  timeoutMs?: number;
}

/** SQLSTATEs that mean "a concurrent statement got there first; run it again". */
const retryable = new Set([
  "23505", // unique_violation: a row we meant to create was created meanwhile
  "40P01", // deadlock_detected: we were chosen to give way
  "40001", // serialization_failure: only under SERIALIZABLE / REPEATABLE READ defaults
]);
const maxRuns = 5;

/** A short, stable hash of a text (FNV-1a, 32 bits, hex): no crypto needed for a statement name. */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return (hash >>> 0).toString(16);
}

/** A record from a row's columns (bigint columns arrive as strings). */
const recordFrom = (row: Record<string, any>): OtpRecord => ({
  id: row.id,
  hash: row.hash,
  ...(row.link_hash === null ? {} : { linkHash: row.link_hash }),
  expiresAt: Number(row.expires_at),
  attempts: Number(row.attempts),
  maxAttempts: Number(row.max_attempts),
  data: row.data,
});

/**
 * The rules as statement rows: one per rule, a shared log's further rules (`also`) as rows of
 * their own on the same key that judge the same weight but add no events. `hits[row]` is the hit a
 * refusing row answers for.
 */
function ruleRows(hits: readonly RateHit[]) {
  const rows: Array<{
    hit: RateHit;
    limit: number;
    windowMs: number;
    counts: number;
    ratio?: RateHit["ratio"];
  }> = [];
  for (const hit of hits) {
    const weight = hit.weight ?? 1;
    rows.push({ hit, limit: hit.limit, windowMs: hit.windowMs, counts: weight, ratio: hit.ratio });
    if (hit.also)
      for (const rule of hit.also) rows.push({ hit, limit: rule.limit, windowMs: rule.windowMs, counts: 0 });
  }
  return {
    hits: rows.map((row) => row.hit),
    params: [
      rows.map((row) => row.hit.key),
      rows.map((row) => row.limit),
      rows.map((row) => row.windowMs),
      rows.map((row) => row.hit.weight ?? 1),
      // A conversion ratio belongs to the hit's own rule (`ratio` in the contract), not to `also`.
      // Without any, null arrays: nothing for the server to parse.
      ...(rows.some((row) => row.ratio !== undefined)
        ? [
            rows.map((row) => row.ratio?.key ?? null),
            rows.map((row) => row.ratio?.minEvents ?? 0),
            rows.map((row) => row.ratio?.minRatio ?? 0),
          ]
        : [null, null, null]),
      rows.map((row) => row.counts),
    ],
  };
}

/** No rules: the functions take null arrays (nothing to parse). */
const noRules = [null, null, null, null, null, null, null, null];

/**
 * Creates the tables if they do not exist and installs (or replaces) the functions `put`, `hit` and
 * `check` run (idempotent; the same DDL as `schema.sql`: run it again after upgrading this package).
 * Default table: `"otpkit_codes"` (and `"otpkit_codes_windows"`).
 */
export async function migrate(client: Queryable, options: { table?: string } = {}): Promise<void> {
  await client.query(schemaSql(options.table ?? defaultTable));
}

/**
 * A `Store` on PostgreSQL. Each operation is one SQL statement — one round trip, atomic without
 * transactions or advisory locks (see statements.ts for why each is safe under concurrency).
 * Rows past their retention read as absent; `deleteExpired()` removes them.
 */
export function createPostgresStore(options: PostgresStoreOptions) {
  const { client } = options;
  const names = tableNames(options.table ?? defaultTable);
  const bounded = deadline(options.timeoutMs ?? 5000, "PostgreSQL");
  const prepared =
    options.preparedStatements ?? typeof (client as { connect?: unknown }).connect === "function";
  const statement = (operation: string, text: string) => ({
    // The name depends on the text (which embeds the table), so two stores on one connection never clash.
    name: `otpkit_${operation}_${fnv1a(text)}`,
    text,
  });
  const sql = {
    put: statement("put", putSql(names)),
    hit: statement("hit", hitSql(names)),
    check: statement("check", checkSql(names)),
    release: statement("release", releaseSql(names)),
    read: statement("read", readSql(names)),
    delete: statement("delete", deleteSql(names)),
    deleteExpired: statement("delete_expired", deleteExpiredSql(names)),
  };
  const send = prepared
    ? ({ name, text }: { name: string; text: string }, values: unknown[]) =>
        (client.query as unknown as (query: NamedQuery) => Promise<{ rows: any[] }>).call(client, {
          name,
          text,
          values,
        })
    : ({ text }: { text: string }, values: unknown[]) => client.query(text, values);

  /** Runs one statement; re-runs it when a concurrent statement won a race (it rolled back whole). */
  const run = (query: { name: string; text: string }, params: unknown[]) =>
    bounded(
      (async () => {
        for (let attempt = 1; ; attempt++) {
          try {
            return (await send(query, params)).rows;
          } catch (error) {
            const code = (error as { code?: unknown } | null)?.code;
            // undefined_function: the tables predate the functions (or were made by hand). Never
            // fall back to anything else (it would not be atomic): say what to run.
            if (code === "42883" && /_(put|hit|check)\(/.test(String((error as Error).message)))
              throw new Error(
                `postgresStore: a function of table ${names.codes} is missing (${(error as Error).message}). ` +
                  "Run migrate() (or schema.sql) on this database: it installs the functions this version needs.",
                { cause: error },
              );
            if (attempt >= maxRuns || typeof code !== "string" || !retryable.has(code)) throw error;
          }
        }
      })(),
    );

  return {
    name: "postgres",
    sharedLogs: true,
    checkHits: true,

    async put(
      key: string,
      record: OtpRecord,
      { now, retainUntil, hits = [], ifId, carry }: PutOptions,
    ): Promise<PutResult> {
      const params = [
        key,
        record.id,
        record.hash,
        record.linkHash ?? null,
        record.expiresAt,
        record.attempts,
        record.maxAttempts,
        record.data,
        retainUntil,
        now,
        ifId ?? null,
        carry === true,
      ];
      const rules = ruleRows(hits);
      const [row] = await run(sql.put, [...params, ...rules.params]);
      if (row.allowed && row.refused_rule !== null) {
        return {
          ok: false,
          key: rules.hits[Number(row.refused_rule) - 1]!.key,
          retryAfterMs: Number(row.retry_after_ms),
        };
      }
      return { ok: true, previous: row.id === null ? null : recordFrom(row) };
    },

    async check(
      key: string,
      { id, hashes, now, failures = [], hits = [] }: CheckInput,
    ): Promise<CheckResult> {
      const rules = hits.length ? ruleRows(hits) : undefined;
      const [row] = await run(sql.check, [
        key,
        id ?? null,
        hashes,
        now,
        // No counters: null arrays (nothing for the server to parse).
        ...(failures.length
          ? [
              failures.map((rule) => rule.key),
              failures.map((rule) => rule.threshold),
              failures.map((rule) => rule.backoffMs),
              failures.map((rule) => rule.maxBackoffMs),
              failures.map((rule) => rule.retainMs),
            ]
          : [null, null, null, null, null]),
        ...(rules ? rules.params : noRules),
      ]);
      if (!row || row.status === null) return { status: "not_found" };
      switch (row.status) {
        case "limited":
          return {
            status: "limited",
            key: rules!.hits[Number(row.refused_rule) - 1]!.key,
            retryAfterMs: Number(row.retry_after_ms),
          };
        case "locked":
          return { status: "locked", retryAfterMs: Number(row.retry_after_ms) };
        case "approved":
          return { status: "approved", record: recordFrom(row) };
        case "invalid": {
          const attemptsLeft = Number(row.attempts_left);
          return attemptsLeft > 0 ? { status: "invalid", attemptsLeft } : { status: "too_many_attempts" };
        }
        default:
          return { status: row.status as "expired" | "too_many_attempts" };
      }
    },

    async hit(hits: readonly RateHit[], now: number): Promise<HitResult> {
      if (!hits.length) return { ok: true };
      const rules = ruleRows(hits);
      const [row] = await run(sql.hit, [now, ...rules.params]);
      if (row.refused_rule === null) return { ok: true };
      return {
        ok: false,
        key: rules.hits[Number(row.refused_rule) - 1]!.key,
        retryAfterMs: Number(row.retry_after_ms),
      };
    },

    async release(hits: readonly RateHit[], at: number): Promise<void> {
      if (!hits.length) return;
      await run(sql.release, [at, hits.map((hit) => hit.key), hits.map((hit) => hit.weight ?? 1)]);
    },

    async read(key: string, now: number): Promise<OtpRecord | null> {
      const [row] = await run(sql.read, [key, now]);
      return row ? recordFrom(row) : null;
    },

    async delete(key: string, id?: string): Promise<boolean> {
      return (await run(sql.delete, [key, id ?? null])).length > 0;
    },

    /**
     * Removes records past their retention, windows whose events all left them, and failure
     * counters past their retention. Reads never
     * need it (such rows already read as absent); run it now and then to keep the tables small.
     * Returns how many rows went. `now` defaults to `Date.now()`.
     */
    async deleteExpired(
      now: number = Date.now(),
    ): Promise<{ records: number; windows: number; failures: number }> {
      const [row] = await run(sql.deleteExpired, [now]);
      return { records: row.records, windows: row.windows, failures: row.failures };
    },
  } satisfies Store & Record<string, unknown>;
}
