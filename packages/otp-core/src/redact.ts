/**
 * Removes secrets (codes, magic-link tokens) from an error and everything it wraps — `message`,
 * `stack`, string causes, `AggregateError.errors`, and the string properties SDKs add (`body`,
 * `response`…) — in place, so that no logger that prints the chain can print a code.
 */
const marker = "[redacted]";

export function redact(error: unknown, secrets: readonly string[]): void {
  const words = secrets.filter((secret) => secret.length >= 4);
  if (!words.length) return;
  const seen = new Set<unknown>();
  const scrub = (text: string) => {
    let out = text;
    for (const word of words) out = out.replaceAll(word, marker);
    return out;
  };
  const walk = (value: unknown, depth: number) => {
    if (depth > 8 || typeof value !== "object" || value === null || seen.has(value)) return;
    seen.add(value);
    const target = value as Record<string, unknown>;
    for (const name of [...Object.getOwnPropertyNames(target), "message", "stack"]) {
      let current: unknown;
      try {
        current = target[name];
      } catch {
        continue;
      }
      if (typeof current === "string") {
        const clean = scrub(current);
        if (clean !== current) {
          try {
            Object.defineProperty(target, name, { value: clean, writable: true, configurable: true });
          } catch {
            // A frozen or exotic property: nothing more we can do for it.
          }
        }
      } else if (name === "cause" || name === "errors" || typeof current === "object") {
        if (Array.isArray(current)) for (const item of current) walk(item, depth + 1);
        else walk(current, depth + 1);
      }
    }
  };
  walk(error, 0);
}
