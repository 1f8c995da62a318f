-- otpkit: pending one-time codes and rate-limit windows. Never a plaintext code: only HMACs.
-- Keys compare byte by byte (COLLATE "C"): they are identifiers (digests, a tenant's id) with no
-- linguistic order to respect, and the database's default collation would compare them through
-- the C library's strcoll on every index descent. Tables created before keep their collation;
-- both work the same.

-- One row per pending code. The primary key is "<tenant>:<purpose letter>:<keyed digest of the
-- phone>", so this unique index is what keeps one pending code per phone + purpose + tenant.
CREATE TABLE IF NOT EXISTS "otpkit_codes" (
  key          text    COLLATE "C" PRIMARY KEY,
  id           text    NOT NULL,  -- the verification id (ver_…)
  hash         text    NOT NULL,  -- HMAC-SHA-256 of the code (base64url)
  link_hash    text,              -- HMAC-SHA-256 of the magic-link token, when one was sent
  expires_at   bigint  NOT NULL,  -- epoch ms: the code is accepted strictly before this
  attempts     integer NOT NULL,  -- wrong guesses so far
  max_attempts integer NOT NULL,
  data         text    NOT NULL,  -- the number, its mask and metadata, sealed with AES-256-GCM by the core
  retain_until bigint  NOT NULL   -- epoch ms: the row counts as gone from here; deleteExpired() sweeps it
) WITH (fillfactor = 80);

-- One row per rate-limit subject ("<tenant>:rl:<rule>:<window s>:<subject>"): an exact sliding
-- log, the times of the events still inside the window, trimmed whenever the row is written.
CREATE TABLE IF NOT EXISTS "otpkit_codes_windows" (
  key        text     COLLATE "C" PRIMARY KEY,
  times      bigint[] NOT NULL,  -- epoch ms, oldest first
  expires_at bigint   NOT NULL   -- epoch ms when the newest event leaves the window; deleteExpired() sweeps
) WITH (fillfactor = 80);

-- One row per consecutive-failure counter ("<tenant>:rl:failures:0:<digest>[:<requester digest>]"):
-- wrong codes in a row, and the refusal they earned. A right code deletes the row.
CREATE TABLE IF NOT EXISTS "otpkit_codes_failures" (
  key          text    COLLATE "C" PRIMARY KEY,
  count        integer NOT NULL,  -- consecutive wrong codes
  locked_until bigint  NOT NULL,  -- epoch ms: checks are refused before this (0: not refusing)
  expires_at   bigint  NOT NULL   -- epoch ms: the counter is forgotten from here; deleteExpired() sweeps
) WITH (fillfactor = 80);

-- The store's operations that decide (put, hit, check), one function each, called by one
-- statement: an atomic round trip. Replaced on every migrate(), so an upgrade installs its own.

DROP FUNCTION IF EXISTS "otpkit_codes_put"(text, text, text, text, bigint, int, int, text, bigint, bigint, text, boolean,
  text[], int[], bigint[], int[], text[], int[], float8[], int[], bigint[]);
DROP FUNCTION IF EXISTS "otpkit_codes_hit"(bigint, text[], int[], bigint[], int[], text[], int[], float8[], int[], bigint[]);
DROP FUNCTION IF EXISTS "otpkit_codes_check"(text, text, text[], bigint, text[], int[], bigint[], bigint[], bigint[],
  text[], int[], bigint[], int[], text[], int[], float8[], int[], bigint[]);

-- put: count the rate-limit rules and replace the pending record, all or nothing (see the
-- package's functions.ts for why each step is safe under concurrency).
CREATE OR REPLACE FUNCTION "otpkit_codes_put"(p_key text, p_id text, p_hash text, p_link_hash text,
  p_expires_at bigint, p_attempts int, p_max_attempts int, p_data text, p_retain_until bigint,
  p_now bigint, p_if_id text, p_carry boolean, p_keys text[], p_rules bigint[], p_ratio_keys text[], p_min_ratios float8[])
RETURNS text LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan SET enable_seqscan = off SET enable_bitmapscan = off AS $otpkit$
DECLARE
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
  v_verified int;       -- a tripwire's live verified events
  o_allowed boolean;
  o_refused_rule int;
  o_retry_after_ms bigint;
  o_id text;
  o_hash text;
  o_link_hash text;
  o_expires_at bigint;
  o_attempts int;
  o_max_attempts int;
  o_data text;
  v_row "otpkit_codes"%ROWTYPE;
  v_found boolean;
  v_live boolean;
  v_written boolean := false;
BEGIN
  IF p_keys IS NOT NULL THEN
    IF cardinality(p_keys) = 1 AND p_ratio_keys IS NULL THEN
      -- One rule without a tripwire (a verify's budget, a single limit): its log locked by primary
      -- key (no cursor) and judged here, the same arithmetic as the loop below.
      v_single := true;
      SELECT w.times INTO v_times FROM "otpkit_codes_windows" AS w WHERE w.key = p_keys[1] FOR UPDATE;
      IF FOUND THEN v_stored := p_keys; END IF;
      v_events := coalesce(cardinality(v_times), 0) - coalesce(width_bucket(p_now - p_rules[1][2], v_times), 0);
      IF v_events + p_rules[1][3] > p_rules[1][1] THEN
        v_refusal := ARRAY[CASE WHEN p_rules[1][3] > p_rules[1][1] THEN p_rules[1][2]
          ELSE v_times[(cardinality(v_times) + p_rules[1][3] - p_rules[1][1])::int] + p_rules[1][2] - p_now END, -1];
      END IF;
    ELSE
      -- The lock order of every function: the sort below LockRows locks in key order.
      FOR v_log_key, v_times IN
        SELECT w.key, w.times FROM "otpkit_codes_windows" AS w WHERE w.key = ANY(p_keys) ORDER BY w.key FOR UPDATE
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
            INTO v_verified FROM "otpkit_codes_windows" AS v WHERE v.key = p_ratio_keys[v_rule];
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
  END IF;
  -- Then the record (after the windows: the lock order of every function). An unconditional put
  -- the limits allow writes its windows whatever the record, and a new record in one statement
  -- (most sends: a phone's first code); only an existing one is read and replaced below.
  IF p_if_id IS NULL AND v_refusal IS NULL THEN
  IF v_single THEN
    -- The one rule's log (judged on its own above), kept for its window.
    IF v_stored IS NOT NULL THEN
      UPDATE "otpkit_codes_windows" AS w
      SET times = w.times[width_bucket(p_now - p_rules[1][5], w.times) + 1:width_bucket(p_now, w.times)]
          || array_fill(p_now, ARRAY[p_rules[1][4]::int]) || w.times[width_bucket(p_now, w.times) + 1:],
        expires_at = greatest(w.expires_at, p_now + p_rules[1][5])
      WHERE w.key = p_keys[1] AND p_rules[1][5] > 0;
    ELSE
      -- unique_violation if a concurrent statement created it: all rolls back, the store retries.
      INSERT INTO "otpkit_codes_windows" (key, times, expires_at)
      SELECT p_keys[1], array_fill(p_now, ARRAY[p_rules[1][4]::int]), p_now + p_rules[1][5]
      WHERE p_rules[1][5] > 0;
    END IF;
  ELSE
    IF v_stored IS NOT NULL THEN
      UPDATE "otpkit_codes_windows" AS w
      SET times = w.times[width_bucket(p_now - u.longest, w.times) + 1:width_bucket(p_now, w.times)]
          || array_fill(p_now, ARRAY[u.add]) || w.times[width_bucket(p_now, w.times) + 1:],
        expires_at = greatest(w.expires_at, p_now + u.longest)
      FROM (
        SELECT r.key, r.keep AS longest, r.n AS add FROM generate_subscripts(p_keys, 1) AS s(i), LATERAL (SELECT p_keys[s.i] AS key, p_rules[s.i][5] AS keep, p_rules[s.i][4]::int AS n) AS r WHERE r.keep > 0
      ) AS u
      -- Only the rows locked above (a row created since was not judged: its key's INSERT below
      -- collides with it), found by key whatever join the planner picks.
      WHERE w.key = u.key AND w.key = ANY(v_stored);
    END IF;
    IF p_keys IS NOT NULL AND NOT coalesce(v_stored @> p_keys, false) THEN
      -- unique_violation if a concurrent statement created one: all rolls back, the store retries.
      INSERT INTO "otpkit_codes_windows" (key, times, expires_at)
      SELECT r.key, array_fill(p_now, ARRAY[r.n]), p_now + r.keep
      FROM generate_subscripts(p_keys, 1) AS s(i), LATERAL (SELECT p_keys[s.i] AS key, p_rules[s.i][5] AS keep, p_rules[s.i][4]::int AS n) AS r
      WHERE r.keep > 0 AND (v_stored IS NULL OR r.key <> ALL(v_stored))
      ORDER BY r.key;
    END IF;
  END IF;
    INSERT INTO "otpkit_codes" AS c (key, id, hash, link_hash, expires_at, attempts, max_attempts, data, retain_until)
    VALUES (p_key, p_id, p_hash, p_link_hash, p_expires_at, p_attempts, p_max_attempts, p_data, p_retain_until)
    ON CONFLICT (key) DO NOTHING;
    -- Allowed, nothing refused, no previous record: the answer is a constant (every expression a
    -- call evaluates is set up again in each transaction, i.e. on each call).
    IF FOUND THEN RETURN '{true,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL}'; END IF;
    v_written := true;
  END IF;
  SELECT * INTO v_row FROM "otpkit_codes" AS c WHERE c.key = p_key FOR UPDATE;
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
    RETURN ARRAY[o_allowed::text, o_refused_rule::text, o_retry_after_ms::text, o_id, o_hash, o_link_hash, o_expires_at::text, o_attempts::text, o_max_attempts::text, o_data]::text;
  END IF;
  IF NOT v_written THEN
  IF v_single THEN
    -- The one rule's log (judged on its own above), kept for its window.
    IF v_stored IS NOT NULL THEN
      UPDATE "otpkit_codes_windows" AS w
      SET times = w.times[width_bucket(p_now - p_rules[1][5], w.times) + 1:width_bucket(p_now, w.times)]
          || array_fill(p_now, ARRAY[p_rules[1][4]::int]) || w.times[width_bucket(p_now, w.times) + 1:],
        expires_at = greatest(w.expires_at, p_now + p_rules[1][5])
      WHERE w.key = p_keys[1] AND p_rules[1][5] > 0;
    ELSE
      -- unique_violation if a concurrent statement created it: all rolls back, the store retries.
      INSERT INTO "otpkit_codes_windows" (key, times, expires_at)
      SELECT p_keys[1], array_fill(p_now, ARRAY[p_rules[1][4]::int]), p_now + p_rules[1][5]
      WHERE p_rules[1][5] > 0;
    END IF;
  ELSE
    IF v_stored IS NOT NULL THEN
      UPDATE "otpkit_codes_windows" AS w
      SET times = w.times[width_bucket(p_now - u.longest, w.times) + 1:width_bucket(p_now, w.times)]
          || array_fill(p_now, ARRAY[u.add]) || w.times[width_bucket(p_now, w.times) + 1:],
        expires_at = greatest(w.expires_at, p_now + u.longest)
      FROM (
        SELECT r.key, r.keep AS longest, r.n AS add FROM generate_subscripts(p_keys, 1) AS s(i), LATERAL (SELECT p_keys[s.i] AS key, p_rules[s.i][5] AS keep, p_rules[s.i][4]::int AS n) AS r WHERE r.keep > 0
      ) AS u
      -- Only the rows locked above (a row created since was not judged: its key's INSERT below
      -- collides with it), found by key whatever join the planner picks.
      WHERE w.key = u.key AND w.key = ANY(v_stored);
    END IF;
    IF p_keys IS NOT NULL AND NOT coalesce(v_stored @> p_keys, false) THEN
      -- unique_violation if a concurrent statement created one: all rolls back, the store retries.
      INSERT INTO "otpkit_codes_windows" (key, times, expires_at)
      SELECT r.key, array_fill(p_now, ARRAY[r.n]), p_now + r.keep
      FROM generate_subscripts(p_keys, 1) AS s(i), LATERAL (SELECT p_keys[s.i] AS key, p_rules[s.i][5] AS keep, p_rules[s.i][4]::int AS n) AS r
      WHERE r.keep > 0 AND (v_stored IS NULL OR r.key <> ALL(v_stored))
      ORDER BY r.key;
    END IF;
  END IF;
  END IF;
  -- carry: a live previous record (not expired, not exhausted) passes on its attempts, and its
  -- expiry when sooner.
  IF p_carry AND v_live AND p_now < v_row.expires_at AND v_row.attempts < v_row.max_attempts THEN
    p_attempts := v_row.attempts;
    p_expires_at := least(v_row.expires_at, p_expires_at);
  END IF;
  IF v_found THEN
    UPDATE "otpkit_codes" AS c
    SET id = p_id, hash = p_hash, link_hash = p_link_hash, expires_at = p_expires_at, attempts = p_attempts,
      max_attempts = p_max_attempts, data = p_data, retain_until = p_retain_until
    WHERE c.key = p_key;
  ELSE
    -- unique_violation if a concurrent put created it: all rolls back, the store retries.
    INSERT INTO "otpkit_codes" (key, id, hash, link_hash, expires_at, attempts, max_attempts, data, retain_until)
    VALUES (p_key, p_id, p_hash, p_link_hash, p_expires_at, p_attempts, p_max_attempts, p_data, p_retain_until);
  END IF;
  RETURN ARRAY[o_allowed::text, o_refused_rule::text, o_retry_after_ms::text, o_id, o_hash, o_link_hash, o_expires_at::text, o_attempts::text, o_max_attempts::text, o_data]::text;
END
$otpkit$;

-- hit: count the rate-limit rules, all or nothing.
CREATE OR REPLACE FUNCTION "otpkit_codes_hit"(p_now bigint, p_keys text[], p_rules bigint[], p_ratio_keys text[], p_min_ratios float8[])
RETURNS text LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan SET enable_seqscan = off SET enable_bitmapscan = off AS $otpkit$
DECLARE
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
  v_verified int;       -- a tripwire's live verified events
BEGIN
  IF p_keys IS NOT NULL THEN
    IF cardinality(p_keys) = 1 AND p_ratio_keys IS NULL THEN
      -- One rule without a tripwire (a verify's budget, a single limit): its log locked by primary
      -- key (no cursor) and judged here, the same arithmetic as the loop below.
      v_single := true;
      SELECT w.times INTO v_times FROM "otpkit_codes_windows" AS w WHERE w.key = p_keys[1] FOR UPDATE;
      IF FOUND THEN v_stored := p_keys; END IF;
      v_events := coalesce(cardinality(v_times), 0) - coalesce(width_bucket(p_now - p_rules[1][2], v_times), 0);
      IF v_events + p_rules[1][3] > p_rules[1][1] THEN
        v_refusal := ARRAY[CASE WHEN p_rules[1][3] > p_rules[1][1] THEN p_rules[1][2]
          ELSE v_times[(cardinality(v_times) + p_rules[1][3] - p_rules[1][1])::int] + p_rules[1][2] - p_now END, -1];
      END IF;
    ELSE
      -- The lock order of every function: the sort below LockRows locks in key order.
      FOR v_log_key, v_times IN
        SELECT w.key, w.times FROM "otpkit_codes_windows" AS w WHERE w.key = ANY(p_keys) ORDER BY w.key FOR UPDATE
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
            INTO v_verified FROM "otpkit_codes_windows" AS v WHERE v.key = p_ratio_keys[v_rule];
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
  END IF;
  IF v_refusal IS NULL THEN
  IF v_single THEN
    -- The one rule's log (judged on its own above), kept for its window.
    IF v_stored IS NOT NULL THEN
      UPDATE "otpkit_codes_windows" AS w
      SET times = w.times[width_bucket(p_now - p_rules[1][5], w.times) + 1:width_bucket(p_now, w.times)]
          || array_fill(p_now, ARRAY[p_rules[1][4]::int]) || w.times[width_bucket(p_now, w.times) + 1:],
        expires_at = greatest(w.expires_at, p_now + p_rules[1][5])
      WHERE w.key = p_keys[1] AND p_rules[1][5] > 0;
    ELSE
      -- unique_violation if a concurrent statement created it: all rolls back, the store retries.
      INSERT INTO "otpkit_codes_windows" (key, times, expires_at)
      SELECT p_keys[1], array_fill(p_now, ARRAY[p_rules[1][4]::int]), p_now + p_rules[1][5]
      WHERE p_rules[1][5] > 0;
    END IF;
  ELSE
    IF v_stored IS NOT NULL THEN
      UPDATE "otpkit_codes_windows" AS w
      SET times = w.times[width_bucket(p_now - u.longest, w.times) + 1:width_bucket(p_now, w.times)]
          || array_fill(p_now, ARRAY[u.add]) || w.times[width_bucket(p_now, w.times) + 1:],
        expires_at = greatest(w.expires_at, p_now + u.longest)
      FROM (
        SELECT r.key, r.keep AS longest, r.n AS add FROM generate_subscripts(p_keys, 1) AS s(i), LATERAL (SELECT p_keys[s.i] AS key, p_rules[s.i][5] AS keep, p_rules[s.i][4]::int AS n) AS r WHERE r.keep > 0
      ) AS u
      -- Only the rows locked above (a row created since was not judged: its key's INSERT below
      -- collides with it), found by key whatever join the planner picks.
      WHERE w.key = u.key AND w.key = ANY(v_stored);
    END IF;
    IF p_keys IS NOT NULL AND NOT coalesce(v_stored @> p_keys, false) THEN
      -- unique_violation if a concurrent statement created one: all rolls back, the store retries.
      INSERT INTO "otpkit_codes_windows" (key, times, expires_at)
      SELECT r.key, array_fill(p_now, ARRAY[r.n]), p_now + r.keep
      FROM generate_subscripts(p_keys, 1) AS s(i), LATERAL (SELECT p_keys[s.i] AS key, p_rules[s.i][5] AS keep, p_rules[s.i][4]::int AS n) AS r
      WHERE r.keep > 0 AND (v_stored IS NULL OR r.key <> ALL(v_stored))
      ORDER BY r.key;
    END IF;
  END IF;
    RETURN NULL;
  END IF;
  RETURN -v_refusal[2] || ':' || v_refusal[1];
END
$otpkit$;

-- check: the rate-limit rules first (refused: 'limited', nothing else looked at or counted;
-- otherwise counted whatever the verdict), then the consecutive-failure counters (refusing:
-- 'locked', the record unread), then the record. No status: not_found.
CREATE OR REPLACE FUNCTION "otpkit_codes_check"(p_key text, p_id text, p_hashes text[], p_now bigint,
  p_failure_keys text[], p_failure_rules bigint[], p_keys text[], p_rules bigint[], p_ratio_keys text[], p_min_ratios float8[])
RETURNS text LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan SET enable_seqscan = off SET enable_bitmapscan = off AS $otpkit$
DECLARE
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
  v_verified int;       -- a tripwire's live verified events
  o_status text;
  o_retry_after_ms bigint;
  o_refused_rule int;
  o_id text;
  o_hash text;
  o_link_hash text;
  o_expires_at bigint;
  o_attempts int;
  o_max_attempts int;
  o_data text;
  o_attempts_left int;
  f_keys text[];   -- the failure counters that exist (locked)
  v_wait bigint := 0;
  v_key text;
  v_failures int;
  v_until bigint;
  v_retain bigint;
  v_found boolean;
  v_matched boolean;
BEGIN
  IF p_keys IS NOT NULL THEN
    IF cardinality(p_keys) = 1 AND p_ratio_keys IS NULL THEN
      -- One rule without a tripwire (a verify's budget, a single limit): its log locked by primary
      -- key (no cursor) and judged here, the same arithmetic as the loop below.
      v_single := true;
      SELECT w.times INTO v_times FROM "otpkit_codes_windows" AS w WHERE w.key = p_keys[1] FOR UPDATE;
      IF FOUND THEN v_stored := p_keys; END IF;
      v_events := coalesce(cardinality(v_times), 0) - coalesce(width_bucket(p_now - p_rules[1][2], v_times), 0);
      IF v_events + p_rules[1][3] > p_rules[1][1] THEN
        v_refusal := ARRAY[CASE WHEN p_rules[1][3] > p_rules[1][1] THEN p_rules[1][2]
          ELSE v_times[(cardinality(v_times) + p_rules[1][3] - p_rules[1][1])::int] + p_rules[1][2] - p_now END, -1];
      END IF;
    ELSE
      -- The lock order of every function: the sort below LockRows locks in key order.
      FOR v_log_key, v_times IN
        SELECT w.key, w.times FROM "otpkit_codes_windows" AS w WHERE w.key = ANY(p_keys) ORDER BY w.key FOR UPDATE
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
            INTO v_verified FROM "otpkit_codes_windows" AS v WHERE v.key = p_ratio_keys[v_rule];
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
  END IF;
  IF v_refusal IS NOT NULL THEN
    o_status := 'limited';
    o_refused_rule := -v_refusal[2];
    o_retry_after_ms := v_refusal[1];
    RETURN ARRAY[o_status, o_retry_after_ms::text, o_refused_rule::text, o_id, o_hash, o_link_hash, o_expires_at::text, o_attempts::text, o_max_attempts::text, o_data, o_attempts_left::text]::text;
  END IF;
  IF v_single THEN
    -- The one rule's log (judged on its own above), kept for its window.
    IF v_stored IS NOT NULL THEN
      UPDATE "otpkit_codes_windows" AS w
      SET times = w.times[width_bucket(p_now - p_rules[1][5], w.times) + 1:width_bucket(p_now, w.times)]
          || array_fill(p_now, ARRAY[p_rules[1][4]::int]) || w.times[width_bucket(p_now, w.times) + 1:],
        expires_at = greatest(w.expires_at, p_now + p_rules[1][5])
      WHERE w.key = p_keys[1] AND p_rules[1][5] > 0;
    ELSE
      -- unique_violation if a concurrent statement created it: all rolls back, the store retries.
      INSERT INTO "otpkit_codes_windows" (key, times, expires_at)
      SELECT p_keys[1], array_fill(p_now, ARRAY[p_rules[1][4]::int]), p_now + p_rules[1][5]
      WHERE p_rules[1][5] > 0;
    END IF;
  ELSE
    IF v_stored IS NOT NULL THEN
      UPDATE "otpkit_codes_windows" AS w
      SET times = w.times[width_bucket(p_now - u.longest, w.times) + 1:width_bucket(p_now, w.times)]
          || array_fill(p_now, ARRAY[u.add]) || w.times[width_bucket(p_now, w.times) + 1:],
        expires_at = greatest(w.expires_at, p_now + u.longest)
      FROM (
        SELECT r.key, r.keep AS longest, r.n AS add FROM generate_subscripts(p_keys, 1) AS s(i), LATERAL (SELECT p_keys[s.i] AS key, p_rules[s.i][5] AS keep, p_rules[s.i][4]::int AS n) AS r WHERE r.keep > 0
      ) AS u
      -- Only the rows locked above (a row created since was not judged: its key's INSERT below
      -- collides with it), found by key whatever join the planner picks.
      WHERE w.key = u.key AND w.key = ANY(v_stored);
    END IF;
    IF p_keys IS NOT NULL AND NOT coalesce(v_stored @> p_keys, false) THEN
      -- unique_violation if a concurrent statement created one: all rolls back, the store retries.
      INSERT INTO "otpkit_codes_windows" (key, times, expires_at)
      SELECT r.key, array_fill(p_now, ARRAY[r.n]), p_now + r.keep
      FROM generate_subscripts(p_keys, 1) AS s(i), LATERAL (SELECT p_keys[s.i] AS key, p_rules[s.i][5] AS keep, p_rules[s.i][4]::int AS n) AS r
      WHERE r.keep > 0 AND (v_stored IS NULL OR r.key <> ALL(v_stored))
      ORDER BY r.key;
    END IF;
  END IF;
  -- The failure counters, locked in key order (after the windows, before the record), then the
  -- longest refusal among the live ones. Most checks find no counter (a phone's first wrong code
  -- creates them): one statement of three plan nodes, and the refusal read only when one exists.
  IF p_failure_keys IS NOT NULL THEN
    SELECT nullif(ARRAY(
      SELECT f.key FROM "otpkit_codes_failures" AS f WHERE f.key = ANY(p_failure_keys) ORDER BY f.key FOR UPDATE
    ), '{}') INTO f_keys;
    IF f_keys IS NOT NULL THEN
      -- Locked above: nobody can have changed them since.
      SELECT coalesce(max(f.locked_until - p_now), 0) INTO v_wait FROM "otpkit_codes_failures" AS f
      WHERE f.key = ANY(f_keys) AND f.expires_at > p_now AND f.locked_until > p_now;
    END IF;
  END IF;
  o_retry_after_ms := v_wait;
  IF v_wait > 0 THEN
    o_status := 'locked';
    RETURN ARRAY[o_status, o_retry_after_ms::text, o_refused_rule::text, o_id, o_hash, o_link_hash, o_expires_at::text, o_attempts::text, o_max_attempts::text, o_data, o_attempts_left::text]::text;
  END IF;
  -- The common case first, in one statement: a right code for a live record is consumed. (Plain
  -- equality on the hashes: both sides are HMAC outputs keyed with a secret the caller does not
  -- have, see the README on timing.) A DELETE waits for a concurrent writer of the row and then
  -- checks its conditions again on the row's latest version, so two right guesses consume it once.
  DELETE FROM "otpkit_codes" AS c
  WHERE c.key = p_key AND c.retain_until > p_now AND (p_id IS NULL OR c.id = p_id)
    AND p_now < c.expires_at AND c.attempts < c.max_attempts
    AND (c.hash = ANY(p_hashes) OR c.link_hash = ANY(p_hashes))
  RETURNING c.id, c.hash, c.link_hash, c.expires_at, c.attempts, c.max_attempts, c.data
  INTO o_id, o_hash, o_link_hash, o_expires_at, o_attempts, o_max_attempts, o_data;
  IF FOUND THEN
    o_status := 'approved';
    IF f_keys IS NOT NULL THEN DELETE FROM "otpkit_codes_failures" AS f WHERE f.key = ANY(f_keys); END IF;
    RETURN ARRAY[o_status, o_retry_after_ms::text, o_refused_rule::text, o_id, o_hash, o_link_hash, o_expires_at::text, o_attempts::text, o_max_attempts::text, o_data, o_attempts_left::text]::text;
  END IF;
  -- Otherwise the record as it is now (locked), and the verdict in the contract's order (a
  -- concurrent statement may have changed it since: the verdict is on its latest version).
  SELECT c.id, c.hash, c.link_hash, c.expires_at, c.attempts, c.max_attempts, c.data,
    coalesce(c.hash = ANY(p_hashes) OR c.link_hash = ANY(p_hashes), false)
  INTO o_id, o_hash, o_link_hash, o_expires_at, o_attempts, o_max_attempts, o_data, v_matched
  FROM "otpkit_codes" AS c
  WHERE c.key = p_key AND c.retain_until > p_now AND (p_id IS NULL OR c.id = p_id)
  FOR UPDATE;
  IF NOT FOUND THEN RETURN ARRAY[o_status, o_retry_after_ms::text, o_refused_rule::text, o_id, o_hash, o_link_hash, o_expires_at::text, o_attempts::text, o_max_attempts::text, o_data, o_attempts_left::text]::text; END IF;
  -- The order of the tests is the contract's.
  o_status := CASE
    WHEN p_now >= o_expires_at THEN 'expired'
    WHEN o_attempts >= o_max_attempts THEN 'too_many_attempts'
    WHEN v_matched THEN 'approved'
    ELSE 'invalid'
  END;
  IF o_status = 'approved' THEN
    DELETE FROM "otpkit_codes" AS c WHERE c.key = p_key;
    IF f_keys IS NOT NULL THEN DELETE FROM "otpkit_codes_failures" AS f WHERE f.key = ANY(f_keys); END IF;
  ELSIF o_status = 'invalid' THEN
    UPDATE "otpkit_codes" AS c SET attempts = c.attempts + 1 WHERE c.key = p_key
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
      LEFT JOIN "otpkit_codes_failures" AS f ON f.key = r.key AND f.key = ANY(f_keys)
      CROSS JOIN LATERAL (SELECT CASE WHEN f.expires_at > p_now THEN f.count ELSE 0 END + 1 AS failures) AS n
      ORDER BY r.key, r.i
    LOOP
      IF v_found THEN
        UPDATE "otpkit_codes_failures" AS f
        SET count = v_failures, locked_until = v_until, expires_at = greatest(p_now + v_retain, v_until)
        WHERE f.key = v_key;
      ELSE
        -- unique_violation if a concurrent check created it: all rolls back, the store retries.
        INSERT INTO "otpkit_codes_failures" (key, count, locked_until, expires_at)
        VALUES (v_key, v_failures, v_until, greatest(p_now + v_retain, v_until));
      END IF;
    END LOOP;
  END IF;
  RETURN ARRAY[o_status, o_retry_after_ms::text, o_refused_rule::text, o_id, o_hash, o_link_hash, o_expires_at::text, o_attempts::text, o_max_attempts::text, o_data, o_attempts_left::text]::text;
END
$otpkit$;
