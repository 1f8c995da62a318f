/**
 * Google's Firestore emulator from the Debian package `google-cloud-cli-firestore-emulator`, run
 * directly with the `java` on PATH (firebase-tools refuses Java 17 for its own copy and would
 * download the jar). Real transaction isolation: concurrent transactions on one document conflict
 * and are retried, as on Cloud Firestore.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";

export const firestoreJar =
  process.env.FIRESTORE_EMULATOR_JAR ??
  "/usr/lib/google-cloud-sdk/platform/cloud-firestore-emulator/cloud-firestore-emulator.jar";

/**
 * Whether the emulator can run here. In CI a missing jar is an error (`.ci/run` checks it too);
 * elsewhere the Firestore tests skip and say why.
 */
export function firestoreAvailable(): boolean {
  if (existsSync(firestoreJar)) return true;
  const why = `${firestoreJar} is missing: apt-get install google-cloud-cli-firestore-emulator.`;
  if (process.env.CI) throw new Error(why);
  console.warn(`Skipping the Firestore emulator tests: ${why}`);
  return false;
}

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

export interface RunningEmulator {
  /** `127.0.0.1:<port>`: the value for `FIRESTORE_EMULATOR_HOST`. */
  host: string;
  /** Milliseconds from spawn to the first answer. */
  startupMs: number;
  /** Deletes every document of `project` (the emulator's own reset endpoint). */
  reset(project: string): Promise<void>;
  stop(): Promise<void>;
}

/** Starts the emulator on 127.0.0.1 and a free port; resolves once it answers HTTP. */
export async function startFirestoreEmulator(): Promise<RunningEmulator> {
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const started = performance.now();
  const child: ChildProcess = spawn(
    "java",
    [
      "-Duser.language=en",
      "-cp",
      firestoreJar,
      "com.google.cloud.datastore.emulator.firestore.CloudFirestore",
      "start",
      "--host=127.0.0.1",
      `--port=${port}`,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
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
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`The Firestore emulator exited:\n${log}`);
    const ok = await fetch(`http://${host}/`, { signal: AbortSignal.timeout(1000) })
      .then((response) => response.ok)
      .catch(() => false);
    if (ok) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`The Firestore emulator did not answer on ${host} within 60 s:\n${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const startupMs = Math.round(performance.now() - started);
  return {
    host,
    startupMs,
    async reset(project) {
      await fetch(`http://${host}/emulator/v1/projects/${project}/databases/(default)/documents`, {
        method: "DELETE",
      });
    },
    stop,
  };
}
