/**
 * Bounds how long an operation may take. One shared timer sweeps every pending operation, rather
 * than one timer per operation: arming and clearing a timer per call costs more than the store's
 * own work on a fast server. The timer runs only while operations are in flight (one idle tick
 * after the last), is `unref`'d, and rejects operations between `timeoutMs` and `timeoutMs + tick`.
 * `timeoutMs` 0 turns the bound off.
 */
export function deadline(timeoutMs: number, what: string) {
  if (!timeoutMs) return <T>(promise: Promise<T>) => promise;
  const tick = Math.max(10, Math.min(250, timeoutMs / 4));
  const pending = new Set<{ until: number; reject: (error: Error) => void }>();
  let timer: ReturnType<typeof setInterval> | undefined;
  const sweep = () => {
    const now = performance.now();
    for (const operation of pending) {
      if (operation.until > now) continue;
      pending.delete(operation);
      operation.reject(new Error(`${what} did not answer within ${timeoutMs} ms.`));
    }
    if (!pending.size) {
      clearInterval(timer);
      timer = undefined;
    }
  };
  return <T>(promise: Promise<T>) =>
    new Promise<T>((resolve, reject) => {
      const operation = { until: performance.now() + timeoutMs, reject };
      pending.add(operation);
      if (!timer) {
        timer = setInterval(sweep, tick);
        timer.unref?.();
      }
      promise.then(
        (value) => {
          pending.delete(operation);
          resolve(value);
        },
        (error) => {
          pending.delete(operation);
          reject(error);
        },
      );
    });
}
