/**
 * `pnpm demo:supabase`'s launcher: it starts the function on Deno, the sandbox and the page, its
 * signed sample call lands in the inbox, and Ctrl-C stops all of them.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

const exampleDir = fileURLToPath(new URL("..", import.meta.url));

it("serves the function, the inbox and the page, and stops all three on SIGINT", async () => {
  const demo = spawn(process.execPath, ["scripts/demo.mjs"], {
    cwd: exampleDir,
    stdio: ["ignore", "pipe", "pipe"],
    // Its own process group, so that Ctrl-C reaches it as a terminal sends it.
    detached: true,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "/tmp",
      PORT: "0",
      SANDBOX_PORT: "0",
      WEB_PORT: "0",
    },
  });
  let output = "";
  demo.stdout.on("data", (chunk) => (output += chunk));
  demo.stderr.on("data", (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => demo.once("exit", (code) => resolve(code)));
  const urls: string[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no banner:\n${output}`)), 30_000);
      const poll = setInterval(() => {
        if (!output.includes("Press Ctrl-C")) return;
        clearInterval(poll);
        clearTimeout(timer);
        resolve();
      }, 50);
    });
    for (const label of ["Function", "SMS inbox", "Page"]) {
      const url = new RegExp(`${label} +(http://127\\.0\\.0\\.1:\\d+)`).exec(output)?.[1];
      expect(url, label).toBeDefined();
      urls.push(url!);
    }
    const [functionUrl, inboxUrl, pageUrl] = urls as [string, string, string];
    expect(output).toContain("A sample hook call answered {}");
    const code = await fetch(`${inboxUrl}/api/sandbox/last-code?to=%2B14155550123`);
    expect(((await code.json()) as { code: string }).code).toMatch(/^\d{6}$/);
    expect(await (await fetch(`${pageUrl}/`)).text()).toContain("Sign in with your phone");
    // Unsigned calls are refused.
    expect((await fetch(`${functionUrl}/`, { method: "POST", body: "{}" })).status).toBe(401);
  } finally {
    process.kill(-demo.pid!, "SIGINT");
    const force = setTimeout(() => demo.kill("SIGKILL"), 15_000);
    const code = await exited;
    clearTimeout(force);
    expect(code, output).toBe(0);
  }
  for (const url of urls) await expect(fetch(url, { signal: AbortSignal.timeout(3000) })).rejects.toThrow();
});
