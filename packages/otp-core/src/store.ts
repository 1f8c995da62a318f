/**
 * `@otpkit/otp-core/store`: the store contract, for store authors. Every operation is atomic and
 * one round trip: the core computes keys and hashes, the store only keeps records, compares hashes
 * and counts. A store that cannot do an operation atomically must throw, never degrade into a
 * read-then-write. Keys are opaque text except that everything before the first `:` is the tenant
 * (`keyTenant`). Run `storeConformance` from `@otpkit/otp-core/testing` against every store.
 */
export { type Bounded, type DeadlineWatch, deadline } from "./deadline.js";
export { describeUrl } from "./describe-url.js";
export { constantTimeEqual } from "./encoding.js";
export { keyTenant } from "./keys.js";
export { failedOnce } from "./memory-store.js";
export { longestWindow, waitFor, windowRules } from "./windows.js";

/** One pending code. The store treats every field as opaque except where documented. */
export interface OtpRecord {
  /** The verification id (`ver_…`). `check` with an id refuses a record whose id differs. */
  id: string;
  /** HMAC-SHA-256 (base64url) of the code, bound to the record key. Never the code. */
  hash: string;
  /** HMAC of the magic-link token, when the send carried a link. */
  linkHash?: string;
  /** Epoch ms: the code is accepted strictly before this instant. */
  expiresAt: number;
  /** Wrong guesses so far. */
  attempts: number;
  /** Guesses allowed; at `attempts >= maxAttempts` the code is dead. */
  maxAttempts: number;
  /** Opaque JSON the core reads back on success (phone, purpose, metadata). */
  data: string;
}

/** One more rule on a `RateHit`'s log: at most `limit` events in any `windowMs`. */
export interface WindowRule {
  limit: number;
  windowMs: number;
}

/** One rate-limit rule applied to one subject: at most `limit` events in any `windowMs`. */
export interface RateHit {
  key: string;
  limit: number;
  windowMs: number;
  /**
   * More rules on the same log of events (a phone's hour and day budgets): each is judged like
   * `limit`/`windowMs`, against the events of its own window, and the operation is refused when
   * any refuses (`retryAfterMs`: the longest wait among them). The event is counted once, in one
   * log kept as long as the longest window — one key or row per subject instead of one per rule.
   * `ratio` applies to `limit`/`windowMs` only. Only sent to a store that says `sharedLogs`.
   * Default: none.
   */
  also?: readonly WindowRule[];
  /**
   * How many events this operation counts (a spend budget weighs a message by its price). Refused
   * when the window's live events plus `weight` would pass `limit`. Default: 1.
   */
  weight?: number;
  /**
   * A conversion tripwire on this window: also refused when it already holds at least `minEvents`
   * live events and the window at `key` (same `windowMs`: the verified events) holds fewer than
   * `minRatio` times as many. `retryAfterMs` is then the time until this window's oldest event
   * leaves. Default: none.
   */
  ratio?: { key: string; minEvents: number; minRatio: number };
}

export type HitResult = { ok: true } | { ok: false; key: string; retryAfterMs: number };

export interface PutOptions {
  now: number;
  /** Epoch ms after which the record may vanish (kept past expiry so `expired` can be reported). */
  retainUntil: number;
  /**
   * Rate limits evaluated in the same atomic step. If any is at its limit nothing is counted and
   * nothing is written; otherwise every one is counted and the record written.
   */
  hits?: readonly RateHit[];
  /** Write only if the current record has this id (used to restore after a failed send). */
  ifId?: string;
  /**
   * Resend policy "carry": when a live record (not expired, not exhausted) is replaced, the new one
   * takes over its `attempts` and its `expiresAt` (if sooner), so a resend never buys more guesses or
   * time. Default: `false` (the new record stands as given).
   */
  carry?: boolean;
}

export type PutResult =
  | { ok: true; previous: OtpRecord | null }
  | { ok: false; key: string; retryAfterMs: number };

/**
 * A counter of consecutive wrong codes (across codes and purposes), evaluated inside `check`. Its
 * state is a count and a time until which it refuses. While refusing, `check` answers `locked`
 * and looks at nothing else. A wrong code counts one; at `threshold` consecutive failures and each
 * one after, it refuses for `backoffMs × 2^(count − threshold)`, at most `maxBackoffMs`. A right
 * code deletes it. It is forgotten `retainMs` after its last failure (or when its refusal ends, if
 * that is later).
 */
export interface FailureRule {
  key: string;
  threshold: number;
  backoffMs: number;
  maxBackoffMs: number;
  retainMs: number;
}

export interface CheckInput {
  /** When given, a record with another id is `not_found` (it was superseded). */
  id?: string;
  /** Candidate hashes, one per accepted secret; a match against `hash` or `linkHash` approves. */
  hashes: readonly string[];
  now: number;
  /** Consecutive-failure counters to enforce and update in the same atomic step. Default: none. */
  failures?: readonly FailureRule[];
  /**
   * Rate limits (a requester's verification budget) judged first, in the same atomic step: if any
   * refuses, nothing is counted, nothing else is looked at, and the answer is `limited`; otherwise
   * every one is counted (whatever the verdict, `locked` included: they are judged before the
   * failure counters, so a refusing hit also wins over a locking counter) and the check goes on
   * exactly as without them. All or nothing across them, like `hit`. Only sent
   * to a store that says `checkHits` (without it the core sends them as a `hit` of their own, one
   * more round trip). Default: none.
   */
  hits?: readonly RateHit[];
}

export type CheckResult =
  | { status: "approved"; record: OtpRecord }
  | { status: "invalid"; attemptsLeft: number }
  | { status: "too_many_attempts" }
  | { status: "expired" }
  | { status: "not_found" }
  /** A failure counter is refusing: nothing was looked at or counted. */
  | { status: "locked"; retryAfterMs: number }
  /** One of `CheckInput.hits` refused (the one at `key`): nothing was looked at or counted. */
  | { status: "limited"; key: string; retryAfterMs: number };

export interface Store {
  /** A short name for errors and events ("memory", "redis", …). */
  readonly name: string;
  /**
   * `true` for a store whose state lives in this process only (the memory store): adapters on
   * platforms that run many instances (edge functions, serverless) refuse it in production.
   * Default: absent (shared).
   */
  readonly local?: boolean;
  /**
   * `true` for a store that judges `RateHit.also` (the conformance suite then tests it): the core
   * sends a subject's rules as one hit on one log. Without it the core sends every rule as a hit
   * of its own, on a key of its own. Default: absent.
   */
  readonly sharedLogs?: boolean;
  /**
   * `true` for a store that judges `CheckInput.hits` (the conformance suite then tests it): a
   * verification's rate limits are counted inside its `check`, one round trip instead of two.
   * Default: absent.
   */
  readonly checkHits?: boolean;
  /** Replace the pending record at `key` (one pending code per key), counting `hits` atomically. */
  put(key: string, record: OtpRecord, options: PutOptions): Promise<PutResult>;
  /**
   * In one atomic step: refuse if a failure counter is refusing (`locked`); find the record, refuse
   * if superseded, expired or exhausted; compare the candidates; and either consume the record and
   * delete the failure counters (approved) or count the attempt on the record and on every failure
   * counter (invalid).
   */
  check(key: string, input: CheckInput): Promise<CheckResult>;
  /** Count one event (or `weight`) against each rule, all or nothing. */
  hit(hits: readonly RateHit[], now: number): Promise<HitResult>;
  /**
   * The record at `key` as it is (nothing counted or changed), or `null` when there is none or it
   * is past `retainUntil` at `now`. The core reads back stored answers (idempotent sends).
   */
  read(key: string, now: number): Promise<OtpRecord | null>;
  /**
   * Give back events counted earlier: for each hit, remove `weight` (default 1) events recorded at
   * exactly `at` (the `now` of the `put` or `hit` that counted them) from its window, all in one
   * atomic step. A window
   * without such an event is left as it is. The core calls it when a send failed before anything
   * reached the person, so the failure costs them no budget.
   */
  release(hits: readonly RateHit[], at: number): Promise<void>;
  /** Remove the record at `key` (only if its id is `id`, when given). Returns whether one was removed. */
  delete(key: string, id?: string): Promise<boolean>;
}
