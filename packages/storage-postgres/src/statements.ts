import type { TableNames } from "./schema.js";

/**
 * One SQL statement per store operation. A statement is atomic on its own (it commits or rolls back
 * as a whole), so no operation needs a transaction or an advisory lock. What keeps concurrent
 * statements from deciding on stale data is how rows are read:
 *
 * - Rows a statement will change are read with `FOR UPDATE`. In READ COMMITTED, a locking read
 *   waits for any concurrent writer of that row and then returns the row's *latest* committed
 *   version (not the statement's snapshot), and the row stays locked until the statement ends. So
 *   every decision below is made on current data, and nobody can change it before we write.
 * - A row that does not exist yet cannot be locked. It is created with a plain `INSERT`: if another
 *   statement created it after our snapshot, the primary key refuses ours (unique_violation), the
 *   whole statement rolls back, and the store runs it again — now it finds and locks that row. A
 *   race can cost a retry, never a lost or double count.
 * - Windows are locked in key order, so two statements never wait on each other in a cycle; the one
 *   remaining cycle (a window one statement creates while another already locked it) is resolved by
 *   PostgreSQL's deadlock detector, and the store retries that too.
 *
 * Parameters are cast where first used; epoch milliseconds travel as bigint.
 */

/**
 * The rate-limit reads shared by `put` and `hit`: three parallel arrays of rules (keys, limits,
 * windows in ms) and the core's clock. Defines `refused` (the rule refusing for longest, if any)
 * and `grown` (per window key, its new sliding log).
 */
function windowReads(t: TableNames, p: RuleParams, now: string, ratios: boolean) {
  // Without a conversion tripwire among the rules, the statement leaves its machinery out: fewer
  // plan nodes to start and run on every send (the plan is the same for every such call).
  const verified = ratios
    ? `
  -- Conversion tripwires: the verified events of each rule's ratio window (read, not locked: a
  -- verification landing meanwhile only makes the ratio better).
  verified AS (
    SELECT live.n, (
        SELECT count(*) FROM ${t.windows} AS w, unnest(w.times) AS time
        WHERE w.key = live.ratio_key AND time > ${now}::bigint - live.window_ms
      ) AS events
    FROM live WHERE live.ratio_key IS NOT NULL
  ),`
    : "";
  const tripped = ratios
    ? `
    UNION ALL
    SELECT live.n, live.times[1] + live.window_ms - ${now}::bigint
    FROM live JOIN verified USING (n)
    WHERE cardinality(live.times) >= live.min_events AND verified.events < live.min_ratio * cardinality(live.times)`
    : "";
  return `
  rules AS (
    SELECT rule.key, rule.n, (${p.limits}::int[])[rule.n] AS lim, (${p.windows}::bigint[])[rule.n] AS window_ms,
      (${p.weights}::int[])[rule.n] AS weight, (${p.ratioKeys}::text[])[rule.n] AS ratio_key,
      (${p.minEvents}::int[])[rule.n] AS min_events, (${p.minRatios}::float8[])[rule.n] AS min_ratio,
      (${p.counts}::int[])[rule.n] AS counts
    FROM unnest(${p.keys}) WITH ORDINALITY AS rule(key, n)
  ),
  locked AS MATERIALIZED (
    SELECT key, times FROM ${t.windows} WHERE key = ANY(${p.keys}) ORDER BY key FOR UPDATE
  ),
  -- Each rule's events still inside its window, oldest first.
  live AS (
    SELECT rule.n, rule.key, rule.lim, rule.window_ms, rule.weight, rule.ratio_key, rule.min_events,
      rule.min_ratio, rule.counts, locked.key IS NOT NULL AS stored,
      ARRAY(
        SELECT time FROM unnest(locked.times) WITH ORDINALITY AS event(time, i)
        WHERE time > ${now}::bigint - rule.window_ms ORDER BY i
      ) AS times
    FROM rules AS rule LEFT JOIN locked USING (key)
  ),${verified}
  -- Why each rule refuses, if it does: no room for its weight (the oldest events leave first, and
  -- enough must leave), or a tripwire with too few verified events (until its oldest event leaves).
  refusals AS (
    SELECT n, CASE
        WHEN cardinality(times) + weight - lim > cardinality(times) THEN window_ms
        ELSE times[cardinality(times) + weight - lim] + window_ms - ${now}::bigint
      END AS retry_after_ms
    FROM live WHERE cardinality(times) + weight > lim${tripped}
  ),
  -- The rule that refuses for longest.
  refused AS (
    SELECT n, retry_after_ms FROM refusals ORDER BY retry_after_ms DESC, n LIMIT 1
  ),
  -- One new log per window key (a key named by two rules is trimmed by its longest window and
  -- gets the events each rule counts: its weight, or none for the further rules of a shared log).
  grown AS (
    SELECT DISTINCT ON (key) key, stored,
      times || array_fill(${now}::bigint, ARRAY[(sum(counts) OVER (PARTITION BY key))::int]) AS times,
      ${now}::bigint + max(window_ms) OVER (PARTITION BY key) AS expires_at
    FROM live ORDER BY key, window_ms DESC
  )`;
}

/**
 * The parameters of a statement's rules: the keys, one scalar parameter each, gathered by an
 * `ARRAY[…]` constructor, then seven parallel arrays (read by the rule's position).
 *
 * Why the keys are not one array parameter: a statement sent by name is planned for its first five
 * runs with the values at hand (custom plans), and from then on PostgreSQL keeps a generic plan
 * only when its estimated cost is no worse than theirs. It cannot see the length of an array
 * parameter, so it guesses 10 rules; on a windows table of a million rows that guess priced the
 * generic plan above the custom ones (and a single-rule `hit` far above), and every run was planned
 * again — planning cost twice the execution. An `ARRAY[$a, $b, …]` of as many parameters as
 * there are rules has a length the planner knows, so the generic plan is estimated exactly like a
 * custom one and wins. The price is one prepared statement per number of rules (a handful per
 * app). Forcing generic plans instead (`plan_cache_mode`) is a session setting: the store runs on
 * the app's own pool, and setting it there would change the plans of every other query the app
 * runs on those connections.
 */
interface RuleParams {
  /** `ARRAY[$i::text, …]`, one parameter per rule. */
  keys: string;
  limits: string;
  windows: string;
  weights: string;
  ratioKeys: string;
  minEvents: string;
  minRatios: string;
  /** Events the rule adds to its log: its weight; 0 for the further rules of a shared log. */
  counts: string;
}

/** The parameters of `count` rules, numbered from `first`: `count` keys, then the seven arrays. */
const ruleParamsFrom = (first: number, count: number): RuleParams => {
  const at = (offset: number) => `$${first + count + offset}`;
  const keys = Array.from({ length: count }, (_, i) => `$${first + i}::text`);
  return {
    keys: `ARRAY[${keys.join(", ")}]`,
    limits: at(0),
    windows: at(1),
    weights: at(2),
    ratioKeys: at(3),
    minEvents: at(4),
    minRatios: at(5),
    counts: at(6),
  };
};

/**
 * The window writes, which happen only when the caller's `go` CTE says yes. (`key = ANY(keys)`
 * keeps the update on the primary key index whatever plan PostgreSQL caches.)
 */
function windowWrites(t: TableNames, keys: string) {
  return `
  counted_stored AS (
    UPDATE ${t.windows} AS w SET times = grown.times, expires_at = greatest(w.expires_at, grown.expires_at)
    FROM grown WHERE w.key = grown.key AND w.key = ANY(${keys}) AND grown.stored AND (SELECT yes FROM go)
  ),
  counted_new AS (
    INSERT INTO ${t.windows} (key, times, expires_at)
    SELECT key, times, expires_at FROM grown WHERE NOT grown.stored AND (SELECT yes FROM go)
    ORDER BY key
  )`;
}

const recordColumns = "id, hash, link_hash, expires_at, attempts, max_attempts, data";

/** The record's current row, locked; `previous` is that row unless past its retention. */
const recordReads = (t: TableNames) => `
  current AS MATERIALIZED (
    SELECT * FROM ${t.codes} WHERE key = $1::text FOR UPDATE
  ),
  previous AS (
    SELECT * FROM current WHERE retain_until > $10::bigint
  ),
  allowed AS (
    SELECT $11::text IS NULL OR EXISTS (SELECT 1 FROM previous WHERE id = $11::text) AS yes
  )`;

/**
 * Replaces the locked row, or creates the row (unique_violation if someone else just did). With
 * $12 (carry), a live previous record (not expired, not exhausted) passes on its attempts and its
 * expiry when sooner.
 */
const recordWrites = (t: TableNames) => `
  carried AS (
    SELECT
      CASE WHEN $12::boolean AND p.id IS NOT NULL AND $10::bigint < p.expires_at AND p.attempts < p.max_attempts
        THEN p.attempts ELSE $6::int END AS attempts,
      CASE WHEN $12::boolean AND p.id IS NOT NULL AND $10::bigint < p.expires_at AND p.attempts < p.max_attempts
        THEN least(p.expires_at, $5::bigint) ELSE $5::bigint END AS expires_at
    FROM (SELECT) AS one LEFT JOIN previous AS p ON true
  ),
  replaced AS (
    UPDATE ${t.codes} AS c
    SET id = $2::text, hash = $3::text, link_hash = $4::text,
      expires_at = (SELECT expires_at FROM carried), attempts = (SELECT attempts FROM carried),
      max_attempts = $7::int, data = $8::text, retain_until = $9::bigint
    FROM current WHERE c.key = $1::text AND c.key = current.key AND (SELECT yes FROM go)
  ),
  created AS (
    INSERT INTO ${t.codes} (key, id, hash, link_hash, expires_at, attempts, max_attempts, data, retain_until)
    SELECT $1::text, $2::text, $3::text, $4::text, $5::bigint, $6::int, $7::int, $8::text, $9::bigint
    WHERE (SELECT yes FROM go) AND NOT EXISTS (SELECT 1 FROM current)
  )`;

const previousColumns = recordColumns
  .split(", ")
  .map((column) => `previous.${column}`)
  .join(", ");

/**
 * put (`ratios`: some rule may carry a conversion tripwire; default true) — $1 key, $2 id, $3 hash, $4 link_hash, $5 expires_at, $6 attempts, $7 max_attempts, $8 data,
 * $9 retain_until, $10 now, $11 ifId (null: unconditional), $12 carry, then the `rules` rules: one
 * key each, then seven arrays (limits, windows, weights, tripwire keys, minimum events, minimum
 * ratios, events counted).
 * One row: `allowed` (false: ifId did not match, nothing written), `refused_rule` (1-based) and
 * `retry_after_ms` when a limit refused, then the previous record's columns (null when none).
 * The record and the windows are written together or not at all: every write waits on `go`.
 */
export const putSql = (t: TableNames, rules: number, ratios = true) => {
  const p = ruleParamsFrom(13, rules);
  return `
WITH${recordReads(t)},${windowReads(t, p, "$10", ratios)},
  go AS (
    SELECT (SELECT yes FROM allowed) AND NOT EXISTS (SELECT 1 FROM refused) AS yes
  ),${windowWrites(t, p.keys)},${recordWrites(t)}
SELECT (SELECT yes FROM allowed) AS allowed, refused.n AS refused_rule, refused.retry_after_ms, ${previousColumns}
FROM (SELECT) AS one LEFT JOIN refused ON true LEFT JOIN previous ON true`;
};

/**
 * put without rate limits — the same as `putSql` with $1…$12 only (no window machinery to plan or
 * run: restoring a record after a failed send, or an app with every rule off).
 */
export const putAloneSql = (t: TableNames) => `
WITH${recordReads(t)},
  go AS (SELECT yes FROM allowed),${recordWrites(t)}
SELECT (SELECT yes FROM allowed) AS allowed, null::int AS refused_rule, null::bigint AS retry_after_ms, ${previousColumns}
FROM (SELECT) AS one LEFT JOIN previous ON true`;

/**
 * hit — $1 now, then the `rules` rules (as in `putSql`). One row: `refused_rule` (1-based, null when every rule had
 * room: then all were counted) and `retry_after_ms`.
 */
export const hitSql = (t: TableNames, rules: number, ratios = true) => {
  const p = ruleParamsFrom(2, rules);
  return `
WITH${windowReads(t, p, "$1", ratios)},
  go AS (SELECT NOT EXISTS (SELECT 1 FROM refused) AS yes),${windowWrites(t, p.keys)}
SELECT refused.n AS refused_rule, refused.retry_after_ms FROM (SELECT) AS one LEFT JOIN refused ON true`;
};

/**
 * check — $1 key, $2 id (null: any), $3 candidate hashes, $4 now.
 * No row: not_found (absent, superseded or past retention). Else `status` and the record's columns,
 * plus `attempts_left` after a counted wrong guess. The order of the tests is the contract's.
 */
export const checkSql = (t: TableNames) => `
WITH
  current AS MATERIALIZED (
    SELECT key, ${recordColumns},
      -- Plain equality: both sides are HMAC outputs keyed with a secret the caller does not have
      -- (see the README on timing).
      coalesce(hash = ANY($3::text[]) OR link_hash = ANY($3::text[]), false) AS matched
    FROM ${t.codes}
    WHERE key = $1::text AND retain_until > $4::bigint AND ($2::text IS NULL OR id = $2::text)
    FOR UPDATE
  ),
  verdict AS (
    SELECT *, CASE
        WHEN $4::bigint >= expires_at THEN 'expired'
        WHEN attempts >= max_attempts THEN 'too_many_attempts'
        WHEN matched THEN 'approved'
        ELSE 'invalid'
      END AS status
    FROM current
  ),
  consumed AS (
    DELETE FROM ${t.codes} AS c USING verdict
    WHERE c.key = $1::text AND c.key = verdict.key AND verdict.status = 'approved'
  ),
  counted AS (
    UPDATE ${t.codes} AS c SET attempts = c.attempts + 1
    FROM verdict WHERE c.key = $1::text AND c.key = verdict.key AND verdict.status = 'invalid'
    RETURNING c.attempts, c.max_attempts
  )
SELECT verdict.status, ${recordColumns
  .split(", ")
  .map((column) => `verdict.${column}`)
  .join(", ")},
  (SELECT max_attempts - attempts FROM counted) AS attempts_left
FROM verdict`;

/**
 * check with consecutive-failure counters — $1 key, $2 id (null: any), $3 candidate hashes, $4 now,
 * $5 counter keys, $6 thresholds, $7 backoffs (ms), $8 maximum backoffs (ms), $9 retentions (ms).
 * One row: `status` (null when nothing was found: not_found; 'locked' when a counter refuses, then
 * `retry_after_ms`), the record's columns and `attempts_left` as in `checkSql`. The counters are
 * locked (in key order) before the record; a refusing counter leaves the record unread. A right
 * code deletes them; a wrong one counts on each (a new counter is a plain INSERT: a concurrent
 * creation makes the statement roll back whole and run again, never lose a count).
 */
export const checkCountedSql = (t: TableNames) => `
WITH
  counters AS (
    SELECT * FROM unnest($5::text[], $6::int[], $7::bigint[], $8::bigint[], $9::bigint[])
      WITH ORDINALITY AS rule(key, threshold, backoff_ms, max_backoff_ms, retain_ms, n)
  ),
  held AS MATERIALIZED (
    SELECT key, count, locked_until, expires_at FROM ${t.failures}
    WHERE key = ANY($5::text[]) ORDER BY key FOR UPDATE
  ),
  state AS (
    SELECT counters.*, held.key IS NOT NULL AS stored,
      CASE WHEN held.expires_at > $4::bigint THEN held.count ELSE 0 END AS live,
      CASE WHEN held.expires_at > $4::bigint AND held.locked_until > $4::bigint
        THEN held.locked_until - $4::bigint ELSE 0 END AS wait_ms
    FROM counters LEFT JOIN held USING (key)
  ),
  refusing AS (SELECT coalesce(max(wait_ms), 0) AS wait_ms FROM state),
  current AS MATERIALIZED (
    SELECT key, ${recordColumns},
      coalesce(hash = ANY($3::text[]) OR link_hash = ANY($3::text[]), false) AS matched
    FROM ${t.codes}
    WHERE key = $1::text AND retain_until > $4::bigint AND ($2::text IS NULL OR id = $2::text)
      AND (SELECT wait_ms FROM refusing) = 0
    FOR UPDATE
  ),
  verdict AS (
    SELECT *, CASE
        WHEN $4::bigint >= expires_at THEN 'expired'
        WHEN attempts >= max_attempts THEN 'too_many_attempts'
        WHEN matched THEN 'approved'
        ELSE 'invalid'
      END AS status
    FROM current
  ),
  consumed AS (
    DELETE FROM ${t.codes} AS c USING verdict
    WHERE c.key = $1::text AND c.key = verdict.key AND verdict.status = 'approved'
  ),
  counted AS (
    UPDATE ${t.codes} AS c SET attempts = c.attempts + 1
    FROM verdict WHERE c.key = $1::text AND c.key = verdict.key AND verdict.status = 'invalid'
    RETURNING c.attempts, c.max_attempts
  ),
  reset AS (
    DELETE FROM ${t.failures} AS f
    WHERE f.key = ANY($5::text[]) AND EXISTS (SELECT 1 FROM verdict WHERE status = 'approved')
  ),
  failed AS (
    SELECT key, stored, live + 1 AS count, retain_ms,
      CASE WHEN live + 1 >= threshold
        THEN $4::bigint + least(max_backoff_ms::float8, backoff_ms * power(2, least(live + 1 - threshold, 40)))::bigint
        ELSE 0 END AS locked_until
    FROM state WHERE EXISTS (SELECT 1 FROM verdict WHERE status = 'invalid')
  ),
  failed_stored AS (
    UPDATE ${t.failures} AS f
    SET count = failed.count, locked_until = failed.locked_until,
      expires_at = greatest($4::bigint + failed.retain_ms, failed.locked_until)
    FROM failed WHERE f.key = failed.key AND f.key = ANY($5::text[]) AND failed.stored
  ),
  failed_new AS (
    INSERT INTO ${t.failures} (key, count, locked_until, expires_at)
    SELECT key, count, locked_until, greatest($4::bigint + retain_ms, locked_until)
    FROM failed WHERE NOT failed.stored ORDER BY key
  )
SELECT CASE WHEN (SELECT wait_ms FROM refusing) > 0 THEN 'locked' ELSE verdict.status END AS status,
  (SELECT wait_ms FROM refusing) AS retry_after_ms,
  ${recordColumns
    .split(", ")
    .map((column) => `verdict.${column}`)
    .join(", ")},
  (SELECT max_attempts - attempts FROM counted) AS attempts_left
FROM (SELECT) AS one LEFT JOIN verdict ON true`;

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
