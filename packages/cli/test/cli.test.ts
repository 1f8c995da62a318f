/**
 * The `otpkit` binary as a user runs it (bin/otpkit.js → dist/cli.js, so `pnpm build` first):
 * where it listens, one-line errors with a non-zero exit, and graceful shutdown on signals.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { startSandbox } from "../src/sandbox.js";
import { request } from "./helpers.js";

const bin = fileURLToPath(new URL("../bin/otpkit.js", import.meta.url));
const dist = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
const secret = "cli-test-secret-cli-test-secret-cli-test";

interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the first match of `pattern` on stdout. */
  waitFor(pattern: RegExp, ms?: number): Promise<RegExpMatchArray>;
  exit: Promise<number | null>;
}

const running: ChildProcess[] = [];

function otpkit(args: string[], env: Record<string, string> = {}): Run {
  // A clean environment: nothing from the developer's shell (OTP_SECRET, REDIS_URL…) leaks in.
  const child = spawn(process.execPath, [bin, ...args], {
    env: { PATH: process.env.PATH ?? "", NODE_ENV: "development", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.push(child);
  let out = "";
  let err = "";
  child.stdout!.on("data", (chunk) => (out += chunk));
  child.stderr!.on("data", (chunk) => (err += chunk));
  const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exit,
    waitFor: (pattern, ms = 10_000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`timed out waiting for ${pattern}; stderr: ${err}`)),
          ms,
        );
        const look = () => {
          const match = out.match(pattern);
          if (match) {
            clearTimeout(timer);
            child.stdout!.off("data", look);
            resolve(match);
          }
        };
        child.stdout!.on("data", look);
        child.on("exit", () => reject(new Error(`exited before ${pattern}; stderr: ${err}`)));
        look();
      }),
  };
}

/** Exits within the bound, or the test fails (and the child is killed in afterEach). */
const exitCode = (run: Run, ms = 10_000) =>
  Promise.race([run.exit, new Promise((_, reject) => setTimeout(() => reject(new Error("no exit")), ms))]);

const expectOneLineError = (run: Run) => {
  const lines = run.stderr().trim().split("\n");
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^otpkit: /);
  expect(run.stderr()).not.toMatch(/\n\s+at /);
};

beforeAll(() => {
  if (!existsSync(dist))
    throw new Error("packages/cli/dist/cli.js is missing: run `pnpm --filter otpkit build` first.");
});

afterEach(() => {
  for (const child of running.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
});

describe("otpkit CLI", () => {
  it("prints help", async () => {
    const run = otpkit(["--help"]);
    expect(await exitCode(run)).toBe(0);
    expect(run.stdout()).toMatch(/Usage: otpkit <command>/);
  });

  it("lint: one line per finding with its section; exits 1 while an error-level finding remains", async () => {
    const weak = otpkit(["lint"], {
      OTP_SECRET: "lint-test-secret-lint-test-secret-0123",
      OTP_EXPIRY_MINUTES: "30",
    });
    expect(await exitCode(weak)).toBe(1);
    const lines = weak.stdout().trim().split("\n");
    expect(
      lines.some((line) =>
        /^error\s+expiryMinutes\.login: 30 minutes.*NIST SP 800-63B §5\.1\.3\.2/.test(line),
      ),
    ).toBe(true);
    expect(lines.some((line) => /^warning\s+phone\.allowedCountries/.test(line))).toBe(true);
    const sound = otpkit(["lint", "--preset", "owasp"], {
      OTP_SECRET: "lint-test-secret-lint-test-secret-0123",
      OTP_COUNTRIES: "US,CA",
    });
    expect(await exitCode(sound)).toBe(0);
    expect(sound.stdout()).not.toMatch(/^(error|warning)/m);
    expect(sound.stdout()).toMatch(/^notice\s+channel:.*PSTN/m);
  });

  it("sandbox: prints where it listens, serves the inbox, stops cleanly on SIGTERM", async () => {
    const run = otpkit(["sandbox", "--port", "0"]);
    const [, url] = await run.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
    await run.waitFor(new RegExp(`UNOSEND_API_URL=${url}/api/v1`));
    const page = await request(`${url}/`);
    expect(page.status).toBe(200);
    expect(page.text).toContain("otpkit");
    run.child.kill("SIGTERM");
    expect(await exitCode(run)).toBe(0);
  });

  it("sandbox: --fail 402 makes every send fail with 402", async () => {
    const run = otpkit(["sandbox", "--port", "0", "--fail", "402"]);
    const [, url] = await run.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
    const answer = await request(`${url}/api/v1/sms`, {
      body: { to: "+14155551234", body: "code 123456" },
      headers: { authorization: "Bearer k" },
    });
    expect(answer.status).toBe(402);
    run.child.kill("SIGINT");
    expect(await exitCode(run)).toBe(0);
  });

  it("serve: runs with no configuration, warns about the ephemeral secret, answers, never prints a code", async () => {
    const run = otpkit(["serve", "--port", "0"], { OTPKIT_SANDBOX_PORT: "0" });
    const [, url] = await run.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
    const [, inbox] = await run.waitFor(/inbox at (http:\/\/127\.0\.0\.1:\d+)\//);
    expect(run.stderr()).toMatch(/warning: OTP_SECRET is not set/);
    const sent = await request(`${url}/v1/sms/verify/send`, { body: { phone: "+14155551234" } });
    expect(sent.status).toBe(200);
    const { code } = (await request(`${inbox}/api/sandbox/last-code?to=%2B14155551234`)).json;
    const checked = await request(`${url}/v1/sms/verify/check`, { body: { id: sent.json.id, code } });
    expect(checked.json.status).toBe("approved");
    // The embedded sandbox heard the verification: the code is marked used on the inbox.
    expect((await request(`${inbox}/inbox/list`)).text).toContain('data-status="used"');
    run.child.kill("SIGTERM");
    expect(await exitCode(run)).toBe(0);
    expect(run.stdout() + run.stderr()).not.toContain(code);
  });

  it("serve: finishes a request in flight before exiting on SIGTERM", async () => {
    const sandbox = await startSandbox({ port: 0, faults: { latencyMs: 600 } });
    try {
      const run = otpkit(["serve", "--port", "0"], { OTP_SECRET: secret, UNOSEND_API_URL: sandbox.apiUrl });
      const [, url] = await run.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
      const inFlight = request(`${url}/v1/sms/verify/send`, { body: { phone: "+14155551234" } });
      await new Promise((resolve) => setTimeout(resolve, 200));
      run.child.kill("SIGTERM");
      expect((await inFlight).status).toBe(200);
      expect(await exitCode(run)).toBe(0);
      expect(sandbox.messages).toHaveLength(1);
    } finally {
      await sandbox.close();
    }
  });

  it("a taken port: one line, exit 1", async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      for (const command of ["sandbox", "serve"]) {
        const run = otpkit([command, "--port", String(port)], {
          OTP_SECRET: secret,
          OTPKIT_SANDBOX_PORT: "0",
        });
        expect(await exitCode(run)).toBe(1);
        expectOneLineError(run);
        expect(run.stderr()).toContain(`port ${port} on 127.0.0.1 is already in use`);
      }
    } finally {
      blocker.close();
    }
  });

  it.each([
    [["serve", "--port", "0"], { NODE_ENV: "production" }, /OTP_SECRET is required/, 1],
    [["serve", "--port", "0"], { OTP_SECRET: "too-short" }, /at least 32 bytes/, 1],
    [["serve", "--port", "0"], { OTP_SECRET: secret, TRUST_PROXY: "-1" }, /TRUST_PROXY/, 1],
    [["sandbox", "--port", "abc"], {}, /--port must be a whole number/, 1],
    [["sandbox", "--port", "70000"], {}, /--port must be a whole number from 0 to 65535/, 1],
    [["sandbox", "--fail", "200"], {}, /400–599/, 1],
    [["sandbox", "--host", "no-such-host.invalid", "--port", "0"], {}, /cannot listen on host/, 1],
    [["launch"], {}, /^otpkit: unknown command "launch"\. Run `otpkit --help` for usage\.$/m, 2],
    [["sandbox", "extra"], {}, /unexpected argument "extra"/, 2],
    // Not Node's parseArgs paragraph about '--' separators: one otpkit line with the way to help.
    [["--bogus"], {}, /^otpkit: unknown option --bogus\. Run `otpkit --help` for usage\.$/m, 2],
    [["sandbox", "--bogus"], {}, /^otpkit: unknown option --bogus\. Run `otpkit --help` for usage\.$/m, 2],
    [["sandbox", "-x"], {}, /^otpkit: unknown option -x\. /m, 2],
    [["sandbox", "--port"], {}, /^otpkit: --port needs a value\. /m, 2],
    [["sandbox", "--timeout=yes"], {}, /^otpkit: --timeout takes no value\. /m, 2],
    [["--help=1"], {}, /^otpkit: --help takes no value\. /m, 2],
  ])("otpkit %j with %j: one-line error, non-zero exit", async (args, env, message, code) => {
    const run = otpkit(args, env as Record<string, string>);
    expect(await exitCode(run)).toBe(code);
    expectOneLineError(run);
    expect(run.stderr()).toMatch(message);
    expect(run.stderr()).not.toMatch(/positional argument|ERR_PARSE_ARGS|TypeError/);
  });
});
