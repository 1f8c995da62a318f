import { functionsSql } from "./functions.js";

/** A table name, optionally schema-qualified: `otpkit_codes` or `auth.otpkit_codes`. */
const tableName = /^[A-Za-z_][A-Za-z0-9_]{0,50}(\.[A-Za-z_][A-Za-z0-9_]{0,50})?$/;

export const defaultTable = "otpkit_codes";

export interface TableNames {
  /** Pending codes, quoted for SQL. */
  codes: string;
  /** Rate-limit windows (`<table>_windows`), quoted for SQL. */
  windows: string;
  /** Consecutive-failure counters (`<table>_failures`), quoted for SQL. */
  failures: string;
  /** The functions `migrate()` installs (`<table>_put`, `_hit`, `_check`), quoted for SQL. */
  put: string;
  hit: string;
  check: string;
}

/** Validates the configured name and quotes each part, so it can be spliced into SQL text safely. */
export function tableNames(table: string = defaultTable): TableNames {
  if (!tableName.test(table)) {
    throw new TypeError(
      "postgresStore: `table` must be a plain identifier, optionally schema-qualified (letters, digits, _).",
    );
  }
  const quote = (name: string) =>
    name
      .split(".")
      .map((part) => `"${part}"`)
      .join(".");
  return {
    codes: quote(table),
    windows: quote(`${table}_windows`),
    failures: quote(`${table}_failures`),
    put: quote(`${table}_put`),
    hit: quote(`${table}_hit`),
    check: quote(`${table}_check`),
  };
}

/**
 * The DDL, idempotent (`IF NOT EXISTS`). `schema.sql` in the package is this text for the default
 * table name (a test keeps the two identical).
 */
export function schemaSql(table: string = defaultTable): string {
  const names = tableNames(table);
  const { codes, windows, failures } = names;
  return `-- otpkit: pending one-time codes and rate-limit windows. Never a plaintext code: only HMACs.
-- Keys compare byte by byte (COLLATE "C"): they are identifiers (digests, a tenant's id) with no
-- linguistic order to respect, and the database's default collation would compare them through
-- the C library's strcoll on every index descent. Tables created before keep their collation;
-- both work the same.

-- One row per pending code. The primary key is "<tenant>:<purpose letter>:<keyed digest of the
-- phone>", so this unique index is what keeps one pending code per phone + purpose + tenant.
CREATE TABLE IF NOT EXISTS ${codes} (
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
CREATE TABLE IF NOT EXISTS ${windows} (
  key        text     COLLATE "C" PRIMARY KEY,
  times      bigint[] NOT NULL,  -- epoch ms, oldest first
  expires_at bigint   NOT NULL   -- epoch ms when the newest event leaves the window; deleteExpired() sweeps
) WITH (fillfactor = 80);

-- One row per consecutive-failure counter ("<tenant>:rl:failures:0:<digest>[:<requester digest>]"):
-- wrong codes in a row, and the refusal they earned. A right code deletes the row.
CREATE TABLE IF NOT EXISTS ${failures} (
  key          text    COLLATE "C" PRIMARY KEY,
  count        integer NOT NULL,  -- consecutive wrong codes
  locked_until bigint  NOT NULL,  -- epoch ms: checks are refused before this (0: not refusing)
  expires_at   bigint  NOT NULL   -- epoch ms: the counter is forgotten from here; deleteExpired() sweeps
) WITH (fillfactor = 80);

-- The store's operations that decide (put, hit, check), one function each, called by one
-- statement: an atomic round trip. Replaced on every migrate(), so an upgrade installs its own.
${functionsSql(names)}`;
}
