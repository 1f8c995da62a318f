/**
 * Smoke test of the main job: `pnpm demo`'s launcher, run the way a person runs it (through pnpm,
 * whose shell `exec`s the launcher), starts the sandbox and the app, prints both URLs, serves them,
 * texts with the app's name and the WebOTP line, reports each code's fate to the inbox, logs
 * provider failures in one line each — and stops on Ctrl-C with exit code 0 and no pnpm
 * "ELIFECYCLE Command failed".
 */
import { type ChildProcess, spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { appDir, cleanEnv, ensureBuilt, freePort, waitFor } from "./servers";

/** pnpm as the test runner was started (npm_execpath), else the one on PATH. */
function pnpm(args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const execPath = process.env.npm_execpath;
  const [command, prefix] =
    execPath && /pnpm/.test(execPath) && /\.c?js$/.test(execPath)
      ? [process.execPath, [execPath]]
      : ["pnpm", []];
  return spawn(command, [...prefix, ...args], {
    cwd: appDir,
    stdio: ["ignore", "pipe", "pipe"],
    // Its own process group, so that Ctrl-C can be imitated as a terminal does it: to every process.
    detached: true,
    env,
  });
}

interface Demo {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  appUrl: string;
  inboxUrl: string;
}

async function startDemo(): Promise<Demo> {
  ensureBuilt();
  const [appPort, sandboxPort] = [await freePort(), await freePort()];
  const child = pnpm(
    ["run", "demo"],
    cleanEnv({ PORT: String(appPort), SANDBOX_PORT: String(sandboxPort), OTP_APP_NAME: "" }),
  );
  let output = "";
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  await waitFor("the demo banner", async () => (output.includes("Press Ctrl-C") ? true : undefined), 90_000);
  return {
    child,
    output: () => output,
    exited,
    appUrl: `http://127.0.0.1:${appPort}`,
    inboxUrl: `http://127.0.0.1:${sandboxPort}`,
  };
}

/** Sends `signal` (to the whole group, as a terminal's Ctrl-C does, or to pnpm alone) and waits for the exit code. */
async function stopDemo(demo: Demo, target: "group" | "pnpm"): Promise<number | null> {
  if (target === "group") process.kill(-demo.child.pid!, "SIGINT");
  else demo.child.kill("SIGINT");
  const timeout = setTimeout(() => process.kill(-demo.child.pid!, "SIGKILL"), 20_000);
  const code = await demo.exited;
  clearTimeout(timeout);
  return code;
}

const post = (url: string, body: unknown) =>
  fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(20_000),
  });

/** The app's terminal lines (the demo prefixes them with "app │") printed after `mark`. */
const appLinesAfter = (output: string, mark: number) =>
  output
    .slice(mark)
    .split("\n")
    .filter((line) => line.startsWith("  app │"));

describe("the demo launcher", () => {
  it("serves the app and the inbox, texts the app name and WebOTP line, logs provider failures in one line, stops on Ctrl-C with exit 0", async () => {
    const demo = await startDemo();
    const { appUrl, inboxUrl } = demo;
    try {
      expect(demo.output()).toContain(`App        ${appUrl}`);
      expect(demo.output()).toContain(`SMS inbox  ${inboxUrl}`);

      const signIn = await fetch(`${appUrl}/signin`, { signal: AbortSignal.timeout(10_000) });
      expect(signIn.status).toBe(200);
      expect(await signIn.text()).toContain("Sign in with your phone");
      const inbox = await fetch(`${inboxUrl}/`, { signal: AbortSignal.timeout(5000) });
      expect(inbox.status).toBe(200);

      // A national number: OTP_DEFAULT_COUNTRY=US makes "(415) 555-0190" +14155550190.
      const send = await post(`${appUrl}/api/otp/send`, { phone: "(415) 555-0190" });
      expect(send.status).toBe(200);
      const { id } = (await send.json()) as { id: string };
      const [message] = (
        (await (await fetch(`${inboxUrl}/api/sandbox/messages?to=%2B14155550190`)).json()) as {
          messages: { body: string; code: string }[];
        }
      ).messages;
      // OTP_APP_NAME was set empty for this run: the demo's default name applies.
      expect(message!.body).toMatch(/^otpkit demo: your login code is (\d{6})\./);
      expect(message!.body).toMatch(new RegExp(`\\n@127\\.0\\.0\\.1 #${message!.code}$`));

      // A wrong code through NextAuth: the app tells the inbox, which counts it on the live code.
      const csrf = await fetch(`${appUrl}/api/auth/csrf`);
      const { csrfToken } = (await csrf.json()) as { csrfToken: string };
      const cookie = csrf.headers
        .getSetCookie()
        .map((header) => header.split(";")[0])
        .join("; ");
      const wrong = String((Number(message!.code) + 1) % 1_000_000).padStart(6, "0");
      await fetch(`${appUrl}/api/auth/callback/sms-otp`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", cookie },
        body: new URLSearchParams({ id, phone: "+14155550190", code: wrong, csrfToken, json: "true" }),
        redirect: "manual",
        signal: AbortSignal.timeout(10_000),
      });
      await waitFor(
        "the inbox to count the wrong code",
        async () =>
          (await (await fetch(`${inboxUrl}/inbox/list`)).text()).includes("1 wrong attempt")
            ? true
            : undefined,
        10_000,
      );
      expect(demo.output()).not.toContain(message!.code);

      // Provider failures: one line each in the app's terminal, with the error code; never a stack.
      const cases: [string, unknown, number, RegExp][] = [
        ["+14155550191", { status: 500 }, 502, /otpkit: send_failed \(HTTP 502\): .*HTTP 500/],
        ["+14155550192", { status: 402 }, 402, /otpkit: SMS quota exhausted .*402 quota_exceeded/],
        [
          "+14155550193",
          { hang: true, count: 1 },
          502,
          /otpkit: send_failed \(HTTP 502\): .*could not be reached.*Timeout/,
        ],
      ];
      for (const [phone, faults, status, line] of cases) {
        await post(`${inboxUrl}/api/sandbox/faults`, faults);
        const mark = demo.output().length;
        expect((await post(`${appUrl}/api/otp/send`, { phone })).status).toBe(status);
        await waitFor(
          "the failure's log line",
          async () => (line.test(demo.output().slice(mark)) ? true : undefined),
          5000,
        );
        await new Promise((resolve) => setTimeout(resolve, 300)); // anything else it would print
        const lines = appLinesAfter(demo.output(), mark);
        expect(lines, lines.join("\n")).toHaveLength(1);
        expect(lines[0]).toMatch(line);
        await fetch(`${inboxUrl}/api/sandbox/faults`, { method: "DELETE" });
      }
    } finally {
      const code = await stopDemo(demo, "group");
      expect(code, demo.output()).toBe(0);
    }
    expect(demo.output()).not.toMatch(/ELIFECYCLE|Command failed/);
    // Both servers are gone, not orphaned.
    await expect(fetch(`${appUrl}/signin`, { signal: AbortSignal.timeout(5000) })).rejects.toThrow();
    await expect(fetch(`${inboxUrl}/`, { signal: AbortSignal.timeout(5000) })).rejects.toThrow();
  });

  it("SIGINT to pnpm alone (no terminal group): the launcher forwards it to the app, waits, exits 0", async () => {
    const demo = await startDemo();
    const code = await stopDemo(demo, "pnpm");
    expect(code, demo.output()).toBe(0);
    expect(demo.output()).not.toMatch(/ELIFECYCLE|Command failed/);
    await expect(fetch(`${demo.appUrl}/signin`, { signal: AbortSignal.timeout(5000) })).rejects.toThrow();
    await expect(fetch(`${demo.inboxUrl}/`, { signal: AbortSignal.timeout(5000) })).rejects.toThrow();
  });
});
