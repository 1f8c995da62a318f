import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";

export const appDir = fileURLToPath(new URL("..", import.meta.url));
const nextBin = createRequire(import.meta.url).resolve("next/dist/bin/next");

/** A port that was free a moment ago (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Polls until `check` holds, failing after `timeoutMs` with `what` in the message. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}.`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Builds the app when no build exists (turbo's `test` task normally ran `build` already). */
export function ensureBuilt(): void {
  if (existsSync(new URL("../.next/BUILD_ID", import.meta.url))) return;
  execFileSync(process.execPath, [nextBin, "build"], {
    cwd: appDir,
    stdio: "inherit",
    timeout: 300_000,
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
  });
}

/** Only the variables the app needs: a developer's REDIS_URL or .env must not leak into a test run. */
export function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const { REDIS_URL: _r, DATABASE_URL: _d, OTP_SECRET: _o, NEXTAUTH_SECRET: _n, ...env } = process.env;
  return { ...env, NEXT_TELEMETRY_DISABLED: "1", ...extra };
}

export interface RunningApp {
  url: string;
  output: () => string;
  stop(): Promise<void>;
}

/**
 * `next start` on 127.0.0.1 and an ephemeral port, texting through `sandboxApiUrl`; `env` adds or
 * overrides variables (e.g. `OTPKIT_INBOX_URL`, `OTP_DEFAULT_COUNTRY`, shorter cooldowns).
 */
export async function startApp(sandboxApiUrl: string, env: Record<string, string> = {}): Promise<RunningApp> {
  ensureBuilt();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    process.execPath,
    [nextBin, "start", "--hostname", "127.0.0.1", "--port", String(port)],
    {
      cwd: appDir,
      stdio: ["ignore", "pipe", "pipe"],
      env: cleanEnv({
        NODE_ENV: "production",
        OTP_SECRET: randomBytes(32).toString("base64url"),
        OTP_COUNTRIES: "US,CA,GB",
        NEXTAUTH_SECRET: randomBytes(32).toString("base64url"),
        NEXTAUTH_URL: url,
        UNOSEND_API_URL: sandboxApiUrl,
        UNOSEND_API_KEY: "sandbox",
        OTP_DEFAULT_COUNTRY: "US",
        ...env,
      }),
    },
  );
  let log = "";
  child.stdout?.on("data", (chunk) => (log += chunk));
  child.stderr?.on("data", (chunk) => (log += chunk));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    const force = setTimeout(() => child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(force);
  };
  try {
    await waitFor(
      `the app on ${url}`,
      async () => {
        if (child.exitCode !== null) throw new Error(`next start exited: ${log}`);
        const response = await fetch(`${url}/signin`, { signal: AbortSignal.timeout(2000) });
        return response.ok ? true : undefined;
      },
      60_000,
    );
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\n${log}`);
  }
  return { url, output: () => log, stop };
}

export const chromiumPath = "/usr/bin/chromium";
export const chromiumArgs = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
