/**
 * Core runs unchanged on Node 20, 22 and 24, Deno and Bun: the same smoke script (send → wrong
 * code → right code → replay through createOtpHandler, on the Web Crypto build) on each runtime.
 * Deno and Bun come from the root devDependencies, Node 22/24 from `pnpm runtimes` (which
 * `pnpm test` runs first). Outside CI a missing runtime is skipped with a message; in CI it fails.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "../../..");
const smoke = join(import.meta.dirname, "runtimes/smoke.mjs");
const runtimes: Array<[name: string, command: string, args: string[]]> = [
  ["node 20 (this process)", process.execPath, [smoke]],
  ["node 22", join(root, ".runtimes/node_modules/node22/bin/node"), [smoke]],
  ["node 24", join(root, ".runtimes/node_modules/node24/bin/node"), [smoke]],
  // Read for the script and its packages, env for NODE_ENV lookups; no network, no write.
  ["deno", join(root, "node_modules/.bin/deno"), ["run", "--allow-read", "--allow-env", smoke]],
  ["bun", join(root, "node_modules/.bin/bun"), [smoke]],
];

describe("core on every runtime", () => {
  for (const [name, command, args] of runtimes) {
    const present = existsSync(command);
    if (!present && !process.env.CI) {
      it.skip(`${name}: not installed here (run \`pnpm runtimes\`, or \`pnpm install\` for deno and bun)`, () => {});
      continue;
    }
    it(`${name}: send → verify through createOtpHandler on the Web Crypto build`, async () => {
      expect(present, `${command} is missing: CI must install every runtime`).toBe(true);
      const stdout = await new Promise<string>((resolve, reject) =>
        execFile(
          command,
          args,
          { cwd: join(import.meta.dirname, ".."), timeout: 60_000, env: { ...process.env, NO_COLOR: "1" } },
          (error, out, err) =>
            error ? reject(new Error(`${name} failed: ${err || error.message}`)) : resolve(out),
        ),
      );
      const result = JSON.parse(stdout.trim().split("\n").at(-1)!);
      expect(result).toMatchObject({ ok: true, sent: 200, wrong: 422, checked: 200, again: 404 });
      const version = /^node (\d+)/.exec(name)?.[1];
      expect(result.runtime).toMatch(version ? new RegExp(`^node v${version}\\.`) : new RegExp(`^${name} `));
    });
  }
});
