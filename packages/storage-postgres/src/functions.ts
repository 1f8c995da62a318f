import type { TableNames } from "./schema.js";

/**
 * The PL/pgSQL functions `migrate()` installs next to the tables: `put`, `hit` and `check`, each
 * called by one statement (`SELECT <table>_put(…)`, one text value back), so each operation stays
 * one round trip and one atomic statement.
 *
 * Why functions and not one SQL statement: the same decisions as a single statement of CTEs cost
 * about half the server CPU here. A statement of a dozen CTEs runs a large plan (every node is set
 * up and torn down on each call, arrays are unnested, sorted and aggregated again per rule), and
 * its `key = ANY(…)` lookups make PostgreSQL price the generic plan above the custom ones on big
 * tables. A function runs a few small statements with generic plans (see `generic` below): one
 * locking read of an operation's windows (its rules judged in PL/pgSQL as the rows come), the
 * writes, one locking read of the failure counters, the record's; the arithmetic on a log is a
 * binary search (`width_bucket`) for its first live event instead of an unnest. Fewer, larger
 * statements than one primary-key lookup per row: in these short transactions (each call is one)
 * the per-statement executor set-up and the per-transaction compilation of every PL/pgSQL
 * expression cost more than the lookups themselves (bench/grown.mjs: backends' CPU per pair).
 *
 * Atomicity (READ COMMITTED, the default; the same reasoning as one statement, since a function
 * called by one statement runs inside that statement and commits or rolls back with it):
 * - Every row a function will decide on and change is read with `SELECT … FOR UPDATE`, which waits
 *   for a concurrent writer of the row and returns its latest committed version; the row stays
 *   locked to the end of the statement, so nobody can change it between our read and our write.
 *   The writes touch only rows that read locked (`v_stored`, `f_keys`): a row a concurrent
 *   statement created after our read is never updated on a judgment that did not see it; ours is
 *   an INSERT that collides with it (below).
 * - A row that does not exist cannot be locked: it is created with a plain `INSERT`. When another
 *   statement created it meanwhile, the primary key refuses ours (unique_violation), the whole
 *   statement rolls back (nothing counted, nothing written), and the store runs it again — it then
 *   finds and locks that row. A race can cost a retry, never a lost or double count.
 * - Lock order, the same in every function: the windows (in key order: one `… ORDER BY key FOR
 *   UPDATE`, an index scan in the index's order), then the failure counters (likewise), then the
 *   record; new windows are inserted in key order too (one order for every statement). Two
 *   statements therefore never wait on each other in a cycle over existing rows, nor over the
 *   rows they insert; the remaining cycle (a row one statement inserts while another waits for
 *   it) ends in unique_violation or deadlock_detected, both retried by the store.
 * - Nothing is written before every rule has been judged: a refusal leaves every row as it was.
 *
 * A window's log stays in time order: `now` is inserted after every event at or before it (a
 * concurrent statement with an earlier clock may commit later), so its live events are a suffix
 * found by binary search, and the k-th oldest live event is at a known position.
 */

/**
 * Parameters of the rate-limit rules, read by the rule's position: the keys, every number of a
 * rule in one row of `p_rules` (limit, window, weight, then on each log's first row the events it
 * gains and how long it is kept, then a tripwire's minimum events), and a tripwire's ratio log and
 * minimum ratio (null arrays without tripwires). Numbers in one two-dimensional array rather than
 * an array each: the server parses every array parameter on its own (a type lookup and an input
 * function set up per array), which was ~6% of its instructions per send + verify pair.
 */
const ruleParams = "p_keys text[], p_rules bigint[], p_ratio_keys text[], p_min_ratios float8[]";

const ruleDeclarations = `
  -- the keys of the logs that exist (locked), and the refusing rule: {wait, -position (1-based)}
  -- (the greatest of the refusing rules' arrays: the longest wait, ties to the first rule)
  v_stored text[];
  v_refusal bigint[];
  v_refusals bigint[];  -- every refusing rule's {wait, -position}
  v_single boolean;     -- one rule, judged on its own (see judgeWindows)
  v_times bigint[];     -- a log being judged
  v_events int;         -- the lone rule's live events
  v_log_key text;       -- the key of the log being judged
  v_rule int;           -- a rule's position (1-based)
  v_len int;            -- the log's length
  v_old int;            -- how many of its oldest events have left the rule's window
  v_retry bigint;       -- the rule's wait when it refuses
  v_verified int;       -- a tripwire's live verified events`;

/**
 * The logs to write as rows `r(key, keep, n)`, one per key: how long it is kept (its longest
 * window) and the events it gains. The store puts both on the first row of each key (0 on its
 * other rows), so no write needs a GROUP BY: one set-returning function over the rules' positions,
 * each rule's numbers read by subscript.
 */
const ruleLogs =
  "generate_subscripts(p_keys, 1) AS s(i), LATERAL (SELECT p_keys[s.i] AS key, p_rules[s.i][5] AS keep, p_rules[s.i][4]::int AS n) AS r";

/**
 * Locks every window row named by the rules (in key order) and judges every rule; nothing is
 * written yet. Sets `v_stored` to the keys of the logs that exist (in key order) and `v_refusal` to
 * the rule that refuses for longest (ties: the first), null when all have room.
 *
 * The locked rows are read by one cursor and each rule judged in PL/pgSQL, against the log that
 * names it. An earlier form judged them in the locking statement itself (materialized CTEs, a
 * lookup per rule among the locked rows, an aggregate): 10% more of the server's instructions per
 * send + verify pair (callgrind on a backend, grown tables), because every node of a plan is set
 * up on each call, while a PL/pgSQL expression is compiled once per transaction and then costs
 * little per loop turn. `width_bucket(bound, times)` is a binary search on a sorted array: the
 * number of events at or before `bound`, so a window's live events are the ones after position
 * `width_bucket(now - window, times)`, and the k-th oldest live event of a log of n whose first
 * `old` left is at `old + k`.
 */
const judgeWindows = (t: TableNames) => `
  IF p_keys IS NOT NULL THEN
    IF cardinality(p_keys) = 1 AND p_ratio_keys IS NULL THEN
      -- One rule without a tripwire (a verify's budget, a single limit): its log locked by primary
      -- key (no cursor) and judged here, the same arithmetic as the loop below.
      v_single := true;
      SELECT w.times INTO v_times FROM ${t.windows} AS w WHERE w.key = p_keys[1] FOR UPDATE;
      IF FOUND THEN v_stored := p_keys; END IF;
      v_events := coalesce(cardinality(v_times), 0) - coalesce(width_bucket(p_now - p_rules[1][2], v_times), 0);
      IF v_events + p_rules[1][3] > p_rules[1][1] THEN
        v_refusal := ARRAY[CASE WHEN p_rules[1][3] > p_rules[1][1] THEN p_rules[1][2]
          ELSE v_times[(cardinality(v_times) + p_rules[1][3] - p_rules[1][1])::int] + p_rules[1][2] - p_now END, -1];
      END IF;
    ELSE
      -- The lock order of every function: the sort below LockRows locks in key order.
      FOR v_log_key, v_times IN
        SELECT w.key, w.times FROM ${t.windows} AS w WHERE w.key = ANY(p_keys) ORDER BY w.key FOR UPDATE
      LOOP
        v_stored := v_stored || v_log_key;
        v_len := cardinality(v_times);
        -- Every rule counting into this log (a log can carry several windows, and a key can be
        -- named twice).
        FOR v_rule IN 1 .. cardinality(p_keys) LOOP
          CONTINUE WHEN p_keys[v_rule] <> v_log_key;
          v_old := coalesce(width_bucket(p_now - p_rules[v_rule][2], v_times), 0);
          v_retry := NULL;
          IF v_len - v_old + p_rules[v_rule][3] > p_rules[v_rule][1] THEN
            -- No room for the weight: enough of the oldest live events must leave (or never, past
            -- the limit): the (len + weight - limit)-th event of the log.
            v_retry := CASE WHEN p_rules[v_rule][3] > p_rules[v_rule][1] THEN p_rules[v_rule][2]
              ELSE v_times[(v_len + p_rules[v_rule][3] - p_rules[v_rule][1])::int] + p_rules[v_rule][2] - p_now END;
          END IF;
          IF p_ratio_keys[v_rule] IS NOT NULL AND v_len > 0 AND v_len - v_old >= p_rules[v_rule][6] THEN
            -- A conversion tripwire: too few verified events in the ratio log (read, not locked: a
            -- verification landing meanwhile only makes the ratio better), until the oldest live
            -- event leaves. An empty log trips nothing (no events to compare).
            SELECT coalesce(cardinality(v.times), 0) - coalesce(width_bucket(p_now - p_rules[v_rule][2], v.times), 0)
            INTO v_verified FROM ${t.windows} AS v WHERE v.key = p_ratio_keys[v_rule];
            IF coalesce(v_verified, 0) < p_min_ratios[v_rule] * (v_len - v_old) THEN
              v_retry := greatest(v_retry, v_times[v_old + 1] + p_rules[v_rule][2] - p_now);
            END IF;
          END IF;
          IF v_retry IS NOT NULL THEN v_refusals := v_refusals || ARRAY[[v_retry, -v_rule]]; END IF;
        END LOOP;
      END LOOP;
      -- The rules whose log does not exist yet judge no events: room, unless the weight alone is
      -- past the limit (never room: the whole window). A tripwire trips nothing on an empty log.
      FOR v_rule IN 1 .. cardinality(p_keys) LOOP
        IF p_rules[v_rule][3] > p_rules[v_rule][1] AND (v_stored IS NULL OR p_keys[v_rule] <> ALL(v_stored)) THEN
          v_refusals := v_refusals || ARRAY[[p_rules[v_rule][2], -v_rule]];
        END IF;
      END LOOP;
    END IF;
    IF cardinality(v_refusals) > 0 THEN
      -- Refused (rare): the longest wait, ties to the first rule.
      SELECT max(ARRAY[v_refusals[k][1], v_refusals[k][2]]) INTO v_refusal
      FROM generate_subscripts(v_refusals, 1) AS k;
    END IF;
  END IF;`;

/**
 * Writes the logs (after every rule allowed): one statement for the stored ones (locked above:
 * trimmed to what their longest window keeps, the new events after every event at or before now,
 * so the log stays in time order) and one for the new ones, in key order; a lone rule's log (see
 * `judgeWindows`) by one single-row UPDATE or INSERT.
 */
const writeWindows = (t: TableNames) => `
  IF v_single THEN
    -- The one rule's log (judged on its own above), kept for its window.
    IF v_stored IS NOT NULL THEN
      UPDATE ${t.windows} AS w
      SET times = w.times[width_bucket(p_now - p_rules[1][5], w.times) + 1:width_bucket(p_now, w.times)]
          || array_fill(p_now, ARRAY[p_rules[1][4]::int]) || w.times[width_bucket(p_now, w.times) + 1:],
        expires_at = greatest(w.expires_at, p_now + p_rules[1][5])
      WHERE w.key = p_keys[1] AND p_rules[1][5] > 0;
    ELSE
      -- unique_violation if a concurrent statement created it: all rolls back, the store retries.
      INSERT INTO ${t.windows} (key, times, expires_at)
      SELECT p_keys[1], array_fill(p_now, ARRAY[p_rules[1][4]::int]), p_now + p_rules[1][5]
      WHERE p_rules[1][5] > 0;
    END IF;
  ELSE
    IF v_stored IS NOT NULL THEN
      UPDATE ${t.windows} AS w
      SET times = w.times[width_bucket(p_now - u.longest, w.times) + 1:width_bucket(p_now, w.times)]
          || array_fill(p_now, ARRAY[u.add]) || w.times[width_bucket(p_now, w.times) + 1:],
        expires_at = greatest(w.expires_at, p_now + u.longest)
      FROM (
        SELECT r.key, r.keep AS longest, r.n AS add FROM ${ruleLogs} WHERE r.keep > 0
      ) AS u
      -- Only the rows locked above (a row created since was not judged: its key's INSERT below
      -- collides with it), found by key whatever join the planner picks.
      WHERE w.key = u.key AND w.key = ANY(v_stored);
    END IF;
    IF p_keys IS NOT NULL AND NOT coalesce(v_stored @> p_keys, false) THEN
      -- unique_violation if a concurrent statement created one: all rolls back, the store retries.
      INSERT INTO ${t.windows} (key, times, expires_at)
      SELECT r.key, array_fill(p_now, ARRAY[r.n]), p_now + r.keep
      FROM ${ruleLogs}
      WHERE r.keep > 0 AND (v_stored IS NULL OR r.key <> ALL(v_stored))
      ORDER BY r.key;
    END IF;
  END IF;`;

const recordVariables = `
  o_id text;
  o_hash text;
  o_link_hash text;
  o_expires_at bigint;
  o_attempts int;
  o_max_attempts int;
  o_data text;`;

const recordElements =
  "o_id, o_hash, o_link_hash, o_expires_at::text, o_attempts::text, o_max_attempts::text, o_data";
const putResult = `ARRAY[o_allowed::text, o_refused_rule::text, o_retry_after_ms::text, ${recordElements}]::text`;
/** `putResult` when the put was allowed, nothing refused, and there was no previous record. */
const newRecordResult = `'{true,${Array(9).fill("NULL").join(",")}}'`;
const checkResult = `ARRAY[o_status, o_retry_after_ms::text, o_refused_rule::text, ${recordElements}, o_attempts_left::text]::text`;

/**
 * The functions' statements are primary-key lookups and writes, over arrays of a handful of keys.
 * PostgreSQL cannot see an array parameter's length, so it guesses 10 elements for a generic plan
 * and would price it above custom plans that know the length — and then plan every call again.
 * The plans are the same either way (an index probe per key), so the functions' own statements
 * are told to keep the generic plan.
 *
 * A generic plan is kept until the table's statistics change, and on a new table (or one that
 * grew since autovacuum last analyzed it) PostgreSQL prices a sequential scan and a hash join
 * below the index: the first calls of a fresh deployment planned the windows' UPDATE as a hash
 * join over a sequential scan, and kept it while the table grew (a 9-second bench on a new schema
 * read 59M rows in 4,116 sequential scans). Every statement here reads rows by key, for which the
 * primary-key index is the right plan at any size, so the functions rule out sequential and
 * bitmap scans outright; every join names its rows by key on both sides (the windows' update also
 * by `key = ANY(v_stored)`), so a hash or merge join is as bounded as a nested loop. (Each
 * setting costs its set-up and reset on every call: two more, for the joins, were 2–4% of a
 * pair's server instructions.) These settings hold inside these functions only; the store never
 * changes your sessions.
 */
const generic = ["plan_cache_mode = force_generic_plan", "enable_seqscan = off", "enable_bitmapscan = off"]
  .map((setting) => `SET ${setting}`)
  .join(" ");

/** The nine rule arrays of development builds' functions (never released), for their signatures. */
const developmentRuleTypes = "text[], int[], bigint[], int[], text[], int[], float8[], int[], bigint[]";

/**
 * Functions only development builds between releases installed (nine rule arrays; answering with
 * OUT columns, later with one text value): dropped, so a database migrated by one keeps no stale
 * overloads. Released signatures are left for instances still running them (see `functionsSql`).
 */
const developmentSignatures = (t: TableNames) => `
DROP FUNCTION IF EXISTS ${t.put}(text, text, text, text, bigint, int, int, text, bigint, bigint, text, boolean,
  ${developmentRuleTypes});
DROP FUNCTION IF EXISTS ${t.hit}(bigint, ${developmentRuleTypes});
DROP FUNCTION IF EXISTS ${t.check}(text, text, text[], bigint, text[], int[], bigint[], bigint[], bigint[],
  ${developmentRuleTypes});
`;

/**
 * The function DDL for `schemaSql` (idempotent: `CREATE OR REPLACE`). A function whose arguments
 * changed is a new overload to PostgreSQL; the previous ones are left in place, so instances still
 * on the previous version keep working during a rolling upgrade (the changeset names the
 * statements that drop them afterwards).
 */
export const functionsSql = (t: TableNames) => `${developmentSignatures(t)}
-- put: count the rate-limit rules and replace the pending record, all or nothing (see the
-- package's functions.ts for why each step is safe under concurrency).
CREATE OR REPLACE FUNCTION ${t.put}(p_key text, p_id text, p_hash text, p_link_hash text,
  p_expires_at bigint, p_attempts int, p_max_attempts int, p_data text, p_retain_until bigint,
  p_now bigint, p_if_id text, p_carry boolean, ${ruleParams})
RETURNS text LANGUAGE plpgsql ${generic} AS $otpkit$
DECLARE${ruleDeclarations}
  o_allowed boolean;
  o_refused_rule int;
  o_retry_after_ms bigint;${recordVariables}
  v_row ${t.codes}%ROWTYPE;
  v_found boolean;
  v_live boolean;
  v_written boolean := false;
BEGIN${judgeWindows(t)}
  -- Then the record (after the windows: the lock order of every function). An unconditional put
  -- the limits allow writes its windows whatever the record, and a new record in one statement
  -- (most sends: a phone's first code); only an existing one is read and replaced below.
  IF p_if_id IS NULL AND v_refusal IS NULL THEN${writeWindows(t)}
    INSERT INTO ${t.codes} AS c (key, id, hash, link_hash, expires_at, attempts, max_attempts, data, retain_until)
    VALUES (p_key, p_id, p_hash, p_link_hash, p_expires_at, p_attempts, p_max_attempts, p_data, p_retain_until)
    ON CONFLICT (key) DO NOTHING;
    -- Allowed, nothing refused, no previous record: the answer is a constant (every expression a
    -- call evaluates is set up again in each transaction, i.e. on each call).
    IF FOUND THEN RETURN ${newRecordResult}; END IF;
    v_written := true;
  END IF;
  SELECT * INTO v_row FROM ${t.codes} AS c WHERE c.key = p_key FOR UPDATE;
  v_found := FOUND;
  v_live := v_found AND v_row.retain_until > p_now;
  o_allowed := p_if_id IS NULL OR (v_live AND v_row.id = p_if_id);
  IF v_live THEN
    o_id := v_row.id;
    o_hash := v_row.hash;
    o_link_hash := v_row.link_hash;
    o_expires_at := v_row.expires_at;
    o_attempts := v_row.attempts;
    o_max_attempts := v_row.max_attempts;
    o_data := v_row.data;
  END IF;
  IF NOT o_allowed OR v_refusal IS NOT NULL THEN
    o_refused_rule := -v_refusal[2];
    o_retry_after_ms := v_refusal[1];
    RETURN ${putResult};
  END IF;
  IF NOT v_written THEN${writeWindows(t)}
  END IF;
  -- carry: a live previous record (not expired, not exhausted) passes on its attempts, and its
  -- expiry when sooner.
  IF p_carry AND v_live AND p_now < v_row.expires_at AND v_row.attempts < v_row.max_attempts THEN
    p_attempts := v_row.attempts;
    p_expires_at := least(v_row.expires_at, p_expires_at);
  END IF;
  IF v_found THEN
    UPDATE ${t.codes} AS c
    SET id = p_id, hash = p_hash, link_hash = p_link_hash, expires_at = p_expires_at, attempts = p_attempts,
      max_attempts = p_max_attempts, data = p_data, retain_until = p_retain_until
    WHERE c.key = p_key;
  ELSE
    -- unique_violation if a concurrent put created it: all rolls back, the store retries.
    INSERT INTO ${t.codes} (key, id, hash, link_hash, expires_at, attempts, max_attempts, data, retain_until)
    VALUES (p_key, p_id, p_hash, p_link_hash, p_expires_at, p_attempts, p_max_attempts, p_data, p_retain_until);
  END IF;
  RETURN ${putResult};
END
$otpkit$;

-- hit: count the rate-limit rules, all or nothing.
CREATE OR REPLACE FUNCTION ${t.hit}(p_now bigint, ${ruleParams})
RETURNS text LANGUAGE plpgsql ${generic} AS $otpkit$
DECLARE${ruleDeclarations}
BEGIN${judgeWindows(t)}
  IF v_refusal IS NULL THEN${writeWindows(t)}
    RETURN NULL;
  END IF;
  RETURN -v_refusal[2] || ':' || v_refusal[1];
END
$otpkit$;

-- check: the rate-limit rules first (refused: 'limited', nothing else looked at or counted;
-- otherwise counted whatever the verdict), then the consecutive-failure counters (refusing:
-- 'locked', the record unread), then the record. No status: not_found.
CREATE OR REPLACE FUNCTION ${t.check}(p_key text, p_id text, p_hashes text[], p_now bigint,
  p_failure_keys text[], p_failure_rules bigint[], ${ruleParams})
RETURNS text LANGUAGE plpgsql ${generic} AS $otpkit$
DECLARE${ruleDeclarations}
  o_status text;
  o_retry_after_ms bigint;
  o_refused_rule int;${recordVariables}
  o_attempts_left int;
  f_keys text[];   -- the failure counters that exist (locked)
  v_wait bigint := 0;
  v_key text;
  v_failures int;
  v_until bigint;
  v_retain bigint;
  v_found boolean;
  v_matched boolean;
BEGIN${judgeWindows(t)}
  IF v_refusal IS NOT NULL THEN
    o_status := 'limited';
    o_refused_rule := -v_refusal[2];
    o_retry_after_ms := v_refusal[1];
    RETURN ${checkResult};
  END IF;${writeWindows(t)}
  -- The failure counters, locked in key order (after the windows, before the record), then the
  -- longest refusal among the live ones. Most checks find no counter (a phone's first wrong code
  -- creates them): one statement of three plan nodes, and the refusal read only when one exists.
  IF p_failure_keys IS NOT NULL THEN
    SELECT nullif(ARRAY(
      SELECT f.key FROM ${t.failures} AS f WHERE f.key = ANY(p_failure_keys) ORDER BY f.key FOR UPDATE
    ), '{}') INTO f_keys;
    IF f_keys IS NOT NULL THEN
      -- Locked above: nobody can have changed them since.
      SELECT coalesce(max(f.locked_until - p_now), 0) INTO v_wait FROM ${t.failures} AS f
      WHERE f.key = ANY(f_keys) AND f.expires_at > p_now AND f.locked_until > p_now;
    END IF;
  END IF;
  o_retry_after_ms := v_wait;
  IF v_wait > 0 THEN
    o_status := 'locked';
    RETURN ${checkResult};
  END IF;
  -- The common case first, in one statement: a right code for a live record is consumed. (Plain
  -- equality on the hashes: both sides are HMAC outputs keyed with a secret the caller does not
  -- have, see the README on timing.) A DELETE waits for a concurrent writer of the row and then
  -- checks its conditions again on the row's latest version, so two right guesses consume it once.
  DELETE FROM ${t.codes} AS c
  WHERE c.key = p_key AND c.retain_until > p_now AND (p_id IS NULL OR c.id = p_id)
    AND p_now < c.expires_at AND c.attempts < c.max_attempts
    AND (c.hash = ANY(p_hashes) OR c.link_hash = ANY(p_hashes))
  RETURNING c.id, c.hash, c.link_hash, c.expires_at, c.attempts, c.max_attempts, c.data
  INTO o_id, o_hash, o_link_hash, o_expires_at, o_attempts, o_max_attempts, o_data;
  IF FOUND THEN
    o_status := 'approved';
    IF f_keys IS NOT NULL THEN DELETE FROM ${t.failures} AS f WHERE f.key = ANY(f_keys); END IF;
    RETURN ${checkResult};
  END IF;
  -- Otherwise the record as it is now (locked), and the verdict in the contract's order (a
  -- concurrent statement may have changed it since: the verdict is on its latest version).
  SELECT c.id, c.hash, c.link_hash, c.expires_at, c.attempts, c.max_attempts, c.data,
    coalesce(c.hash = ANY(p_hashes) OR c.link_hash = ANY(p_hashes), false)
  INTO o_id, o_hash, o_link_hash, o_expires_at, o_attempts, o_max_attempts, o_data, v_matched
  FROM ${t.codes} AS c
  WHERE c.key = p_key AND c.retain_until > p_now AND (p_id IS NULL OR c.id = p_id)
  FOR UPDATE;
  IF NOT FOUND THEN RETURN ${checkResult}; END IF;
  -- The order of the tests is the contract's.
  o_status := CASE
    WHEN p_now >= o_expires_at THEN 'expired'
    WHEN o_attempts >= o_max_attempts THEN 'too_many_attempts'
    WHEN v_matched THEN 'approved'
    ELSE 'invalid'
  END;
  IF o_status = 'approved' THEN
    DELETE FROM ${t.codes} AS c WHERE c.key = p_key;
    IF f_keys IS NOT NULL THEN DELETE FROM ${t.failures} AS f WHERE f.key = ANY(f_keys); END IF;
  ELSIF o_status = 'invalid' THEN
    UPDATE ${t.codes} AS c SET attempts = c.attempts + 1 WHERE c.key = p_key
    RETURNING c.max_attempts - c.attempts INTO o_attempts_left;
    -- Each counter in key order, counted from its value as locked above (a counter locked above
    -- cannot have changed since; one that did not exist is created).
    FOR v_key, v_failures, v_until, v_retain, v_found IN
      SELECT r.key, n.failures, CASE WHEN n.failures >= r.threshold
          THEN p_now + least(r.max_backoff::float8,
            r.backoff * power(2, least(n.failures - r.threshold, 40)))::bigint
          ELSE 0 END,
        r.retain, f.key IS NOT NULL
      FROM generate_subscripts(p_failure_keys, 1) AS g(i), LATERAL (
        SELECT g.i, p_failure_keys[g.i] AS key, p_failure_rules[g.i][1]::int AS threshold,
          p_failure_rules[g.i][2] AS backoff, p_failure_rules[g.i][3] AS max_backoff,
          p_failure_rules[g.i][4] AS retain
      ) AS r
      LEFT JOIN ${t.failures} AS f ON f.key = r.key AND f.key = ANY(f_keys)
      CROSS JOIN LATERAL (SELECT CASE WHEN f.expires_at > p_now THEN f.count ELSE 0 END + 1 AS failures) AS n
      ORDER BY r.key, r.i
    LOOP
      IF v_found THEN
        UPDATE ${t.failures} AS f
        SET count = v_failures, locked_until = v_until, expires_at = greatest(p_now + v_retain, v_until)
        WHERE f.key = v_key;
      ELSE
        -- unique_violation if a concurrent check created it: all rolls back, the store retries.
        INSERT INTO ${t.failures} (key, count, locked_until, expires_at)
        VALUES (v_key, v_failures, v_until, greatest(p_now + v_retain, v_until));
      END IF;
    END LOOP;
  END IF;
  RETURN ${checkResult};
END
$otpkit$;
`;
