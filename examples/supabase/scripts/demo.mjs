#!/usr/bin/env node
/**
 * `pnpm demo:supabase`: the send-sms edge function on Deno (development mode, memory store), the
 * otpkit SMS sandbox as its provider, and the client page. It makes one signed sample call, as
 * Supabase Auth would, so a code shows up in the inbox at once; then point a Supabase project's
 * Send SMS Hook at the function (printed below) to sign in from the page. Ctrl-C stops everything.
 *
 * Environment: PORT (function, default 8000), SANDBOX_PORT (default 4025), WEB_PORT (page,
 * default 3000); 0 picks a free port.
 */
import { spawn } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { startSandbox } from "otpkit";
import { Webhook } from "standardwebhooks";

const exampleDir = fileURLToPath(new URL("..", import.meta.url));
const host = "127.0.0.1";
const port = (name, fallback) => Number(process.env[name] ?? fallback);

if (!existsSync(join(exampleDir, "dist/main.js"))) {
  console.error(
    "The page is not built yet. Run `pnpm demo:supabase` from the repository root (it builds first).",
  );
  process.exit(1);
}

const hookSecret = `v1,whsec_${randomBytes(32).toString("base64")}`;
let sandbox;
try {
  sandbox = await startSandbox({ port: port("SANDBOX_PORT", 4025), host });
} catch (error) {
  console.error(`Could not start the SMS sandbox: ${error.message}\nSet SANDBOX_PORT to use another port.`);
  process.exit(1);
}

// The npm `deno` package's binary: no other download.
const deno = join(dirname(createRequire(import.meta.url).resolve("deno/package.json")), "deno");
const fn = spawn(
  deno,
  ["run", "--allow-net", "--allow-env", "--allow-read", "supabase/functions/send-sms/index.ts"],
  {
    cwd: exampleDir,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "/tmp",
      NO_COLOR: "1",
      DENO_NO_UPDATE_CHECK: "1",
      OTPKIT_ENV: "development",
      HOST: host,
      PORT: String(port("PORT", 8000)),
      SEND_SMS_HOOK_SECRETS: hookSecret,
      OTP_SECRET: randomBytes(32).toString("base64"),
      OTP_COUNTRIES: "US,CA,GB",
      UNOSEND_API_URL: sandbox.apiUrl,
      UNOSEND_API_KEY: "sandbox",
    },
  },
);
let fnLog = "";
const functionUrl = await new Promise((resolve, reject) => {
  const onData = (chunk) => {
    fnLog += chunk;
    const match = /Listening on (http:\/\/\S+?)\/?\s/.exec(fnLog);
    if (match) resolve(match[1]);
  };
  fn.stdout.on("data", onData);
  fn.stderr.on("data", onData);
  fn.once("exit", (code) => reject(new Error(`The function exited (${code}):\n${fnLog}`)));
}).catch(async (error) => {
  console.error(error.message);
  await sandbox.close();
  process.exit(1);
});
fn.stderr.on("data", (chunk) => {
  for (const line of String(chunk).split("\n"))
    if (line.trim()) process.stderr.write(`  send-sms │ ${line}\n`);
});

const types = { ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8" };
const web = createServer(async (req, res) => {
  const path = new URL(req.url ?? "/", "http://localhost").pathname;
  const file = path === "/" ? "index.html" : path.slice(1);
  if (!["index.html", "main.js"].includes(file)) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { "content-type": types[file.slice(file.lastIndexOf("."))] });
  res.end(await readFile(join(exampleDir, "dist", file)));
});
await new Promise((resolve) => web.listen(port("WEB_PORT", 3000), host, resolve));
const pageUrl = `http://${host}:${web.address().port}`;

// One call as Supabase Auth makes it: signed with the hook secret, the code GoTrue made.
const samplePhone = "+14155550123";
const sampleCode = String(randomBytes(3).readUIntBE(0, 3) % 1_000_000).padStart(6, "0");
const body = JSON.stringify({
  metadata: { uuid: randomUUID(), time: new Date().toISOString(), name: "send-sms", ip_address: "127.0.0.1" },
  user: { id: randomUUID(), aud: "authenticated", role: "authenticated", phone: samplePhone.slice(1) },
  sms: { otp: sampleCode, phone: samplePhone.slice(1) },
});
const webhookId = randomUUID();
const signature = new Webhook(hookSecret.slice(3)).sign(webhookId, new Date(), body);
const sample = await fetch(`${functionUrl}/`, {
  method: "POST",
  headers: {
    "content-type": "application/json",
    "webhook-id": webhookId,
    "webhook-timestamp": String(Math.floor(Date.now() / 1000)),
    "webhook-signature": signature,
  },
  body,
}).then((response) => response.text());

console.log(`
  otpkit × Supabase Send SMS Hook (development mode)

  Function   ${functionUrl}       (supabase/functions/send-sms/index.ts on Deno)
  SMS inbox  ${sandbox.url}
  Page       ${pageUrl}

  A sample hook call answered ${sample} — its SMS to ${samplePhone} is in the inbox.

  To sign in from the page, point a Supabase project's Send SMS Hook at the function
  (Dashboard > Auth > Hooks, or supabase/config.toml [auth.hook.send_sms]) with this secret:
    ${hookSecret}

  Press Ctrl-C to stop.
`);

let stopping = false;
async function stop(code) {
  if (stopping) return;
  stopping = true;
  if (fn.exitCode === null && fn.signalCode === null) {
    const exited = new Promise((resolve) => fn.once("exit", resolve));
    try {
      process.kill(fn.pid, "SIGTERM");
    } catch {
      // Already gone (Ctrl-C reaches the whole process group).
    }
    await exited;
  }
  web.closeAllConnections();
  await new Promise((resolve) => web.close(resolve));
  await sandbox.close();
  process.exit(code);
}
process.on("SIGINT", () => {
  console.log("\nStopping the function, the page and the SMS sandbox…");
  void stop(0);
});
process.on("SIGTERM", () => void stop(0));
fn.once("exit", (code) => {
  if (!stopping) {
    console.error(`The function stopped (${code}).`);
    void stop(1);
  }
});
