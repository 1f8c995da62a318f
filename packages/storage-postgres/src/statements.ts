import type { TableNames } from "./schema.js";

/**
 * One SQL statement per store operation. A statement is atomic on its own (it commits or rolls back
 * as a whole), so no operation needs a transaction or an advisory lock. `put`, `hit` and `check`
 * call the PL/pgSQL functions `migrate()` installs (functions.ts: why each is safe under
 * concurrency); the others are plain statements whose reasoning is the same:
 *
 * - Rows a statement will change are read with `FOR UPDATE`. In READ COMMITTED, a locking read
 *   waits for any concurrent writer of that row and then returns the row's *latest* committed
 *   version (not the statement's snapshot), and the row stays locked until the statement ends.
 * - Windows are locked in key order everywhere, so two statements never wait on each other in a
 *   cycle; a remaining race ends in unique_violation or deadlock_detected, and the store retries.
 *
 * Parameters are cast where first used; epoch milliseconds travel as bigint.
 */

/** The record's columns, as the statements return them. */
const recordColumns = "id, hash, link_hash, expires_at, attempts, max_attempts, data";

/**
 * The four arrays of the rules from `$first` on (functions.ts, `ruleParams`): keys, numbers (a
 * row per rule), tripwires' ratio logs and minimum ratios.
 */
const ruleArgs = (first: number) =>
  ["text[]", "bigint[]", "text[]", "float8[]"].map((type, i) => `$${first + i}::${type}`).join(", ");

/**
 * put — $1 key, $2 id, $3 hash, $4 link_hash, $5 expires_at, $6 attempts, $7 max_attempts, $8 data,
 * $9 retain_until, $10 now, $11 ifId (null: unconditional), $12 carry, then the rules ($13 keys,
 * $14 a row of numbers per rule: limit, window, weight, events gained and how long the log is kept
 * on each log's first row, tripwire's minimum events; $15 tripwire keys, $16 minimum ratios; null
 * arrays: no rules). One row of one column
 * `r`, the function's answer: a text array literal of `allowed` (false: ifId did not match,
 * nothing written), `refused_rule` (1-based) and `retry_after_ms` when a limit refused, then the
 * previous record's columns (null when none). The record and the windows are written together or
 * not at all.
 *
 * The functions return one text value, called in the select list: a function in FROM is a
 * function scan, whose set-up builds the OUT columns' row type on every call, and whose
 * projection (the array of the columns) is one more expression to set up (together ~7% of the
 * server's instructions per send + verify pair, callgrind on a backend). wire.ts says why the
 * answer is one text array.
 */
export const putSql = (t: TableNames) =>
  `SELECT ${t.put}($1::text, $2::text, $3::text, $4::text, $5::bigint, $6::int, $7::int, $8::text, $9::bigint,
  $10::bigint, $11::text, $12::boolean, ${ruleArgs(13)}) AS r`;

/**
 * hit — $1 now, then the rules (as in `putSql`). One row of one column `r`: null when every rule
 * had room (then all were counted), else `<refused_rule>:<retry_after_ms>` (the rule 1-based).
 */
export const hitSql = (t: TableNames) => `SELECT ${t.hit}($1::bigint, ${ruleArgs(2)}) AS r`;

/**
 * check — $1 key, $2 id (null: any), $3 candidate hashes, $4 now, the failure counters ($5 keys,
 * $6 a row per counter: threshold, backoff, maximum backoff, retention, in ms; null: none), then
 * the rules from $7 (as in `putSql`; null: none). One row of one column `r`, a text array: `status`
 * (null: not_found; 'limited' with `refused_rule` and `retry_after_ms` when a rule refused;
 * 'locked' with `retry_after_ms` when a counter refuses), `retry_after_ms`, `refused_rule`, the
 * record's columns, and `attempts_left` after a counted wrong guess.
 */
export const checkSql = (t: TableNames) =>
  `SELECT ${t.check}($1::text, $2::text, $3::text[], $4::bigint, $5::text[], $6::bigint[], ${ruleArgs(7)}) AS r`;

/**
 * release — $1 the instant whose events to give back, $2 the window keys, $3 how many events each
 * (the weight counted). Removes that many events at exactly $1 from each window (the newest such;
 * locked in key order, like every window write, so the removal is computed on the latest committed
 * log). No rows returned.
 */
export const releaseSql = (t: TableNames) => `
WITH
  asked AS (
    SELECT key, sum(weight)::int AS weight FROM unnest($2::text[], $3::int[]) AS r(key, weight) GROUP BY key
  ),
  locked AS MATERIALIZED (
    SELECT w.key, w.times, asked.weight FROM ${t.windows} AS w JOIN asked USING (key)
    WHERE w.key = ANY($2::text[]) ORDER BY w.key FOR UPDATE OF w
  ),
  kept AS (
    SELECT locked.key, ARRAY(
        SELECT time FROM (
          SELECT time, i, CASE WHEN time = $1::bigint
              THEN row_number() OVER (PARTITION BY time = $1::bigint ORDER BY i DESC) END AS nth
          FROM unnest(locked.times) WITH ORDINALITY AS event(time, i)
        ) AS numbered
        WHERE nth IS NULL OR nth > locked.weight ORDER BY i
      ) AS times
    FROM locked WHERE $1::bigint = ANY(locked.times)
  )
UPDATE ${t.windows} AS w SET times = kept.times
FROM kept WHERE w.key = kept.key AND w.key = ANY($2::text[])`;

/** read — $1 key, $2 now. The record's row (unless past retention), or no row. Changes nothing. */
export const readSql = (t: TableNames) =>
  `SELECT ${recordColumns} FROM ${t.codes} WHERE key = $1::text AND retain_until > $2::bigint`;

/** delete — $1 key, $2 id (null: any). One row per removed record. */
export const deleteSql = (t: TableNames) =>
  `DELETE FROM ${t.codes} WHERE key = $1::text AND ($2::text IS NULL OR id = $2::text) RETURNING 1`;

/** deleteExpired — $1 now. One row: how many records, windows and failure counters were removed. */
export const deleteExpiredSql = (t: TableNames) => `
WITH
  records AS (DELETE FROM ${t.codes} WHERE retain_until <= $1::bigint RETURNING 1),
  windows AS (DELETE FROM ${t.windows} WHERE expires_at <= $1::bigint RETURNING 1),
  failures AS (DELETE FROM ${t.failures} WHERE expires_at <= $1::bigint RETURNING 1)
SELECT (SELECT count(*) FROM records)::int AS records, (SELECT count(*) FROM windows)::int AS windows,
  (SELECT count(*) FROM failures)::int AS failures`;
