/**
 * The shared store contract, races included, on Google's Firestore emulator (real transactions).
 *
 * Twice: once as one function instance (one client; its operations on the same documents queue
 * locally, the default), and once as two instances (two clients, operations dealt to them in
 * turn), so the races meet in Firestore's own transactions, which abort the losers and retry them.
 */
import type { Store } from "@otpkit/otp-core/store";
import { storeConformance } from "@otpkit/otp-core/testing";
import { Firestore } from "firebase-admin/firestore";
import { describe, expect, inject, it } from "vitest";
import { firestoreStore } from "../src/store";
import { freePort } from "./firestore-emulator";

const host = inject("firestoreHost");
const projectId = "demo-test";
// One collection per run and suite: files and reruns never see each other's documents.
const collection = (label: string) => `otpkit_${label}_${crypto.randomUUID().slice(0, 8)}`;
const concurrency = Number(process.env.FIRESTORE_CONFORMANCE_CONCURRENCY ?? 50);
const instanceConcurrency = Number(process.env.FIRESTORE_INSTANCES_CONCURRENCY ?? 20);

/**
 * A client of the emulator. Its host is given explicitly (`ssl: false` means "emulator" to the
 * client), so the unreachable store can point elsewhere: FIRESTORE_EMULATOR_HOST would override it.
 * `runs` counts transaction attempts (the SDK calls the body once per attempt).
 */
function client(address: string) {
  const firestore = new Firestore({ projectId, host: address, ssl: false });
  const counts = { transactions: 0, runs: 0 };
  const runTransaction = firestore.runTransaction.bind(firestore);
  firestore.runTransaction = ((body: (tx: unknown) => Promise<unknown>, options?: object) => {
    counts.transactions++;
    return runTransaction((tx) => {
      counts.runs++;
      return body(tx);
    }, options);
  }) as typeof firestore.runTransaction;
  return Object.assign(firestore, { counts });
}

const dumpOf = (firestore: Firestore, name: string) => async () => {
  const snapshot = await firestore.collection(name).get();
  return snapshot.docs.map((doc) => JSON.stringify({ id: doc.id, ...doc.data() }));
};

/** Deals operations to `stores` in turn, as a load balancer deals requests to function instances. */
function dealt(stores: Store[]): Store {
  let next = 0;
  const pick = () => stores[next++ % stores.length]!;
  return {
    name: "firestore",
    // Every instance judges shared logs: the suite's shared-log races run across them too.
    sharedLogs: stores.every((store) => store.sharedLogs),
    checkHits: stores.every((store) => store.checkHits),
    put: (key, record, options) => pick().put(key, record, options),
    check: (key, input) => pick().check(key, input),
    hit: (hits, now) => pick().hit(hits, now),
    release: (hits, at) => pick().release(hits, at),
    read: (key, now) => pick().read(key, now),
    delete: (key, id) => pick().delete(key, id),
  };
}

describe.skipIf(!host)("on the Firestore emulator", () => {
  describe("one instance", () => {
    const name = collection("one");
    let firestore: ReturnType<typeof client> | undefined;
    const shared = () => (firestore ??= client(host));
    storeConformance("firestore", {
      create: () => firestoreStore({ firestore: shared(), collection: name }),
      // Every document of the collection, with its id: no code or link token may be in any of them.
      dump: () => dumpOf(shared(), name)(),
      unreachable: async () => {
        // Never terminated: its calls keep retrying in the background until the run ends.
        const closed = client(`127.0.0.1:${await freePort()}`);
        return firestoreStore({ firestore: closed, collection: name, timeoutMs: 500 });
      },
      unreachableWithinMs: 2000,
      concurrency,
      teardown: () => firestore?.terminate(),
    });
  });

  describe("two instances racing through Firestore's transactions", () => {
    const name = collection("two");
    const clients: ReturnType<typeof client>[] = [];
    storeConformance("firestore (two instances)", {
      create: () => {
        clients.push(client(host), client(host));
        return dealt(clients.map((firestore) => firestoreStore({ firestore, collection: name })));
      },
      concurrency: instanceConcurrency,
    });

    it("really raced: Firestore aborted transactions and the SDK ran them again", async () => {
      const transactions = clients.reduce((sum, c) => sum + c.counts.transactions, 0);
      const runs = clients.reduce((sum, c) => sum + c.counts.runs, 0);
      console.log(`two instances: ${transactions} transactions, ${runs} runs`);
      expect(transactions).toBeGreaterThan(500);
      expect(runs).toBeGreaterThan(transactions);
      await Promise.all(clients.map((c) => c.terminate()));
    });
  });

  describe("without the local queue (queueLocally: false)", () => {
    it("concurrent checks of one code in one instance meet only in Firestore: exactly one approval", async () => {
      const firestore = client(host);
      const store = firestoreStore({ firestore, collection: collection("unqueued"), queueLocally: false });
      // Eight checks usually collide in Firestore at once, but on a loaded machine they can land
      // one after another and never race: run fresh rounds until one did (each round must still
      // approve exactly once), so that the race below is proven rather than hoped for.
      let raced = false;
      for (let round = 0; round < 10 && !raced; round++) {
        const key = `k_${crypto.randomUUID()}`;
        const now = Date.now();
        const record = {
          id: "ver_x",
          hash: "h",
          expiresAt: now + 60_000,
          attempts: 0,
          maxAttempts: 3,
          data: "{}",
        };
        await store.put(key, record, { now, retainUntil: now + 120_000 });
        const before = { runs: firestore.counts.runs, transactions: firestore.counts.transactions };
        const results = await Promise.all(
          Array.from({ length: 8 }, () => store.check(key, { hashes: ["h"], now: Date.now() })),
        );
        expect(results.filter((result) => result.status === "approved")).toHaveLength(1);
        expect(results.filter((result) => result.status === "not_found")).toHaveLength(7);
        // Nothing queued them: Firestore aborted the losers and the SDK ran them again.
        raced = firestore.counts.runs - before.runs > firestore.counts.transactions - before.transactions;
      }
      expect(raced).toBe(true);
      await firestore.terminate();
    });
  });
});
