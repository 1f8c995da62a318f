// Paired, interleaved measurement shared by the benchmarks. This machine's speed drifts by far
// more than the differences measured (other processes on two cores, CPU frequency), so every
// figure is cut into short slices and the variants take turns slice by slice: each sees the same
// mix of fast and slow moments. A turn is `slicesPerTurn` slices of every variant; a variant's
// figure is its total operations over its total time, and every ratio is also shown as the range
// of its per-turn ratios, so the noise is printed rather than hidden in a best-of.

/**
 * @typedef {object} Variant
 * @property {string} name
 * @property {(deadline: number) => Promise<number | { ops: number }>} slice
 *   Runs operations until `performance.now() >= deadline` (checking between operations) and
 *   returns how many completed (or an object with `ops` and any figures to sum per turn).
 * @property {() => Promise<void>} [between] Untimed work before a slice (refilling a pool).
 */

/**
 * @param {Variant[]} variants
 * @param {{ turns?: number, slicesPerTurn?: number, sliceMs?: number, warmupTurns?: number }} [options]
 * @returns {Promise<Map<string, Array<Record<string, number>>>>} per variant, per turn: `ops`,
 *   `ms`, `perSecond` and the sum of any other numeric field the slices returned.
 */
export async function interleave(variants, options = {}) {
  const { turns = 6, slicesPerTurn = 8, sliceMs = 25, warmupTurns = 1 } = options;
  const results = new Map(variants.map((variant) => [variant.name, []]));
  for (let turn = -warmupTurns; turn < turns; turn++) {
    const totals = new Map(variants.map((variant) => [variant.name, { ops: 0, ms: 0 }]));
    for (let slice = 0; slice < slicesPerTurn; slice++) {
      // Alternate the order, so that no variant always runs right after the same other one.
      const order = slice % 2 ? [...variants].reverse() : variants;
      for (const variant of order) {
        await variant.between?.();
        const started = performance.now();
        const outcome = await variant.slice(started + sliceMs);
        const total = totals.get(variant.name);
        total.ms += performance.now() - started;
        const figures = typeof outcome === "number" ? { ops: outcome } : outcome;
        for (const [key, value] of Object.entries(figures)) total[key] = (total[key] ?? 0) + value;
      }
    }
    if (turn < 0) continue;
    for (const variant of variants) {
      const total = totals.get(variant.name);
      results.get(variant.name).push({ ...total, perSecond: total.ops / (total.ms / 1000) });
    }
  }
  return results;
}

/** Total operations over total time of a variant's turns. */
export const rate = (turns) =>
  turns.reduce((sum, turn) => sum + turn.ops, 0) / (turns.reduce((sum, turn) => sum + turn.ms, 0) / 1000);

/** `a ÷ b` overall, with the range of the per-turn ratios. */
export function ratio(a, b) {
  const perTurn = a.map((turn, index) => turn.perSecond / b[index].perSecond);
  return {
    value: rate(a) / rate(b),
    low: Math.min(...perTurn),
    high: Math.max(...perTurn),
    text() {
      return `${this.value.toFixed(2)}× (turns ${this.low.toFixed(2)}–${this.high.toFixed(2)})`;
    },
  };
}

export const format = (n) => Math.round(n).toLocaleString("en-US");
