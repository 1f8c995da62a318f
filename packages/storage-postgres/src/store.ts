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
import { numberArray, parseTextArray, textArray } from "./wire.js";

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

/** A record from the elements `at`… of a result array (statements.ts: `recordElements`). */
const recordAt = (r: Array<string | null>, at: number): OtpRecord => ({
  id: r[at]!,
  hash: r[at + 1]!,
  ...(r[at + 2] === null ? {} : { linkHash: r[at + 2]! }),
  expiresAt: Number(r[at + 3]),
  attempts: Number(r[at + 4]),
  maxAttempts: Number(r[at + 5]),
  data: r[at + 6]!,
});

/**
 * The rules as the four array parameters (wire.ts literals; functions.ts, `ruleParams`), one row
 * per rule, a shared log's further rules (`also`) as rows of their own on the same key that judge
 * the same weight but add no events. Built in one pass: no per-row objects.
 */
function ruleParams(hits: readonly RateHit[]): Array<string | null> {
  const keys: string[] = [];
  const windows: number[] = [];
  const counts: number[] = [];
  let ratios = false;
  for (const hit of hits) {
    const weight = hit.weight ?? 1;
    keys.push(hit.key);
    windows.push(hit.windowMs);
    counts.push(weight);
    if (hit.ratio !== undefined) ratios = true;
    if (hit.also)
      for (const rule of hit.also) {
        keys.push(hit.key);
        windows.push(rule.windowMs);
        counts.push(0);
      }
  }
  const keeps = logWrites(keys, windows, counts);
  // One row of numbers per rule: limit, window, weight, events gained, kept for, minimum events.
  let numbers = "{";
  let row = 0;
  const push = (limit: number, weight: number, minEvents: number) => {
    numbers += `${row ? ",{" : "{"}${limit},${windows[row]},${weight},${counts[row]},${keeps[row]},${minEvents}}`;
    row++;
  };
  for (const hit of hits) {
    const weight = hit.weight ?? 1;
    push(hit.limit, weight, hit.ratio?.minEvents ?? 0);
    if (hit.also) for (const rule of hit.also) push(rule.limit, weight, 0);
  }
  numbers += "}";
  if (!ratios) return [textArray(keys), numbers, null, null]; // null arrays: nothing to parse
  // A conversion ratio belongs to the hit's own rule (`ratio` in the contract), not to `also`.
  const ratioKeys: Array<string | null> = [];
  const minRatios: number[] = [];
  for (const hit of hits) {
    ratioKeys.push(hit.ratio?.key ?? null);
    minRatios.push(hit.ratio?.minRatio ?? 0);
    if (hit.also)
      for (let i = 0; i < hit.also.length; i++) {
        ratioKeys.push(null);
        minRatios.push(0);
      }
  }
  return [textArray(keys), numbers, textArray(ratioKeys), numberArray(minRatios)];
}

/**
 * What each log is written with, grouped here rather than by a GROUP BY in every write (an
 * aggregate's set-up is a good part of a small statement's cost on the server): on the first row
 * of each key, how long the log is kept (the longest window of all its rules) and, in `counts`,
 * the events it gains (the sum over its rows); 0 and 0 on the key's other rows. Returns the keeps;
 * rewrites `counts` in place. A handful of rows: a scan per row beats a Map.
 */
function logWrites(keys: readonly string[], windows: readonly number[], counts: number[]): number[] {
  const keeps: number[] = new Array(keys.length).fill(0);
  for (let row = 0; row < keys.length; row++) {
    let first = 0;
    while (keys[first] !== keys[row]) first++;
    if (first === row) {
      keeps[row] = windows[row]!;
      continue;
    }
    keeps[first] = Math.max(keeps[first]!, windows[row]!);
    counts[first]! += counts[row]!;
    counts[row] = 0;
  }
  return keeps;
}

/** The hit a refusing rule row (1-based, as `ruleParams` laid them out) answers for. */
function hitOfRow(hits: readonly RateHit[], row: number): RateHit {
  let at = 0;
  for (const hit of hits) {
    at += 1 + (hit.also?.length ?? 0);
    if (row <= at) return hit;
  }
  throw new Error(`postgresStore: the database refused rule ${row} of ${at}`);
}

/** No rules: the functions take null arrays (nothing to parse). */
const noRules = [null, null, null, null];

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

  /** Says what to run when the tables predate the functions; other errors pass unchanged. */
  const explain = (error: unknown) => {
    const code = (error as { code?: unknown } | null)?.code;
    // undefined_function: the tables predate the functions (or were made by hand). Never fall back
    // to anything else (it would not be atomic): say what to run.
    if (code === "42883" && /_(put|hit|check)\(/.test(String((error as Error).message)))
      return new Error(
        `postgresStore: a function of table ${names.codes} is missing (${(error as Error).message}). ` +
          "Run migrate() (or schema.sql) on this database: it installs the functions this version needs.",
        { cause: error },
      );
    return error;
  };
  /** Runs the statement again after a lost race (it rolled back whole), up to `maxRuns` runs. */
  const rerun = (
    query: { name: string; text: string },
    params: unknown[],
    error: unknown,
    runs: number,
  ): Promise<{ rows: any[] }> => {
    const code = (error as { code?: unknown } | null)?.code;
    if (runs >= maxRuns || typeof code !== "string" || !retryable.has(code))
      return Promise.reject(explain(error));
    return send(query, params).then(undefined, (next: unknown) => rerun(query, params, next, runs + 1));
  };
  /**
   * Runs one statement, bounded; `map` turns the reply into the result. The first run needs no
   * closure of its own: the retries are built only after a failure.
   */
  const run = <R>(
    query: { name: string; text: string },
    params: unknown[],
    map: (reply: { rows: any[] }) => R,
  ): Promise<R> => bounded(send(query, params), map, (error) => rerun(query, params, error, 1));

  return {
    name: "postgres",
    sharedLogs: true,
    checkHits: true,

    put(
      key: string,
      record: OtpRecord,
      { now, retainUntil, hits = [], ifId, carry }: PutOptions,
    ): Promise<PutResult> {
      const rules = hits.length ? ruleParams(hits) : noRules;
      return run(
        sql.put,
        [
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
          rules[0],
          rules[1],
          rules[2],
          rules[3],
        ],
        ({ rows }): PutResult => {
          // allowed, refused_rule, retry_after_ms, then the previous record (statements.ts).
          const r = parseTextArray(rows[0].r);
          if (r[0] === "true" && r[1] !== null)
            return { ok: false, key: hitOfRow(hits, Number(r[1])).key, retryAfterMs: Number(r[2]) };
          return { ok: true, previous: r[3] === null ? null : recordAt(r, 3) };
        },
      );
    },

    check(key: string, { id, hashes, now, failures = [], hits = [] }: CheckInput): Promise<CheckResult> {
      // No counters or rules: null arrays (nothing for the server to parse). A row of numbers per
      // counter: threshold, backoff, maximum backoff, retention.
      let counters: string | null = null;
      if (failures.length) {
        counters = "{";
        for (const [i, rule] of failures.entries())
          counters += `${i ? ",{" : "{"}${rule.threshold},${rule.backoffMs},${rule.maxBackoffMs},${rule.retainMs}}`;
        counters += "}";
      }
      const rules = hits.length ? ruleParams(hits) : noRules;
      return run(
        sql.check,
        [
          key,
          id ?? null,
          textArray(hashes),
          now,
          failures.length ? textArray(failures.map((rule) => rule.key)) : null,
          counters,
          rules[0],
          rules[1],
          rules[2],
          rules[3],
        ],
        ({ rows }): CheckResult => {
          // status, retry_after_ms, refused_rule, the record, attempts_left (statements.ts).
          const r = rows.length ? parseTextArray(rows[0].r) : undefined;
          const status = r?.[0];
          if (!r || status === null || status === undefined) return { status: "not_found" };
          switch (status) {
            case "limited":
              return { status: "limited", key: hitOfRow(hits, Number(r[2])).key, retryAfterMs: Number(r[1]) };
            case "locked":
              return { status: "locked", retryAfterMs: Number(r[1]) };
            case "approved":
              return { status: "approved", record: recordAt(r, 3) };
            case "invalid": {
              const attemptsLeft = Number(r[10]);
              return attemptsLeft > 0 ? { status: "invalid", attemptsLeft } : { status: "too_many_attempts" };
            }
            default:
              return { status: status as "expired" | "too_many_attempts" };
          }
        },
      );
    },

    hit(hits: readonly RateHit[], now: number): Promise<HitResult> {
      if (!hits.length) return Promise.resolve({ ok: true });
      const rules = ruleParams(hits);
      return run(sql.hit, [now, ...rules], ({ rows }): HitResult => {
        // null: every rule had room; else "<refused_rule>:<retry_after_ms>" (statements.ts).
        const r: string | null = rows[0].r;
        if (r === null) return { ok: true };
        const colon = r.indexOf(":");
        return {
          ok: false,
          key: hitOfRow(hits, Number(r.slice(0, colon))).key,
          retryAfterMs: Number(r.slice(colon + 1)),
        };
      });
    },

    async release(hits: readonly RateHit[], at: number): Promise<void> {
      if (!hits.length) return;
      await run(
        sql.release,
        [at, textArray(hits.map((hit) => hit.key)), numberArray(hits.map((hit) => hit.weight ?? 1))],
        () => undefined,
      );
    },

    async read(key: string, now: number): Promise<OtpRecord | null> {
      return run(sql.read, [key, now], ({ rows: [row] }) => (row ? recordFrom(row) : null));
    },

    async delete(key: string, id?: string): Promise<boolean> {
      return run(sql.delete, [key, id ?? null], ({ rows }) => rows.length > 0);
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
      return run(sql.deleteExpired, [now], ({ rows: [row] }) => ({
        records: row.records,
        windows: row.windows,
        failures: row.failures,
      }));
    },
  } satisfies Store & Record<string, unknown>;
}
