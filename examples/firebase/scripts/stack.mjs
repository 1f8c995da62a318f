/**
 * Everything the example runs on, started together and stopped together (the demo and the tests
 * share this, so the tests exercise what `pnpm demo:firebase` runs):
 *
 * - Google's Firestore emulator from the Debian package `google-cloud-cli-firestore-emulator`,
 *   run directly with the `java` on PATH (firebase-tools refuses Java 17 for its own copy, and would
 *   download it);
 * - the Auth and Functions emulators from firebase-tools (npm), with FIRESTORE_EMULATOR_HOST in
 *   their environment: the Functions emulator passes its environment through to every function
 *   worker, so all four functions share state in that Firestore;
 * - the otpkit SMS sandbox (`startSandbox` from packages/cli), where the codes arrive;
 * - a static server for the web page (web/dist) and its config.
 *
 * Everything binds 127.0.0.1. Ports: fixed defaults for the demo, `0` for "any free port" (tests).
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import { createServer as createNetServer } from "node:net";
import { fileURLToPath } from "node:url";
import { startSandbox } from "otpkit";

export const exampleDir = fileURLToPath(new URL("..", import.meta.url));
export const firestoreJar =
  process.env.FIRESTORE_EMULATOR_JAR ??
  "/usr/lib/google-cloud-sdk/platform/cloud-firestore-emulator/cloud-firestore-emulator.jar";
const firebaseBin = createRequire(import.meta.url).resolve("firebase-tools/lib/bin/firebase.js");
const host = "127.0.0.1";

export const defaultPorts = {
  page: 5050,
  sandbox: 4025,
  firestore: 8080,
  auth: 9099,
  functions: 5001,
  hub: 4400,
  logging: 4500,
  eventarc: 9299,
  tasks: 9499,
};

/** A port that was free a moment ago (the OS picks it). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createNetServer();
    server.once("error", reject);
    server.listen(0, host, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function waitFor(what, check, timeoutMs, isDead) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const dead = isDead?.();
    if (dead) throw new Error(`${what}: ${dead}`);
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs / 1000} s waiting for ${what}.`);
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}

const answers = (url) =>
  fetch(url, { signal: AbortSignal.timeout(1500) }).then(
    () => true,
    () => false,
  );

/** Stops a child by PID: SIGINT/SIGTERM first, SIGKILL (its whole group when detached) after `graceMs`. */
async function stopChild(child, signal, graceMs, group = false) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const kill = (sig) => {
    try {
      if (group) process.kill(-child.pid, sig);
      else child.kill(sig);
    } catch {
      // Already gone.
    }
  };
  kill(signal);
  const force = setTimeout(() => kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(force);
  // Function workers are in firebase-tools' process group: none may outlive it.
  if (group) kill("SIGKILL");
}

/**
 * The emulators' secrets, in the file the Functions emulator reads them from
 * (functions/.secret.local, git-ignored). Made once per checkout with a random OTP_SECRET; the
 * sandbox takes any API key. `wx`: two starts at once never overwrite each other's secret.
 */
function ensureLocalSecrets() {
  const path = `${exampleDir}functions/.secret.local`;
  try {
    writeFileSync(path, `OTP_SECRET=${randomBytes(32).toString("base64url")}\nUNOSEND_API_KEY=sandbox\n`, {
      flag: "wx",
      mode: 0o600,
    });
  } catch (error) {
    if (error.code !== "EEXIST") throw error;
  }
}

function staticServer(port, config) {
  const files = {
    "/": ["index.html", "text/html; charset=utf-8"],
    "/index.html": ["index.html", "text/html; charset=utf-8"],
    "/app.js": ["app.js", "text/javascript; charset=utf-8"],
  };
  const server = createServer(async (req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    if (path === "/config.json") {
      res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" });
      return res.end(JSON.stringify(config));
    }
    const file = files[path];
    if (!file || req.method !== "GET") {
      res.writeHead(404, { "content-type": "text/plain" });
      return res.end("Not found");
    }
    res.writeHead(200, { "content-type": file[1], "cache-control": "no-store" });
    res.end(await readFile(`${exampleDir}web/dist/${file[0]}`));
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve(server));
  });
}

/**
 * Starts the whole stack. `ports`: any of `defaultPorts`' keys, `0` for a free one.
 * `log(source, line)` receives the emulators' output. Returns the URLs, how long each part took
 * to start, and `stop()`.
 */
export async function startStack({
  projectId = "demo-otpkit",
  ports = {},
  region = "us-central1",
  log = () => {},
} = {}) {
  if (!existsSync(firestoreJar))
    throw new Error(
      `The Firestore emulator is missing (${firestoreJar}): apt-get install google-cloud-cli-firestore-emulator`,
    );
  if (!existsSync(`${exampleDir}functions/lib/index.js`) || !existsSync(`${exampleDir}web/dist/app.js`))
    throw new Error(
      "The example is not built yet: run `pnpm --filter example-firebase build` (or `pnpm demo:firebase`).",
    );
  const chosen = {};
  for (const [name, port] of Object.entries({ ...defaultPorts, ...ports }))
    chosen[name] = port || (await freePort());
  ensureLocalSecrets();

  const started = performance.now();
  const timings = {};
  const stops = [];
  const stop = async () => {
    for (const step of stops.splice(0).reverse()) await step().catch(() => undefined);
  };

  try {
    const sandbox = await startSandbox({ port: chosen.sandbox, host });
    stops.push(() => sandbox.close());

    // Firestore: the JVM takes a few seconds; firebase-tools loads meanwhile.
    const firestoreStarted = performance.now();
    const java = spawn(
      "java",
      [
        "-Duser.language=en",
        "-cp",
        firestoreJar,
        "com.google.cloud.datastore.emulator.firestore.CloudFirestore",
        "start",
        `--host=${host}`,
        `--port=${chosen.firestore}`,
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    stops.push(() => stopChild(java, "SIGTERM", 5000));
    let javaLog = "";
    for (const stream of [java.stdout, java.stderr])
      stream.on("data", (chunk) => {
        javaLog += chunk;
        for (const line of String(chunk).split("\n")) if (line.trim()) log("firestore", line);
      });
    const firestoreHost = `${host}:${chosen.firestore}`;
    const firestoreReady = waitFor(
      `the Firestore emulator on ${firestoreHost}`,
      () => answers(`http://${firestoreHost}/`),
      60_000,
      () => (java.exitCode !== null ? `exited (${java.exitCode}):\n${javaLog}` : undefined),
    ).then(() => {
      timings.firestoreMs = Math.round(performance.now() - firestoreStarted);
    });

    // firebase-tools: a config with this run's ports, next to firebase.json (its directory is the
    // project directory), removed on stop.
    const base = JSON.parse(await readFile(`${exampleDir}firebase.json`, "utf8"));
    const configPath = `${exampleDir}.firebase-${projectId}.json`;
    const emulator = (name) => ({ host, port: chosen[name] });
    writeFileSync(
      configPath,
      JSON.stringify({
        ...base,
        emulators: {
          ...base.emulators,
          auth: emulator("auth"),
          functions: emulator("functions"),
          hub: emulator("hub"),
          logging: emulator("logging"),
          eventarc: emulator("eventarc"),
          tasks: emulator("tasks"),
        },
      }),
    );
    stops.push(async () => rmSync(configPath, { force: true }));

    const toolsStarted = performance.now();
    const tools = spawn(
      process.execPath,
      [
        firebaseBin,
        "emulators:start",
        "--only",
        "auth,functions",
        "--project",
        projectId,
        "--config",
        configPath,
      ],
      {
        cwd: exampleDir,
        // Its own process group: stop() can end it and every function worker it started.
        detached: true,
        stdio: ["ignore", "pipe", "pipe"],
        env: {
          ...process.env,
          // Passed through to every function worker (checked by the tests).
          FIRESTORE_EMULATOR_HOST: firestoreHost,
          UNOSEND_API_URL: sandbox.apiUrl,
          METADATA_SERVER_DETECTION: "none",
          GCLOUD_PROJECT: projectId,
          // No MOTD, no update check, no prompts: nothing reaches for the network or a terminal.
          CI: "true",
          NO_UPDATE_NOTIFIER: "1",
        },
      },
    );
    stops.push(() => stopChild(tools, "SIGINT", 20_000, true));
    let toolsLog = "";
    for (const stream of [tools.stdout, tools.stderr])
      stream.on("data", (chunk) => {
        toolsLog += chunk;
        for (const line of String(chunk).split("\n")) if (line.trim()) log("emulators", line);
      });
    const functionsUrl = `http://${host}:${chosen.functions}/${projectId}/${region}`;
    await waitFor(
      "the Auth and Functions emulators",
      async () =>
        toolsLog.includes("All emulators ready") && toolsLog.includes("Loaded functions definitions"),
      120_000,
      () => (tools.exitCode !== null ? `firebase-tools exited (${tools.exitCode}):\n${toolsLog}` : undefined),
    );
    timings.emulatorsMs = Math.round(performance.now() - toolsStarted);
    await firestoreReady;

    const authUrl = `http://${host}:${chosen.auth}`;
    const page = await staticServer(chosen.page, {
      projectId,
      apiKey: "demo-api-key",
      region,
      emulators: { auth: authUrl, functions: { host, port: chosen.functions } },
    });
    stops.push(
      () =>
        new Promise((resolve) => {
          page.close(resolve);
          // A browser's keep-alive connections would hold close() open.
          page.closeAllConnections();
        }),
    );
    timings.totalMs = Math.round(performance.now() - started);

    return {
      projectId,
      region,
      pageUrl: `http://${host}:${chosen.page}`,
      sandbox,
      sandboxUrl: sandbox.url,
      functionsUrl,
      authUrl,
      firestoreHost,
      ports: chosen,
      timings,
      pids: { firestore: java.pid, emulators: tools.pid },
      output: () => toolsLog,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
