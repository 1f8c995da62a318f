#!/usr/bin/env node
/**
 * `pnpm otpkit <command>` from a clone: builds the CLI and what it needs (turbo; cached after the
 * first time, and quiet unless the build fails), then runs it in this process — so its signals,
 * output and exit code are the CLI's own. `OTPKIT_SKIP_BUILD=1` runs what is built (tests do, so
 * that they never rewrite dist/ under other tests).
 */
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";

const turbo = createRequire(import.meta.url).resolve("turbo/bin/turbo");
// biome-ignore lint/suspicious/noUndeclaredEnvVars: read by this launcher only, never by a turbo task.
const build = process.env.OTPKIT_SKIP_BUILD
  ? { status: 0, stdout: "", stderr: "" }
  : spawnSync(process.execPath, [turbo, "run", "build", "--filter=otpkit...", "--output-logs=errors-only"], {
      cwd: new URL("..", import.meta.url),
      encoding: "utf8",
      env: { ...process.env, TURBO_NO_UPDATE_NOTIFIER: "1" },
    });
if (build.status !== 0) {
  process.stderr.write(build.stdout + build.stderr);
  console.error("otpkit: the build failed (above).");
  process.exit(1);
}
await import("../packages/cli/dist/cli.js");
