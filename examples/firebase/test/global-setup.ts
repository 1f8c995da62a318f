/**
 * The stack starts ONCE per test run, through the real `pnpm demo:firebase` launcher
 * (scripts/demo.mjs, every port free, project `demo-test`), and every test file shares it. The
 * last test file (test/demo.test.ts, ordered last by vitest.config.ts) ends it the way a person
 * does, with Ctrl-C, and checks what is left; the launcher's exit status reaches it through a file
 * (only this process is the launcher's parent). Teardown only makes sure nothing outlives the run.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    stack: {
      available: boolean;
      projectId: string;
      pageUrl: string;
      sandboxUrl: string;
      functionsUrl: string;
      authUrl: string;
      firestoreHost: string;
      banner: string;
      /** The launcher's PID (its process group's id) and where its exit status will be written. */
      launcherPid: number;
      exitFile: string;
    };
  }
}

const jar = "/usr/lib/google-cloud-sdk/platform/cloud-firestore-emulator/cloud-firestore-emulator.jar";
const projectId = "demo-test";
let demo: ChildProcess | undefined;
let output = "";
const exitFile = `${tmpdir()}/otpkit-firebase-demo-exit-${process.pid}.json`;

export async function setup(project: TestProject) {
  const unavailable = {
    available: false,
    projectId,
    pageUrl: "",
    sandboxUrl: "",
    functionsUrl: "",
    authUrl: "",
    firestoreHost: "",
    banner: "",
    launcherPid: 0,
    exitFile,
  };
  if (!existsSync(process.env.FIRESTORE_EMULATOR_JAR ?? jar)) {
    const why = `${jar} is missing: apt-get install google-cloud-cli-firestore-emulator (.ci/run checks it).`;
    if (process.env.CI) throw new Error(why);
    console.warn(`Skipping the emulator tests: ${why}`);
    return void project.provide("stack", unavailable);
  }
  const root = new URL("..", import.meta.url).pathname;
  // turbo's `test` task has built it already; a bare `vitest run` builds it here.
  if (!existsSync(`${root}functions/lib/index.js`) || !existsSync(`${root}web/dist/app.js`))
    execFileSync(process.execPath, ["scripts/build.mjs"], { cwd: root, stdio: "inherit" });
  const started = performance.now();
  demo = spawn(process.execPath, ["scripts/demo.mjs"], {
    cwd: root,
    // Its own process group, so teardown can send Ctrl-C the way a terminal does: to the group.
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, DEMO_FREE_PORTS: "1", DEMO_PROJECT: projectId, DEMO_VERBOSE: "1" },
  });
  rmSync(exitFile, { force: true });
  demo.once("exit", (code, signal) => writeFileSync(exitFile, JSON.stringify({ code, signal, output })));
  demo.stdout!.on("data", (chunk) => (output += chunk));
  demo.stderr!.on("data", (chunk) => (output += chunk));
  const deadline = Date.now() + 150_000;
  while (!output.includes("Press Ctrl-C")) {
    if (demo.exitCode !== null) throw new Error(`The demo launcher exited (${demo.exitCode}):\n${output}`);
    if (Date.now() > deadline) {
      await stopDemo();
      throw new Error(`The demo launcher was not ready within 150 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const banner = output.slice(output.indexOf("otpkit × Firebase demo is running"));
  const line = (label: string) => new RegExp(`${label}\\s+(\\S+)`).exec(banner)?.[1] ?? "";
  const stack = {
    available: true,
    projectId,
    pageUrl: line("Web page"),
    sandboxUrl: line("SMS inbox"),
    functionsUrl: line("Functions"),
    authUrl: line("Auth"),
    firestoreHost: line("Firestore"),
    banner,
    launcherPid: demo.pid!,
    exitFile,
  };
  console.log(
    `Emulator stack ready in ${Math.round(performance.now() - started)} ms: ${/Started in .*/.exec(banner)?.[0]}`,
  );
  project.provide("stack", stack);
}

async function stopDemo(): Promise<void> {
  if (!demo || demo.exitCode !== null || demo.signalCode !== null) return;
  const exited = new Promise((resolve) => demo!.once("exit", resolve));
  process.kill(-demo.pid!, "SIGINT");
  const force = setTimeout(() => {
    try {
      process.kill(-demo!.pid!, "SIGKILL");
    } catch {
      // Already gone.
    }
  }, 30_000);
  await exited;
  clearTimeout(force);
}

export async function teardown() {
  // Normally test/demo.test.ts has stopped it already; after a failed or filtered run, this does.
  await stopDemo();
  rmSync(exitFile, { force: true });
}
