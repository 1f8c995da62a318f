import { describe, expect, it } from "vitest";
import { deadline } from "./deadline.js";

describe("deadline", () => {
  it("passes results and errors through", async () => {
    const bounded = deadline(1000, "Store");
    await expect(bounded(Promise.resolve(42))).resolves.toBe(42);
    await expect(bounded(Promise.reject(new Error("boom")))).rejects.toThrow("boom");
  });

  it("rejects an operation that outlives its budget, promptly", async () => {
    const bounded = deadline(100, "Store");
    const started = Date.now();
    await expect(bounded(new Promise(() => {}))).rejects.toThrow("Store did not answer within 100 ms.");
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it("is off with a budget of 0", async () => {
    const bounded = deadline(0, "Store");
    const never = new Promise<number>(() => {});
    expect(bounded(never)).toBe(never);
  });

  for (const timeoutMs of [0, 1000]) {
    it(`maps the value, and a throwing map rejects (timeoutMs ${timeoutMs})`, async () => {
      const bounded = deadline(timeoutMs, "Store");
      await expect(bounded(Promise.resolve(20), (value) => value * 2)).resolves.toBe(40);
      const failing = bounded(Promise.resolve(1), () => {
        throw new Error("bad reply");
      });
      await expect(failing).rejects.toThrow("bad reply");
    });

    it(`lets recover retry a rejection, or pass it through (timeoutMs ${timeoutMs})`, async () => {
      const bounded = deadline(timeoutMs, "Store");
      const seen: unknown[] = [];
      const retry = (error: unknown) => {
        seen.push(error);
        return (error as Error).message === "NOSCRIPT" ? Promise.resolve(7) : undefined;
      };
      await expect(bounded(Promise.reject(new Error("NOSCRIPT")), (v) => v + 1, retry)).resolves.toBe(8);
      await expect(bounded(Promise.reject(new Error("other")), (v) => v, retry)).rejects.toThrow("other");
      expect(seen).toHaveLength(2);
    });
  }

  it("bounds a retry by the same budget", async () => {
    const bounded = deadline(100, "Store");
    const started = Date.now();
    const hanging = bounded(Promise.reject(new Error("retry me")), undefined, () => new Promise(() => {}));
    await expect(hanging).rejects.toThrow("Store did not answer within 100 ms.");
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it("keeps rejecting late operations after the timer went idle and restarted", async () => {
    const bounded = deadline(40, "Store");
    await expect(bounded(Promise.resolve(1))).resolves.toBe(1);
    // Long enough for the timer to see nothing in flight and stop.
    await new Promise((resolve) => setTimeout(resolve, 150));
    const started = Date.now();
    await expect(bounded(new Promise(() => {}))).rejects.toThrow("within 40 ms");
    expect(Date.now() - started).toBeGreaterThanOrEqual(39);
    // Many settled operations in between never reject late.
    const quick = await Promise.all(Array.from({ length: 1000 }, (_, i) => bounded(Promise.resolve(i))));
    expect(quick[999]).toBe(999);
  });

  it("rejects with what a throwing recover threw, without waiting for the budget", async () => {
    const bounded = deadline(60_000, "Store");
    const failing = bounded(Promise.reject(new Error("first")), undefined, () => {
      throw new Error("recover broke");
    });
    await expect(failing).rejects.toThrow("recover broke");
  });
});
