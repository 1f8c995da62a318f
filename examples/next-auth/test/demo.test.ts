/**
 * Smoke test of the main job: `pnpm demo`'s launcher starts the sandbox and the app, prints both
 * URLs, serves them, and stops both cleanly on SIGINT (Ctrl-C).
 */
import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { appDir, cleanEnv, ensureBuilt, freePort, waitFor } from "./servers";

describe("the demo launcher", () => {
  it("serves the app and the SMS inbox, and stops both on SIGINT", async () => {
    ensureBuilt();
    const [appPort, sandboxPort] = [await freePort(), await freePort()];
    const appUrl = `http://127.0.0.1:${appPort}`;
    const inboxUrl = `http://127.0.0.1:${sandboxPort}`;
    const demo = spawn(process.execPath, ["scripts/demo.mjs"], {
      cwd: appDir,
      stdio: ["ignore", "pipe", "pipe"],
      // Its own process group, so that Ctrl-C can be imitated as a terminal does it: to every process.
      detached: true,
      env: cleanEnv({ PORT: String(appPort), SANDBOX_PORT: String(sandboxPort) }),
    });
    let output = "";
    demo.stdout.on("data", (chunk) => (output += chunk));
    demo.stderr.on("data", (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => demo.once("exit", (code) => resolve(code)));
    try {
      await waitFor(
        "the demo banner",
        async () => (output.includes("Press Ctrl-C") ? true : undefined),
        90_000,
      );
      expect(output).toContain(`App        ${appUrl}`);
      expect(output).toContain(`SMS inbox  ${inboxUrl}`);

      const signIn = await fetch(`${appUrl}/signin`, { signal: AbortSignal.timeout(10_000) });
      expect(signIn.status).toBe(200);
      expect(await signIn.text()).toContain("Sign in with your phone");
      const inbox = await fetch(`${inboxUrl}/`, { signal: AbortSignal.timeout(5000) });
      expect(inbox.status).toBe(200);
      // The app texts the sandbox: a send shows up in the inbox's test endpoint.
      const send = await fetch(`${appUrl}/api/otp/send`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ phone: "+14155550190" }),
        signal: AbortSignal.timeout(10_000),
      });
      expect(send.status).toBe(200);
      const code = await fetch(`${inboxUrl}/api/sandbox/last-code?to=%2B14155550190`, {
        signal: AbortSignal.timeout(5000),
      });
      expect(((await code.json()) as { code: string }).code).toMatch(/^\d{6}$/);
    } finally {
      process.kill(-demo.pid!, "SIGINT");
      const timeout = setTimeout(() => demo.kill("SIGKILL"), 20_000);
      const code = await exited;
      clearTimeout(timeout);
      expect(code, output).toBe(0);
    }
    // Both servers are gone, not orphaned.
    await expect(fetch(`${appUrl}/signin`, { signal: AbortSignal.timeout(5000) })).rejects.toThrow();
    await expect(fetch(`${inboxUrl}/`, { signal: AbortSignal.timeout(5000) })).rejects.toThrow();
  });
});
