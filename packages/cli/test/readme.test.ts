/**
 * The root README's commands, run as a reader would: the "core in 20 lines" block, extracted from
 * README.md and run with Node against the built core and a real sandbox (so the README cannot
 * drift from the API), and `pnpm otpkit sandbox` from the repository root, stopped with Ctrl-C.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "../src/sandbox.js";
import { wrongCode } from "./helpers.js";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const readme = readFileSync(`${root}README.md`, "utf8");
// Inside packages/cli, so that `@otpkit/otp-core` resolves as it does for an app that installed it.
const scratch = fileURLToPath(new URL("../.readme-snippet/", import.meta.url));

/** The first ```js block under the heading. */
function snippetUnder(heading: string): string {
  const section = readme.slice(readme.indexOf(`## ${heading}`));
  const block = /```js\n([\s\S]*?)```/.exec(section.slice(0, section.indexOf("\n## ", 3)));
  if (!block) throw new Error(`README.md has no js block under "## ${heading}".`);
  return block[1]!;
}

interface Run {
  child: ChildProcess;
  output: () => string;
  exit: Promise<number | null>;
  waitFor(pattern: RegExp, ms?: number): Promise<void>;
}

function run(
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; detached?: boolean },
): Run {
  const child = spawn(command, args, { ...options, stdio: ["pipe", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    child,
    output: () => output,
    exit,
    waitFor: async (pattern, ms = 15_000) => {
      const deadline = Date.now() + ms;
      while (!pattern.test(output)) {
        if (child.exitCode !== null) throw new Error(`exited before ${pattern}: ${output}`);
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}: ${output}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
  };
}

const bounded = (exit: Promise<number | null>, child: ChildProcess, ms = 15_000) => {
  const timer = setTimeout(() => child.kill("SIGKILL"), ms);
  return exit.finally(() => clearTimeout(timer));
};

describe("the README's core snippet, as pasted", () => {
  let sandbox: Sandbox;
  const file = `${scratch}otp.mjs`;
  const phone = "+14155550161";

  beforeAll(async () => {
    mkdirSync(scratch, { recursive: true });
    writeFileSync(file, snippetUnder("The core in 20 lines"));
    sandbox = await startSandbox({ port: 0 });
  });
  afterAll(async () => {
    await sandbox?.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  const snippet = () =>
    run(process.execPath, [file, phone], {
      cwd: scratch,
      env: {
        PATH: process.env.PATH ?? "",
        OTP_SECRET: "readme-test-secret-readme-test-secret-0",
        UNOSEND_API_URL: sandbox.apiUrl,
        UNOSEND_API_KEY: "sandbox",
      },
    });

  it("is plain JavaScript with everything it uses defined", () => {
    const code = snippetUnder("The core in 20 lines");
    expect(code).not.toMatch(/!\s*[,)]/); // no TypeScript non-null assertions
    expect(code).toMatch(/const ip = /);
    expect(code).toMatch(/const code = /);
  });

  it("sends a code, reads it from the terminal, verifies it", async () => {
    const reader = snippet();
    await reader.waitFor(/Code sent to \+1 \*\*\*-\*\*\*-0161: $/);
    reader.child.stdin!.end(`${sandbox.lastCode(phone)}\n`);
    expect(await bounded(reader.exit, reader.child), reader.output()).toBe(0);
    expect(reader.output()).toContain(`${phone} verified`);
  });

  it("a wrong code prints the OtpError's code", async () => {
    sandbox.clear();
    // A new process, a new memory store: no cooldown carries over from the run before.
    const reader = snippet();
    await reader.waitFor(/Code sent to/);
    reader.child.stdin!.end(`${wrongCode(sandbox.lastCode(phone)!)}\n`);
    expect(await bounded(reader.exit, reader.child), reader.output()).toBe(0);
    expect(reader.output()).toMatch(/(: |\n)invalid_code\n$/);
  });
});

describe("`pnpm otpkit sandbox` from the repository root", () => {
  it("serves the inbox and stops on Ctrl-C with exit 0 and no pnpm ELIFECYCLE", async () => {
    const execPath = process.env.npm_execpath;
    const [command, prefix] =
      execPath && /pnpm/.test(execPath) && /\.c?js$/.test(execPath)
        ? [process.execPath, [execPath]]
        : ["pnpm", []];
    const sandbox = run(command, [...prefix, "otpkit", "sandbox", "--port", "0"], {
      cwd: root,
      // The build already ran (this suite needs dist/); rebuilding would rewrite it under other tests.
      env: { ...process.env, OTPKIT_SKIP_BUILD: "1" },
      detached: true,
    });
    try {
      await sandbox.waitFor(/listening on http:\/\/127\.0\.0\.1:\d+/, 30_000);
      const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(sandbox.output())![1];
      expect((await fetch(`${url}/`, { signal: AbortSignal.timeout(5000) })).status).toBe(200);
    } finally {
      // A terminal's Ctrl-C: SIGINT to the whole process group (pnpm, its shell, the CLI).
      process.kill(-sandbox.child.pid!, "SIGINT");
    }
    expect(await bounded(sandbox.exit, sandbox.child), sandbox.output()).toBe(0);
    expect(sandbox.output()).not.toMatch(/ELIFECYCLE|Command failed/);
  });
});
