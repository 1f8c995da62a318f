/**
 * Sliding-log arithmetic shared by the stores that judge in JavaScript (memory, Firestore): a
 * `RateHit`'s rules (its own and `also`) on one log of event times, oldest first.
 */
import type { RateHit, WindowRule } from "./store.js";

/** Every rule of a hit: its own, then `also`. */
export const windowRules = (hit: RateHit): readonly WindowRule[] =>
  hit.also?.length ? [hit, ...hit.also] : [hit];

/** How long the hit's log must keep an event: its longest window. */
export function longestWindow(hit: RateHit): number {
  let longest = hit.windowMs;
  if (hit.also) for (const rule of hit.also) if (rule.windowMs > longest) longest = rule.windowMs;
  return longest;
}

/**
 * Milliseconds until `weight` more events fit under every rule of `hit`, or `-1` when they fit
 * now. `times` are the log's events (oldest first) still inside its longest window, from index
 * `head` on (default 0: the memory store leaves dropped events before `head`). Per rule: the
 * events inside its window are the newest ones; the oldest of those leave first, and enough must
 * leave for the weight to fit (a weight above the limit waits a whole window).
 */
export function waitFor(
  times: readonly number[],
  hit: RateHit,
  now: number,
  weight = hit.weight ?? 1,
  head = 0,
): number {
  // The hit's own rule, then `also`, without building an array of them (this runs for every hit).
  let wait = ruleWait(times, head, hit, now, weight);
  if (hit.also)
    for (const rule of hit.also) {
      const ruleWaitMs = ruleWait(times, head, rule, now, weight);
      if (ruleWaitMs > wait) wait = ruleWaitMs;
    }
  return wait;
}

/** `waitFor` for one rule of the log: milliseconds until `weight` more events fit, or `-1`. */
function ruleWait(
  times: readonly number[],
  head: number,
  rule: WindowRule,
  now: number,
  weight: number,
): number {
  const from = now - rule.windowMs;
  // The first event inside the window, by binary search over the sorted log: a walk back from the
  // newest would cost the whole window's count (a country's tripwire log holds every send).
  let first = head;
  let after = times.length;
  while (first < after) {
    const middle = (first + after) >>> 1;
    if (times[middle]! > from) after = middle;
    else first = middle + 1;
  }
  const inside = times.length - first;
  if (inside + weight <= rule.limit) return -1;
  const mustLeave = inside + weight - rule.limit;
  return mustLeave <= inside ? times[first + mustLeave - 1]! + rule.windowMs - now : rule.windowMs;
}
