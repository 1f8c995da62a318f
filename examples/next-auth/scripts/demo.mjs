#!/usr/bin/env node
/**
 * `pnpm demo`: the SMS sandbox and the example app together. Prints both URLs, stops both on
 * Ctrl-C (exit code 0: the app is told SIGINT and waited for). The app runs as a production build
 * (`next start`), so it gets real secrets: generated here for this run, unless the environment
 * already has them.
 *
 * Environment: PORT (app, default 3000), SANDBOX_PORT (default 4025), REDIS_URL / DATABASE_URL
 * (optional stores), OTP_DEFAULT_COUNTRY (default US), OTP_APP_NAME (default "otpkit demo"),
 * DEMO_READY_TIMEOUT_MS (default 60000).
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { startSandbox } from "otpkit";

const appDir = fileURLToPath(new URL("..", import.meta.url));
const host = "127.0.0.1";
const appPort = Number(process.env.PORT ?? 3000);
const sandboxPort = Number(process.env.SANDBOX_PORT ?? 4025);
const readyTimeoutMs = Number(process.env.DEMO_READY_TIMEOUT_MS ?? 60_000);

if (!existsSync(new URL("../.next/BUILD_ID", import.meta.url))) {
  console.error("The example is not built yet. Run `pnpm demo` from the repository root (it builds first).");
  process.exit(1);
}

const secret = () => randomBytes(32).toString("base64url");
let sandbox;
try {
  sandbox = await startSandbox({ port: sandboxPort, host });
} catch (error) {
  console.error(`Could not start the SMS sandbox on ${host}:${sandboxPort}: ${error.message}`);
  console.error("Set SANDBOX_PORT to use another port.");
  process.exit(1);
}

const appUrl = `http://${host}:${appPort}`;
const nextBin = createRequire(import.meta.url).resolve("next/dist/bin/next");
const app = spawn(process.execPath, [nextBin, "start", "--hostname", host, "--port", String(appPort)], {
  cwd: appDir,
  stdio: ["ignore", "pipe", "pipe"],
  env: {
    ...process.env,
    NEXT_TELEMETRY_DISABLED: "1",
    // Per-run secrets: production mode refuses the development defaults, as it should.
    OTP_SECRET: process.env.OTP_SECRET || secret(),
    // The countries codes may go to: the demo texts US, Canadian and UK numbers.
    OTP_COUNTRIES: process.env.OTP_COUNTRIES || "US,CA,GB",
    NEXTAUTH_SECRET: process.env.NEXTAUTH_SECRET || secret(),
    NEXTAUTH_URL: appUrl,
    // The demo always texts the sandbox, whatever a local .env says.
    UNOSEND_API_URL: sandbox.apiUrl,
    UNOSEND_API_KEY: "sandbox",
    // National numbers ("(415) 555-0123") mean this country; the SMS names the app.
    OTP_DEFAULT_COUNTRY: process.env.OTP_DEFAULT_COUNTRY || "US",
    OTP_APP_NAME: process.env.OTP_APP_NAME || "otpkit demo",
    // The domain-bound last line (`@127.0.0.1 #123456`) for WebOTP / one-time-code autofill. The
    // format carries a host, never a port.
    OTP_WEBOTP_DOMAIN: host,
    // The sign-in page links here, and the app reports each code's fate (used, locked…) to it.
    OTPKIT_INBOX_URL: sandbox.url,
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
    // What Ctrl-C means, forwarded: when the signal reached only us (pnpm, a supervisor), Next needs it too.
    app.kill("SIGINT");
    // Next normally exits at once; never hang the terminal on it.
    const force = setTimeout(() => app.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(force);
  }
  await sandbox.close();
  process.exit(code);
}
process.on("SIGINT", () => {
  console.log("\nStopping the app and the SMS sandbox…");
  void stop(0);
});
process.on("SIGTERM", () => void stop(0));
app.on("exit", (code, signal) => {
  if (stopping) return;
  // Ctrl-C in a terminal signals the whole process group: Next may exit before our handler runs.
  if (signal === "SIGINT" || signal === "SIGTERM" || code === 0 || code === 130) return void stop(0);
  console.error(
    `The app stopped (${signal ?? `exit code ${code}`}). Is port ${appPort} free? Set PORT to use another.`,
  );
  void stop(1);
});

// Ready when the sign-in page answers: the first request also creates the otp instance's config.
const deadline = Date.now() + readyTimeoutMs;
for (;;) {
  if (stopping) break;
  const ok = await fetch(`${appUrl}/signin`, { signal: AbortSignal.timeout(2000) })
    .then((response) => response.ok)
    .catch(() => false);
  if (ok) break;
  if (Date.now() > deadline) {
    console.error(`The app did not answer on ${appUrl} within ${readyTimeoutMs / 1000} s.`);
    await stop(1);
  }
  await new Promise((resolve) => setTimeout(resolve, 250));
}

const store = process.env.REDIS_URL ? "Redis" : process.env.DATABASE_URL ? "PostgreSQL" : "memory";
if (!stopping)
  console.log(`
  otpkit demo is running (store: ${store})

    App        ${appUrl.padEnd(24)}  sign in with a mobile number, e.g. +1 415 555 0123
    SMS inbox  ${sandbox.url.padEnd(24)}  the codes arrive here (nothing is really sent)

  Press Ctrl-C to stop both.
`);
