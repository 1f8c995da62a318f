/**
 * A bounded operation: `bounded(promise)` settles like `promise`, or rejects once the budget is
 * spent. `bounded(promise, map)` also maps the value, so a store can turn a reply into its result
 * in the same step (an `async` wrapper around the call would cost one more promise per operation).
 * `recover`, when given, sees a rejection first and may return a promise to wait for instead (a
 * retry), within the same budget; returning `undefined` lets the rejection through.
 */
export type Bounded = <T, R = T>(
  promise: Promise<T>,
  map?: (value: T) => R,
  recover?: (error: unknown) => Promise<T> | undefined,
) => Promise<R>;

/**
 * Bounds how long an operation may take, for stores: a server that stops answering must turn into
 * `store_unavailable` promptly, whatever the client's own retry settings.
 *
 * Why not one timer per operation: on a fast server, arming and clearing a timer (or even reading
 * the clock) per call costs about as much as the store's own work. Instead one shared timer ticks
 * every `tick` ms while operations are in flight and keeps one bucket per tick: an operation takes
 * the next slot of the current bucket (an array push: no clock read, no hashing) and empties its
 * slot when it settles, so nothing it returned stays referenced. Each tick opens a new bucket and
 * rejects whatever is still in the one that has now been open for longer than the budget. So an
 * operation is rejected between `timeoutMs` and `timeoutMs + tick` after it started. The timer is
 * `unref`'d and stops when nothing is in flight. `timeoutMs` 0 turns the bound off.
 */
export interface DeadlineWatch {
  /** An operation ran out of time (the server may be gone without a reset). */
  expired(): void;
  /** An operation was answered (value or error): the connection is alive. */
  answered(): void;
}

export function deadline(timeoutMs: number, what: string, watch?: DeadlineWatch): Bounded {
  if (!timeoutMs) {
    return <T, R = T>(
      promise: Promise<T>,
      map?: (value: T) => R,
      recover?: (error: unknown) => Promise<T> | undefined,
    ) => {
      const settled = recover
        ? promise.then(undefined, (error: unknown) => recover(error) ?? Promise.reject(error))
        : promise;
      return (map ? settled.then(map) : settled) as Promise<R>;
    };
  }
  const tick = Math.max(10, Math.min(250, timeoutMs / 4));
  // A bucket opened at tick k is rejected at tick k + ticks + 1: its operations started after tick
  // k, so each has had at least `ticks * tick >= timeoutMs`.
  const ticks = Math.ceil(timeoutMs / tick);
  type Reject = ((error: Error) => void) | undefined;
  let current: Reject[] = [];
  let buckets: Reject[][] = [current];
  let inFlight = 0;
  let timer: ReturnType<typeof setInterval> | undefined;

  const sweep = () => {
    if (!inFlight) {
      clearInterval(timer);
      timer = undefined;
      current = [];
      buckets = [current];
      return;
    }
    current = [];
    buckets.push(current);
    if (buckets.length <= ticks + 1) return;
    const expired = buckets.shift() as Reject[];
    for (let slot = 0; slot < expired.length; slot++) {
      const reject = expired[slot];
      if (!reject) continue;
      expired[slot] = undefined;
      inFlight--;
      watch?.expired();
      reject(new Error(`${what} did not answer within ${timeoutMs} ms.`));
    }
  };

  return <T, R = T>(
    promise: Promise<T>,
    map?: (value: T) => R,
    recover?: (error: unknown) => Promise<T> | undefined,
  ) =>
    new Promise<R>((resolve, reject) => {
      const bucket = current;
      const slot = bucket.push(reject) - 1;
      inFlight++;
      if (!timer) {
        timer = setInterval(sweep, tick);
        timer.unref?.();
      }
      const onValue = (value: T) => {
        // An empty slot: the deadline already rejected this operation.
        if (!bucket[slot]) return;
        bucket[slot] = undefined;
        inFlight--;
        watch?.answered();
        if (!map) return resolve(value as unknown as R);
        try {
          resolve(map(value));
        } catch (error) {
          reject(error as Error);
        }
      };
      const onError = (error: Error) => {
        if (!bucket[slot] || !recover) return onFinalError(error);
        let retry: Promise<T> | undefined;
        try {
          retry = recover(error);
        } catch (thrown) {
          // A throwing recover must not leave the operation to hang until the deadline.
          return onFinalError(thrown as Error);
        }
        if (retry) return void retry.then(onValue, onFinalError);
        onFinalError(error);
      };
      const onFinalError = (error: Error) => {
        if (!bucket[slot]) return;
        bucket[slot] = undefined;
        inFlight--;
        watch?.answered();
        reject(error);
      };
      promise.then(onValue, onError);
    });
}
