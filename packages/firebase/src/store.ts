/**
 * `@otpkit/firebase/store`: an otpkit `Store` on Cloud Firestore. Each operation is ONE Firestore
 * transaction (`runTransaction`): its reads and writes commit together or not at all, and a
 * transaction that lost a race is retried by the SDK on current data. So concurrent checks of one
 * code approve it once, no wrong guess is lost, and no rate window lets more through than its limit.
 *
 *   import { getFirestore } from "firebase-admin/firestore";
 *   import { firestoreStore } from "@otpkit/firebase/store";
 *   const store = firestoreStore({ firestore: getFirestore() });
 *
 * Layout: one collection (default `otpkit`) with two kinds of documents, so one TTL policy on one
 * field (`expireAt`) cleans up both:
 *
 *   c:<key>   a pending code: id, hash, linkHash?, expiresAt, attempts, maxAttempts, data, retainUntil
 *   w:<key>   a rate window: times (epoch ms of the events still inside it, oldest first)
 *
 * Every document carries `expireAt` (a Timestamp). Reads treat a document past it as absent, so the
 * store is correct whenever Firestore's TTL sweep (typically within 24 h) actually deletes it.
 * No document ever holds a code: only HMACs (`hash`, `linkHash`) keyed with the app's secret.
 */
import {
  type CheckInput,
  type CheckResult,
  constantTimeEqual,
  deadline,
  failedOnce,
  type HitResult,
  longestWindow,
  type OtpRecord,
  type PutOptions,
  type PutResult,
  type RateHit,
  type Store,
  waitFor,
} from "@otpkit/otp-core/store";
import type {
  DocumentData,
  DocumentReference,
  DocumentSnapshot,
  Firestore,
  Transaction,
} from "firebase-admin/firestore";

export interface FirestoreStoreOptions {
  /**
   * The Firestore client: `getFirestore()` from `firebase-admin/firestore` (or a `Firestore` from
   * `@google-cloud/firestore`). Against the emulator, set `FIRESTORE_EMULATOR_HOST`.
   */
  firestore: Firestore;
  /**
   * The collection holding pending codes (`c:…`) and rate windows (`w:…`). Give it a TTL policy
   * on the field `expireAt` (see the README). Default: `"otpkit"`.
   */
  collection?: string;
  /**
   * Milliseconds an operation may take, the SDK's retries of a contended transaction included,
   * before it fails (the core answers `store_unavailable`). Firestore's own client keeps retrying
   * an unreachable server for much longer; a callable must answer within its timeout. `0` turns the
   * bound off. Default: `10000`.
   */
  timeoutMs?: number;
  /**
   * How many times one operation's transaction may run when it keeps losing races for the same
   * documents (hot rate windows: one IP, one number range, a global budget). The SDK backs off
   * between runs (about 1 s, then ×1.5), so `timeoutMs` usually ends a contended operation first.
   * Default: `20`.
   */
  maxAttempts?: number;
  /**
   * Run this process's operations on the same documents one after another instead of letting
   * them race on the server. A Cloud Functions v2 instance serves up to 80 requests at once, and
   * they share hot documents (one IP's window, a global budget): Firestore would make all but one
   * of each such group lose, back off a second or more and retry. Waiting locally costs one
   * transaction's time (milliseconds) instead. Correctness never depends on it: operations from
   * other instances still meet in Firestore's transactions. Default: `true`.
   */
  queueLocally?: boolean;
}

/** What a record document holds (the record's fields, its retention, the TTL field). */
interface RecordDoc extends OtpRecord {
  retainUntil: number;
}

/**
 * Firestore refuses `/` in document ids (IPv6 keys end in `/64`); `%` is escaped first so the
 * mapping stays one-to-one. Every id starts with `c:`, `w:` or `f:` (a consecutive-failure counter),
 * so none can be `.`, `..` or `__…__`.
 */
const docId = (kind: "c" | "w" | "f", key: string) =>
  `${kind}:${key.replaceAll("%", "%25").replaceAll("/", "%2F")}`;

/** A record from its document, or `null` when absent or past its retention. */
function liveRecord(snapshot: DocumentSnapshot, now: number): OtpRecord | null {
  const doc = snapshot.data() as RecordDoc | undefined;
  if (!doc || doc.retainUntil <= now) return null;
  const record: OtpRecord = {
    id: doc.id,
    hash: doc.hash,
    expiresAt: doc.expiresAt,
    attempts: doc.attempts,
    maxAttempts: doc.maxAttempts,
    data: doc.data,
  };
  if (doc.linkHash !== undefined) record.linkHash = doc.linkHash;
  return record;
}

const recordDoc = (record: OtpRecord, retainUntil: number): DocumentData => ({
  ...record,
  retainUntil,
  // The TTL field: Firestore's TTL policies need a Timestamp (a Date is stored as one).
  expireAt: new Date(retainUntil),
});

/** The stored event times of a window document (absent or past its TTL: none). */
function storedTimes(snapshot: DocumentSnapshot, now: number): number[] {
  const doc = snapshot.data() as { times?: number[]; expireAt?: { toMillis(): number } } | undefined;
  if (!doc?.times || (doc.expireAt && doc.expireAt.toMillis() <= now)) return [];
  return doc.times;
}

/** Window keys in first-seen order, each once (two rules may name one key), tripwire windows included. */
const uniqueKeys = (hits: readonly RateHit[]) => [
  ...new Set([...hits.map((hit) => hit.key), ...hits.flatMap((hit) => (hit.ratio ? [hit.ratio.key] : []))]),
];

/**
 * Decides a batch of rate hits on the windows just read: the refusing rule that waits longest (the
 * first of equals), or, when every rule has room, each window's new event log. One event per rule;
 * a key named by several rules is trimmed by the longest of their windows.
 */
function countHits(
  hits: readonly RateHit[],
  windows: ReadonlyMap<string, number[]>,
  now: number,
): { refused: { key: string; retryAfterMs: number } } | { refused: null; grown: Map<string, number[]> } {
  let refused: { key: string; retryAfterMs: number } | null = null;
  const refuse = (key: string, retryAfterMs: number) => {
    if (!refused || retryAfterMs > refused.retryAfterMs) refused = { key, retryAfterMs };
  };
  for (const hit of hits) {
    const from = now - hit.windowMs;
    // Every rule of the hit (its own and a shared log's `also`) judges the events inside its window.
    const kept = windows.get(hit.key)!.filter((time) => time > now - longestWindow(hit));
    const wait = waitFor(kept, hit, now);
    if (wait >= 0) refuse(hit.key, wait);
    const live = hit.ratio ? kept.filter((time) => time > from) : kept;
    if (hit.ratio && live.length >= hit.ratio.minEvents) {
      const verified = windows.get(hit.ratio.key)!.filter((time) => time > from).length;
      if (verified < hit.ratio.minRatio * live.length) refuse(hit.key, live[0]! + hit.windowMs - now);
    }
  }
  if (refused) return { refused };
  const longest = new Map<string, number>();
  for (const hit of hits) longest.set(hit.key, Math.max(longest.get(hit.key) ?? 0, longestWindow(hit)));
  // (Tripwire windows are only read here: they are not in `longest`, so nothing is written to them.)
  const grown = new Map<string, number[]>();
  for (const [key, windowMs] of longest) {
    grown.set(
      key,
      windows.get(key)!.filter((time) => time > now - windowMs),
    );
  }
  for (const hit of hits) for (let i = 0; i < (hit.weight ?? 1); i++) insertSorted(grown.get(hit.key)!, now);
  return { refused: null, grown };
}

/** Keeps a window's log in time order even when callers' clocks interleave. */
function insertSorted(times: number[], time: number): void {
  let at = times.length;
  while (at > 0 && times[at - 1]! > time) at--;
  times.splice(at, 0, time);
}

/**
 * Runs tasks one after another per document path, a task waiting for every earlier task that
 * shares a path with it. A task's paths are all claimed at once, when it is queued, so a task only
 * ever waits for tasks queued before it: no cycle, no deadlock, whatever the order of the paths.
 */
function keyedQueue() {
  const tails = new Map<string, Promise<unknown>>();
  return <T>(paths: readonly string[], task: () => Promise<T>): Promise<T> => {
    const before = new Set<Promise<unknown>>();
    for (const path of paths) {
      const tail = tails.get(path);
      if (tail) before.add(tail);
    }
    const result = before.size ? Promise.all(before).then(task) : task();
    // A failure is the caller's to see; the queue only needs to know the task is over.
    const done = result.then(
      () => undefined,
      () => undefined,
    );
    for (const path of paths) tails.set(path, done);
    void done.then(() => {
      for (const path of paths) if (tails.get(path) === done) tails.delete(path);
    });
    return result;
  };
}

/**
 * A `Store` on Firestore: put, check, hit, release and delete are one transaction each. Costs
 * (document reads / writes, billed by Firestore): a send's `put` reads the record and each of its
 * rate windows (one document per subject: its hour and day rules share one, `sharedLogs`) and
 * writes as many; a verify's `check` reads 1 and writes 1 (or 0 when nothing is pending), plus its
 * requester's windows (`CheckInput.hits`, per-IP verifications: read, and written unless
 * refused). See the README for indexes and the TTL policy.
 */
export function firestoreStore(options: FirestoreStoreOptions) {
  const { firestore } = options;
  const collection = firestore.collection(options.collection ?? "otpkit");
  const bounded = deadline(options.timeoutMs ?? 10_000, "Firestore");
  const maxAttempts = options.maxAttempts ?? 20;
  const record = (key: string) => collection.doc(docId("c", key));
  const window = (key: string) => collection.doc(docId("w", key));

  const queue = options.queueLocally === false ? undefined : keyedQueue();
  /**
   * Runs `body` as one transaction, within the time bound. Once the bound has given up on it, a
   * retry of the transaction stops before writing, so an operation reported as failed does not
   * take effect later (a commit already in flight may still land).
   */
  const transaction = <T>(paths: readonly string[], body: (tx: Transaction) => Promise<T>): Promise<T> => {
    let abandoned = false;
    const run = () =>
      firestore.runTransaction(
        (tx) => {
          if (abandoned)
            return Promise.reject(new Error("Firestore operation abandoned after its time bound."));
          return body(tx);
        },
        { maxAttempts },
      );
    const queued = () =>
      abandoned ? Promise.reject(new Error("Firestore operation abandoned after its time bound.")) : run();
    return bounded(queue ? queue(paths, queued) : run()).catch((error: unknown) => {
      abandoned = true;
      throw error;
    });
  };

  /** Reads the record (when given) and the windows of `keys` in one round trip. */
  const read = async (tx: Transaction, recordKey: string | null, keys: readonly string[], now: number) => {
    const refs: DocumentReference[] = keys.map(window);
    if (recordKey !== null) refs.unshift(record(recordKey));
    const snapshots = refs.length ? await tx.getAll(...refs) : [];
    const current = recordKey === null ? null : liveRecord(snapshots.shift()!, now);
    const windows = new Map<string, number[]>();
    for (const [i, key] of keys.entries()) windows.set(key, [...storedTimes(snapshots[i]!, now)]);
    return { current, windows };
  };

  /** Writes grown windows; each lives until its newest event has left its longest window. */
  const writeWindows = (tx: Transaction, grown: Map<string, number[]>, hits: readonly RateHit[]) => {
    for (const [key, times] of grown) {
      let windowMs = 0;
      for (const hit of hits) if (hit.key === key) windowMs = Math.max(windowMs, longestWindow(hit));
      tx.set(window(key), { times, expireAt: new Date(times[times.length - 1]! + windowMs) });
    }
  };

  return {
    name: "firestore",
    sharedLogs: true,
    checkHits: true,

    put(
      key: string,
      value: OtpRecord,
      { now, retainUntil, hits = [], ifId, carry }: PutOptions,
    ): Promise<PutResult> {
      const keys = uniqueKeys(hits);
      return transaction([docId("c", key), ...keys.map((k) => docId("w", k))], async (tx) => {
        const { current, windows } = await read(tx, key, keys, now);
        if (ifId !== undefined && current?.id !== ifId) return { ok: true, previous: current };
        if (hits.length) {
          const counted = countHits(hits, windows, now);
          if (counted.refused) return { ok: false, ...counted.refused };
          writeWindows(tx, counted.grown, hits);
        }
        const written = { ...value };
        if (carry && current && now < current.expiresAt && current.attempts < current.maxAttempts) {
          // Resend policy "carry": the new code inherits the pending code's attempts and expiry.
          written.attempts = current.attempts;
          written.expiresAt = Math.min(written.expiresAt, current.expiresAt);
        }
        tx.set(record(key), recordDoc(written, retainUntil));
        return { ok: true, previous: current };
      });
    },

    check(
      key: string,
      { id, hashes, now, failures: rules = [], hits = [] }: CheckInput,
    ): Promise<CheckResult> {
      const counterRefs = rules.map((rule) => collection.doc(docId("f", rule.key)));
      const windowKeys = uniqueKeys(hits);
      const windowRefs = windowKeys.map(window);
      return transaction(
        [
          docId("c", key),
          ...rules.map((rule) => docId("f", rule.key)),
          ...windowKeys.map((k) => docId("w", k)),
        ],
        async (tx): Promise<CheckResult> => {
          const ref = record(key);
          // The record, the failure counters and the hits' windows in one read: the whole check is
          // one transaction.
          const snapshots = await tx.getAll(ref, ...counterRefs, ...windowRefs);
          const snapshot = snapshots[0];
          // The requester's budget first (`CheckInput.hits`): a refusal writes nothing and looks at
          // nothing else; otherwise the windows are counted whatever the verdict below, locked
          // included, in this same transaction.
          if (hits.length) {
            const windows = new Map<string, number[]>();
            windowKeys.forEach((k, i) => {
              windows.set(k, [...storedTimes(snapshots[1 + rules.length + i]!, now)]);
            });
            const counted = countHits(hits, windows, now);
            if (counted.refused) return { status: "limited", ...counted.refused };
            writeWindows(tx, counted.grown, hits);
          }
          const counters = snapshots.slice(1, 1 + rules.length).map((counter) => {
            const doc = counter!.data() as
              | { count: number; lockedUntil: number; expiresAt: number }
              | undefined;
            return doc && doc.expiresAt > now ? doc : undefined;
          });
          let refusing = 0;
          for (const counter of counters)
            if (counter && counter.lockedUntil > now)
              refusing = Math.max(refusing, counter.lockedUntil - now);
          if (refusing > 0) return { status: "locked", retryAfterMs: refusing };
          const current = liveRecord(snapshot!, now);
          if (!current || (id !== undefined && current.id !== id)) return { status: "not_found" };
          if (now >= current.expiresAt) return { status: "expired" };
          if (current.attempts >= current.maxAttempts) return { status: "too_many_attempts" };
          let match = false;
          for (const hash of hashes) {
            // Non-short-circuit on purpose: every candidate is compared, matched or not.
            const codeMatches = constantTimeEqual(hash, current.hash);
            const linkMatches = current.linkHash !== undefined && constantTimeEqual(hash, current.linkHash);
            match = codeMatches || linkMatches || match;
          }
          if (match) {
            tx.delete(ref);
            for (const counterRef of counterRefs) tx.delete(counterRef);
            return { status: "approved", record: current };
          }
          rules.forEach((rule, i) => {
            const next = failedOnce(rule, counters[i], now);
            tx.set(counterRefs[i]!, { ...next, expireAt: new Date(next.expiresAt) });
          });
          const attempts = current.attempts + 1;
          tx.update(ref, { attempts });
          const attemptsLeft = current.maxAttempts - attempts;
          return attemptsLeft > 0 ? { status: "invalid", attemptsLeft } : { status: "too_many_attempts" };
        },
      );
    },

    hit(hits: readonly RateHit[], now: number): Promise<HitResult> {
      if (!hits.length) return Promise.resolve({ ok: true });
      const keys = uniqueKeys(hits);
      return transaction(
        keys.map((k) => docId("w", k)),
        async (tx): Promise<HitResult> => {
          const { windows } = await read(tx, null, keys, now);
          const counted = countHits(hits, windows, now);
          if (counted.refused) return { ok: false, ...counted.refused };
          writeWindows(tx, counted.grown, hits);
          return { ok: true };
        },
      );
    },

    release(hits: readonly RateHit[], at: number): Promise<void> {
      if (!hits.length) return Promise.resolve();
      const keys = uniqueKeys(hits);
      return transaction(
        keys.map((k) => docId("w", k)),
        async (tx) => {
          const refs = keys.map(window);
          const snapshots = await tx.getAll(...refs);
          keys.forEach((key, i) => {
            const snapshot = snapshots[i]!;
            const times: number[] | undefined = snapshot.get("times");
            if (!times) return;
            let removed = 0;
            for (const hit of hits) {
              if (hit.key !== key) continue;
              // The newest matching events: the ones this operation counted, or indistinguishable from them.
              for (let left = hit.weight ?? 1; left > 0; left--) {
                const index = times.lastIndexOf(at);
                if (index < 0) break;
                times.splice(index, 1);
                removed++;
              }
            }
            if (!removed) return;
            // The TTL stays as it was: it already covers every event that is left.
            if (times.length) tx.update(refs[i]!, { times });
            else tx.delete(refs[i]!);
          });
        },
      );
    },

    read(key: string, now: number): Promise<OtpRecord | null> {
      // A plain read (no transaction): nothing is changed, and one snapshot is consistent.
      return bounded(record(key).get()).then((snapshot) => liveRecord(snapshot, now));
    },

    delete(key: string, id?: string): Promise<boolean> {
      return transaction([docId("c", key)], async (tx) => {
        const ref = record(key);
        const current = liveRecord(await tx.get(ref), Date.now());
        if (!current || (id !== undefined && current.id !== id)) return false;
        tx.delete(ref);
        return true;
      });
    },
  } satisfies Store & Record<string, unknown>;
}

export type FirestoreStore = ReturnType<typeof firestoreStore>;
