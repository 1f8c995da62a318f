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
});
