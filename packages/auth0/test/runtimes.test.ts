/**
 * The built Actions on Node 22, Auth0's Actions runtime (`node22`), with deprecations thrown: the
 * rest of the suite runs on the build machines' Node 20. Node 22 comes from `pnpm runtimes` (which
 * `pnpm test` runs first); outside CI a missing one is skipped with a message, in CI it fails.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { type Sandbox, startSandbox } from "otpkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const node22 = join(import.meta.dirname, "../../../.runtimes/node_modules/node22/bin/node");
const present = existsSync(node22);
let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
});
afterAll(() => sandbox?.close());

describe("the built Actions on Node 22", () => {
  if (!present && !process.env.CI) {
    it.skip("node 22: not installed here (run `pnpm runtimes`)", () => {});
    return;
  }
  it("load with require and deliver, with every deprecation an error", async () => {
    expect(present, `${node22} is missing: CI must install it (pnpm runtimes)`).toBe(true);
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(
        node22,
        ["--throw-deprecation", join(import.meta.dirname, "runtimes/actions.cjs")],
        { timeout: 60_000, env: { ...process.env, SANDBOX_API_URL: sandbox.apiUrl } },
        (error, out, err) =>
          error ? reject(new Error(`node 22 failed: ${err || error.message}`)) : resolve(out),
      ),
    );
    const result = JSON.parse(stdout.trim().split("\n").at(-1)!);
    expect(result).toEqual({
      runtime: expect.stringMatching(/^node v22\./),
      provider: "sent",
      legacy: "sent",
      stepUp: "redirected",
    });
    expect(sandbox.messages.map((message) => [message.to, message.code]).sort()).toEqual([
      ["+14155550150", "604122"],
      ["+14155550151", "730214"],
    ]);
  });
});
