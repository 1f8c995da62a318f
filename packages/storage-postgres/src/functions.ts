import type { TableNames } from "./schema.js";

/**
 * The PL/pgSQL functions `migrate()` installs next to the tables: `put`, `hit` and `check`, each
 * called by one statement (`SELECT … FROM <table>_put(…)`), so each operation stays one round trip
 * and one atomic statement.
 *
 * Why functions and not one SQL statement: the same decisions as a single statement of CTEs cost
 * about half the server CPU here. A statement of a dozen CTEs runs a large plan (every node is set
 * up and torn down on each call, arrays are unnested, sorted and aggregated again per rule), and
 * its `key = ANY(…)` lookups make PostgreSQL price the generic plan above the custom ones on big
 * tables. A function runs a few primary-key lookups (each a tiny cached plan, generic from the
 * sixth call on: `key = $1` costs the same whatever the value) and does its arithmetic on arrays
 * in place (a binary search for a window's first live event instead of an unnest).
 *
 * Atomicity (READ COMMITTED, the default; the same reasoning as one statement, since a function
 * called by one statement runs inside that statement and commits or rolls back with it):
 * - Every row a function will decide on and change is read with `SELECT … FOR UPDATE`, which waits
 *   for a concurrent writer of the row and returns its latest committed version; the row stays
 *   locked to the end of the statement, so nobody can change it between our read and our write.
 * - A row that does not exist cannot be locked: it is created with a plain `INSERT`. When another
 *   statement created it meanwhile, the primary key refuses ours (unique_violation), the whole
 *   statement rolls back (nothing counted, nothing written), and the store runs it again — it then
 *   finds and locks that row. A race can cost a retry, never a lost or double count.
 * - Lock order, the same in every function: the windows (in key order), then the failure counters
 *   (in key order), then the record. Two statements therefore never wait on each other in a cycle
 *   over existing rows; the remaining cycle (a row one statement inserts while another waits for
 *   it) ends in unique_violation or deadlock_detected, both retried by the store.
 * - Nothing is written before every rule has been judged: a refusal leaves every row as it was.
 *
 * A window's log stays in time order: `now` is inserted after every event at or before it (a
 * concurrent statement with an earlier clock may commit later), so its live events are a suffix
 * found by binary search, and the k-th oldest live event is at a known position.
 */

/** Parameters of the rate-limit rules, one array each, read by the rule's position. */
const ruleParams = `p_keys text[], p_limits int[], p_windows bigint[], p_weights int[], p_ratio_keys text[],
  p_min_events int[], p_min_ratios float8[], p_counts int[]`;

const ruleDeclarations = `
  v_n int := coalesce(cardinality(p_keys), 0);
  v_rules int[] := '{}';   -- the rules' positions, in key order
  v_p int;
  v_key text;
  v_times bigint[];
  v_ratio bigint[];
  v_len int;
  v_since bigint;
  v_lo int;
  v_hi int;
  v_mid int;
  v_first int;
  v_count int;
  v_retry bigint;
  v_verified int;
  v_longest bigint;
  v_kept int;
  v_add int;
  v_i int;
  v_j int;
  v_stored boolean;
  -- The planned writes. Stored logs: key, the first event its longest window keeps, where the new
  -- events go, how many, the new expiry. New logs: key, how many events, expiry.
  u_keys text[];
  u_first int[];
  u_at int[];
  u_add int[];
  u_expires bigint[];
  n_keys text[];
  n_add int[];
  n_expires bigint[];
  -- the rule that refuses for longest (1-based), if any, and its wait
  v_rule int;
  v_rule_retry bigint;`;

/** `v_lo` := the first index of `times` (from `v_lo`) whose event is after `bound` (a binary search). */
const firstAfter = (times: string, length: string, bound: string) => `
      v_hi := ${length} + 1;
      WHILE v_lo < v_hi LOOP
        v_mid := (v_lo + v_hi) / 2;
        IF ${times}[v_mid] > ${bound} THEN v_hi := v_mid; ELSE v_lo := v_mid + 1; END IF;
      END LOOP;`;

const considerRefusal = `
          IF v_rule IS NULL OR v_retry > v_rule_retry OR (v_retry = v_rule_retry AND v_i < v_rule) THEN
            v_rule := v_i;
            v_rule_retry := v_retry;
          END IF;`;

/**
 * Locks every window row named by the rules (in key order), judges every rule, and plans the
 * writes (nothing written yet). Sets `v_rule`/`v_rule_retry` when a rule refuses.
 */
const judgeWindows = (t: TableNames) => `
  -- The rules in key order (an insertion sort of their positions, stable: a handful of rules), so
  -- that every statement locks windows in the same order and a shared log's rules are adjacent.
  FOR v_i IN 1..v_n LOOP
    v_j := v_i - 1;
    WHILE v_j > 0 AND p_keys[v_rules[v_j]] > p_keys[v_i] LOOP v_j := v_j - 1; END LOOP;
    v_rules := v_rules[1:v_j] || v_i || v_rules[v_j + 1:];
  END LOOP;
  -- One pass over them; position v_n + 1 only closes the last log. Each log is locked when its
  -- first rule comes (a primary-key lookup each: cheaper than one statement over them all read
  -- through a cursor); a row that does not exist yet reads as null.
  FOR v_p IN 1..v_n + 1 LOOP
    v_i := v_rules[v_p];
    IF v_p = 1 OR v_p > v_n OR p_keys[v_i] <> v_key THEN
      IF v_p > 1 THEN
        -- Close the log: its new events go after every event at or before now (it stays in time
        -- order), and it keeps what its longest window keeps.
        IF NOT v_stored THEN
          n_keys := n_keys || v_key;
          n_add := n_add || v_add;
          n_expires := n_expires || (p_now + v_longest);
        ELSE
          v_lo := v_kept;${firstAfter("v_times", "v_len", "p_now")}
          u_keys := u_keys || v_key;
          u_first := u_first || v_kept;
          u_at := u_at || v_lo;
          u_add := u_add || v_add;
          u_expires := u_expires || (p_now + v_longest);
        END IF;
      END IF;
      EXIT WHEN v_p > v_n;
      v_key := p_keys[v_i];
      SELECT w.times INTO v_times FROM ${t.windows} AS w WHERE w.key = v_key FOR UPDATE;
      v_stored := v_times IS NOT NULL;
      v_len := coalesce(cardinality(v_times), 0);
      v_longest := -1;
      v_kept := v_len + 1;
      v_add := 0;
    END IF;
    -- Each rule on this log (a shared log carries several), judged on its own window.
    IF v_len = 0 THEN
      -- An empty log (most are: a phone's first send): only a weight above the limit refuses, and
      -- no tripwire can trip (no events to compare).
      v_first := 1;
      IF p_weights[v_i] > p_limits[v_i] THEN
        v_retry := p_windows[v_i];${considerRefusal}
      END IF;
    ELSE
      v_since := p_now - p_windows[v_i];
      v_lo := 1;${firstAfter("v_times", "v_len", "v_since")}
      v_first := v_lo;
      v_count := v_len - v_first + 1;
      -- No room for the weight: enough of the oldest events must leave (or never, past the limit).
      IF v_count + p_weights[v_i] > p_limits[v_i] THEN
        v_retry := CASE WHEN p_weights[v_i] > p_limits[v_i] THEN p_windows[v_i]
          ELSE v_times[v_first + v_count + p_weights[v_i] - p_limits[v_i] - 1] + p_windows[v_i] - p_now END;${considerRefusal}
      END IF;
      -- A conversion tripwire: too few verified events in the ratio log (read, not locked: a
      -- verification landing meanwhile only makes the ratio better), until the oldest event leaves.
      IF p_ratio_keys[v_i] IS NOT NULL AND v_count >= p_min_events[v_i] THEN
        SELECT w.times INTO v_ratio FROM ${t.windows} AS w WHERE w.key = p_ratio_keys[v_i];
        v_lo := 1;${firstAfter("v_ratio", "coalesce(cardinality(v_ratio), 0)", "v_since")}
        v_verified := coalesce(cardinality(v_ratio), 0) - v_lo + 1;
        IF v_verified < p_min_ratios[v_i] * v_count THEN
          v_retry := v_times[v_first] + p_windows[v_i] - p_now;${considerRefusal}
        END IF;
      END IF;
    END IF;
    IF p_windows[v_i] > v_longest THEN
      v_longest := p_windows[v_i];
      v_kept := v_first;
    END IF;
    v_add := v_add + p_counts[v_i];
  END LOOP;`;

/**
 * Writes the planned logs, one statement for the stored ones (locked above: trimmed, with the new
 * events) and one for the new ones.
 */
const writeWindows = (t: TableNames) => `
  IF u_keys IS NOT NULL THEN
    UPDATE ${t.windows} AS w
    SET times = w.times[u.first:u.at - 1] || array_fill(p_now, ARRAY[u.add]) || w.times[u.at:],
      expires_at = greatest(w.expires_at, u.expires)
    FROM unnest(u_keys, u_first, u_at, u_add, u_expires) AS u(key, first, at, add, expires)
    WHERE w.key = u.key;
  END IF;
  IF n_keys IS NOT NULL THEN
    -- unique_violation if a concurrent statement created one: all rolls back, the store retries.
    INSERT INTO ${t.windows} (key, times, expires_at)
    SELECT u.key, array_fill(p_now, ARRAY[u.add]), u.expires
    FROM unnest(n_keys, n_add, n_expires) AS u(key, add, expires);
  END IF;`;

const recordOut = `OUT o_id text, OUT o_hash text, OUT o_link_hash text, OUT o_expires_at bigint,
  OUT o_attempts int, OUT o_max_attempts int, OUT o_data text`;

/**
 * The functions' statements are primary-key lookups and writes, over arrays of a handful of keys.
 * PostgreSQL cannot see an array parameter's length, so it guesses 10 elements for a generic plan
 * and would price it above custom plans that know the length — and then plan every call again.
 * The plans are the same either way (an index probe per key), so the functions' own statements
 * are told to keep the generic plan. This setting holds inside these functions only.
 */
const generic = "SET plan_cache_mode = force_generic_plan";

/** The function DDL for `schemaSql` (idempotent: `CREATE OR REPLACE`). */
export const functionsSql = (t: TableNames) => `
-- put: count the rate-limit rules and replace the pending record, all or nothing (see the
-- package's functions.ts for why each step is safe under concurrency).
CREATE OR REPLACE FUNCTION ${t.put}(p_key text, p_id text, p_hash text, p_link_hash text,
  p_expires_at bigint, p_attempts int, p_max_attempts int, p_data text, p_retain_until bigint,
  p_now bigint, p_if_id text, p_carry boolean, ${ruleParams},
  OUT o_allowed boolean, OUT o_refused_rule int, OUT o_retry_after_ms bigint, ${recordOut})
LANGUAGE plpgsql ${generic} AS $otpkit$
DECLARE${ruleDeclarations}
  v_row ${t.codes}%ROWTYPE;
  v_found boolean;
  v_live boolean;
  v_written boolean := false;
BEGIN${judgeWindows(t)}
  o_refused_rule := v_rule;
  o_retry_after_ms := v_rule_retry;
  -- Then the record (after the windows: the lock order of every function). An unconditional put
  -- the limits allow writes its windows whatever the record, and a new record in one statement
  -- (most sends: a phone's first code); only an existing one is read and replaced below.
  IF p_if_id IS NULL AND v_rule IS NULL THEN${writeWindows(t)}
    INSERT INTO ${t.codes} AS c (key, id, hash, link_hash, expires_at, attempts, max_attempts, data, retain_until)
    VALUES (p_key, p_id, p_hash, p_link_hash, p_expires_at, p_attempts, p_max_attempts, p_data, p_retain_until)
    ON CONFLICT (key) DO NOTHING;
    o_allowed := true;
    IF FOUND THEN RETURN; END IF;
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
  IF NOT o_allowed OR v_rule IS NOT NULL THEN RETURN; END IF;
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
END
$otpkit$;

-- hit: count the rate-limit rules, all or nothing.
CREATE OR REPLACE FUNCTION ${t.hit}(p_now bigint, ${ruleParams},
  OUT o_refused_rule int, OUT o_retry_after_ms bigint)
LANGUAGE plpgsql ${generic} AS $otpkit$
DECLARE${ruleDeclarations}
BEGIN${judgeWindows(t)}
  o_refused_rule := v_rule;
  o_retry_after_ms := v_rule_retry;
  IF v_rule IS NULL THEN${writeWindows(t)}
  END IF;
END
$otpkit$;

-- check: the rate-limit rules first (refused: 'limited', nothing else looked at or counted;
-- otherwise counted whatever the verdict), then the consecutive-failure counters (refusing:
-- 'locked', the record unread), then the record. No status: not_found.
CREATE OR REPLACE FUNCTION ${t.check}(p_key text, p_id text, p_hashes text[], p_now bigint,
  p_failure_keys text[], p_thresholds int[], p_backoffs bigint[], p_max_backoffs bigint[], p_retains bigint[],
  ${ruleParams},
  OUT o_status text, OUT o_retry_after_ms bigint, OUT o_refused_rule int, ${recordOut},
  OUT o_attempts_left int)
LANGUAGE plpgsql ${generic} AS $otpkit$
DECLARE${ruleDeclarations}
  v_f int := coalesce(cardinality(p_failure_keys), 0);
  v_order int[] := '{}';   -- the failure counters' positions, in key order
  f_stored boolean[] := '{}';
  f_live int[] := '{}';
  v_wait bigint := 0;
  v_failures int;
  v_until bigint;
  v_expires bigint;
  v_matched boolean;
BEGIN${judgeWindows(t)}
  IF v_rule IS NOT NULL THEN
    o_status := 'limited';
    o_refused_rule := v_rule;
    o_retry_after_ms := v_rule_retry;
    RETURN;
  END IF;${writeWindows(t)}
  -- The failure counters, locked in key order (after the windows, before the record).
  FOR v_i IN 1..v_f LOOP
    v_j := cardinality(v_order);
    WHILE v_j > 0 AND p_failure_keys[v_order[v_j]] > p_failure_keys[v_i] LOOP v_j := v_j - 1; END LOOP;
    v_order := v_order[1:v_j] || v_i || v_order[v_j + 1:];
  END LOOP;
  FOREACH v_i IN ARRAY v_order LOOP
    SELECT f.count, f.locked_until, f.expires_at INTO v_failures, v_until, v_expires
    FROM ${t.failures} AS f WHERE f.key = p_failure_keys[v_i] FOR UPDATE;
    f_stored[v_i] := FOUND;
    f_live[v_i] := 0;
    IF FOUND AND v_expires > p_now THEN
      f_live[v_i] := v_failures;
      IF v_until > p_now THEN v_wait := greatest(v_wait, v_until - p_now); END IF;
    END IF;
  END LOOP;
  o_retry_after_ms := v_wait;
  IF v_wait > 0 THEN
    o_status := 'locked';
    RETURN;
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
    FOREACH v_i IN ARRAY v_order LOOP
      IF f_stored[v_i] THEN DELETE FROM ${t.failures} AS f WHERE f.key = p_failure_keys[v_i]; END IF;
    END LOOP;
    RETURN;
  END IF;
  -- Otherwise the record as it is now (locked), and the verdict in the contract's order (a
  -- concurrent statement may have changed it since: the verdict is on its latest version).
  SELECT c.id, c.hash, c.link_hash, c.expires_at, c.attempts, c.max_attempts, c.data,
    coalesce(c.hash = ANY(p_hashes) OR c.link_hash = ANY(p_hashes), false)
  INTO o_id, o_hash, o_link_hash, o_expires_at, o_attempts, o_max_attempts, o_data, v_matched
  FROM ${t.codes} AS c
  WHERE c.key = p_key AND c.retain_until > p_now AND (p_id IS NULL OR c.id = p_id)
  FOR UPDATE;
  IF NOT FOUND THEN RETURN; END IF;
  -- The order of the tests is the contract's.
  o_status := CASE
    WHEN p_now >= o_expires_at THEN 'expired'
    WHEN o_attempts >= o_max_attempts THEN 'too_many_attempts'
    WHEN v_matched THEN 'approved'
    ELSE 'invalid'
  END;
  IF o_status = 'approved' THEN
    DELETE FROM ${t.codes} AS c WHERE c.key = p_key;
    FOREACH v_i IN ARRAY v_order LOOP
      IF f_stored[v_i] THEN DELETE FROM ${t.failures} AS f WHERE f.key = p_failure_keys[v_i]; END IF;
    END LOOP;
  ELSIF o_status = 'invalid' THEN
    UPDATE ${t.codes} AS c SET attempts = c.attempts + 1 WHERE c.key = p_key
    RETURNING c.max_attempts - c.attempts INTO o_attempts_left;
    FOREACH v_i IN ARRAY v_order LOOP
      v_failures := f_live[v_i] + 1;
      v_until := CASE WHEN v_failures >= p_thresholds[v_i]
        THEN p_now + least(p_max_backoffs[v_i]::float8,
          p_backoffs[v_i] * power(2, least(v_failures - p_thresholds[v_i], 40)))::bigint
        ELSE 0 END;
      IF f_stored[v_i] THEN
        UPDATE ${t.failures} AS f
        SET count = v_failures, locked_until = v_until, expires_at = greatest(p_now + p_retains[v_i], v_until)
        WHERE f.key = p_failure_keys[v_i];
      ELSE
        -- unique_violation if a concurrent check created it: all rolls back, the store retries.
        INSERT INTO ${t.failures} (key, count, locked_until, expires_at)
        VALUES (p_failure_keys[v_i], v_failures, v_until, greatest(p_now + p_retains[v_i], v_until));
      END IF;
    END LOOP;
  END IF;
END
$otpkit$;
`;
