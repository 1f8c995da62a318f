#!/usr/bin/env node
/**
 * `pnpm demo:auth0`: the SMS sandbox, the example's verify page (`next start`) and a local
 * stand-in for Auth0's login that runs the example's built post-login Action. Prints the three
 * URLs; Ctrl-C stops everything. Secrets are generated per run.
 *
 * Environment: PORT (app, default 3000), SANDBOX_PORT (default 4025), AUTH0_PORT (default 4000),
 * DEMO_READY_TIMEOUT_MS (default 60000).
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { startSandbox } from "otpkit";
import { startAuth0StandIn } from "./auth0-stand-in.mjs";

const appDir = fileURLToPath(new URL("..", import.meta.url));
const host = "127.0.0.1";
const appPort = Number(process.env.PORT ?? 3000);
const readyTimeoutMs = Number(process.env.DEMO_READY_TIMEOUT_MS ?? 60_000);

if (
  !existsSync(new URL("../.next/BUILD_ID", import.meta.url)) ||
  !existsSync(new URL("../dist/actions/post-login-step-up.cjs", import.meta.url))
) {
  console.error(
    "The example is not built yet. Run `pnpm demo:auth0` from the repository root (it builds first).",
  );
  process.exit(1);
}

const secret = () => randomBytes(32).toString("base64url");
const appUrl = `http://${host}:${appPort}`;
const stepUpSecret = secret();
const sandbox = await startSandbox({ port: Number(process.env.SANDBOX_PORT ?? 4025), host });
const auth0 = await startAuth0StandIn({
  port: Number(process.env.AUTH0_PORT ?? 4000),
  host,
  secrets: { STEP_UP_SECRET: stepUpSecret, STEP_UP_URL: `${appUrl}/verify` },
});

const nextBin = createRequire(import.meta.url).resolve("next/dist/bin/next");
const app = spawn(process.execPath, [nextBin, "start", "--hostname", host, "--port", String(appPort)], {
  cwd: appDir,
  stdio: ["ignore", "pipe", "pipe"],
  env: {
    ...process.env,
    NEXT_TELEMETRY_DISABLED: "1",
    OTP_SECRET: process.env.OTP_SECRET || secret(),
    STEP_UP_SECRET: stepUpSecret,
    UNOSEND_API_URL: sandbox.apiUrl,
    UNOSEND_API_KEY: "sandbox",
  },
});
const relay = (stream, target) =>
  stream.on("data", (chunk) => {
    for (const line of String(chunk).split("\n")) if (line.trim()) target.write(`  app │ ${line}\n`);
  });
relay(app.stdout, process.stdout);
relay(app.stderr, process.stderr);

let stopping = false;
async function stop(code) {
  if (stopping) return;
  stopping = true;
  if (app.exitCode === null && app.signalCode === null) {
    const exited = new Promise((resolve) => app.once("exit", resolve));
    app.kill("SIGTERM");
    const force = setTimeout(() => app.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(force);
  }
  await Promise.all([sandbox.close(), auth0.close()]);
  process.exit(code);
}
process.on("SIGINT", () => {
  console.log("\nStopping the app, the Auth0 stand-in and the SMS sandbox…");
  void stop(0);
});
process.on("SIGTERM", () => void stop(0));
app.once("exit", (code) => {
  if (!stopping) {
    console.error(`next start exited (${code}).`);
    void stop(1);
  }
});

const deadline = Date.now() + readyTimeoutMs;
for (;;) {
  const ready = await fetch(`${appUrl}/`, { signal: AbortSignal.timeout(2000) }).then(
    (r) => r.ok,
    () => false,
  );
  if (ready) break;
  if (Date.now() > deadline || stopping) {
    console.error(`The app did not answer on ${appUrl} within ${readyTimeoutMs} ms.`);
    await stop(1);
  }
  await new Promise((resolve) => setTimeout(resolve, 250));
}
console.log(`
  Log in     ${auth0.url}          (a local stand-in for Auth0 running the post-login Action)
  Verify     ${appUrl}/verify
  SMS inbox  ${sandbox.url}

  Press Ctrl-C to stop.
`);
