/**
 * The step-up as a person meets it, over real HTTP on loopback: `pnpm demo:auth0`'s launcher
 * starts the verify page (`next start` of the production build), the SMS sandbox and the local
 * Auth0 stand-in running the example's built post-login Action; the test follows the redirects a
 * browser would, reads the code from the sandbox, and posts the answer back to /continue.
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const appDir = fileURLToPath(new URL("..", import.meta.url));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitFor(what: string, check: () => boolean, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}.`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** turbo's `test` task builds first; a bare `vitest run` builds here. */
function ensureBuilt() {
  if (
    existsSync(new URL("../.next/BUILD_ID", import.meta.url)) &&
    existsSync(new URL("../dist/actions", import.meta.url))
  )
    return;
  const pnpmLess = [createRequire(import.meta.url).resolve("next/dist/bin/next"), "build"];
  execFileSync(process.execPath, ["scripts/build-actions.mjs"], { cwd: appDir, stdio: "inherit" });
  execFileSync(process.execPath, pnpmLess, { cwd: appDir, stdio: "inherit", timeout: 300_000 });
}

const timeout = () => AbortSignal.timeout(15_000);

describe("pnpm demo:auth0", () => {
  it("steps Ada up by SMS, denies a /continue without the page's answer, and stops on SIGINT", async () => {
    ensureBuilt();
    const [appPort, sandboxPort, auth0Port] = [await freePort(), await freePort(), await freePort()];
    const { REDIS_URL: _r, OTP_SECRET: _o, STEP_UP_SECRET: _s, ...env } = process.env;
    const demo = spawn(process.execPath, ["scripts/demo.mjs"], {
      cwd: appDir,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true, // its own process group: Ctrl-C reaches every process in it, as in a terminal
      env: {
        ...env,
        PORT: String(appPort),
        SANDBOX_PORT: String(sandboxPort),
        AUTH0_PORT: String(auth0Port),
      },
    });
    let output = "";
    demo.stdout.on("data", (chunk) => (output += chunk));
    demo.stderr.on("data", (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => demo.once("exit", (code) => resolve(code)));
    const app = `http://127.0.0.1:${appPort}`;
    const inbox = `http://127.0.0.1:${sandboxPort}`;
    const auth0 = `http://127.0.0.1:${auth0Port}`;
    const lastCode = async (to: string) => {
      const reply = await fetch(`${inbox}/api/sandbox/last-code?to=${encodeURIComponent(to)}`, {
        signal: timeout(),
      });
      return reply.ok ? ((await reply.json()) as { code: string }).code : undefined;
    };
    const login = async (user: string) => {
      const reply = await fetch(`${auth0}/authorize?user=${user}`, { redirect: "manual", signal: timeout() });
      return reply;
    };
    try {
      await waitFor(
        "the demo banner",
        () => output.includes("Press Ctrl-C") || demo.exitCode !== null,
        90_000,
      );
      expect(output).toContain(`Log in     ${auth0}`);
      expect(output).toContain(`SMS inbox  ${inbox}`);

      // Bob has no SMS 2FA: the Action lets him through without a redirect.
      const bob = await login("bob");
      expect(bob.status).toBe(200);
      expect(await bob.text()).toContain("no step-up needed");

      // Ada: redirected to the verify page with Auth0's session token and state.
      const first = await login("ada");
      expect(first.status).toBe(302);
      const verifyUrl = new URL(first.headers.get("location")!);
      expect(`${verifyUrl.origin}${verifyUrl.pathname}`).toBe(`${app}/verify`);
      const page = await fetch(verifyUrl, { signal: timeout() });
      expect(page.status).toBe(200);
      expect(page.headers.get("referrer-policy")).toBe("no-referrer");
      expect(await page.text()).toContain("Check your phone");
      const sessionToken = verifyUrl.searchParams.get("session_token")!;
      const state = verifyUrl.searchParams.get("state")!;
      const headers = { authorization: `Bearer ${sessionToken}`, "content-type": "application/json" };

      // The page's send names Bob in its body: the code still goes to Ada, the token's user.
      const sent = await fetch(`${app}/api/step-up/send`, {
        method: "POST",
        headers,
        body: JSON.stringify({ phone: "+14155550124", user_id: "auth0|bob" }),
        signal: timeout(),
      });
      expect(sent.status).toBe(200);
      const code = await lastCode("+14155550123");
      expect(code).toMatch(/^\d{6}$/);
      expect(await lastCode("+14155550124")).toBeUndefined();

      // Going back to /continue without the page's answer: denied.
      const skipped = await fetch(`${auth0}/continue`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ state }),
        signal: timeout(),
      });
      expect(skipped.status).toBe(403);
      expect(await skipped.text()).toContain("SMS verification did not succeed");

      // A new login: wrong code refused, right code answered, Auth0 lets her in.
      const second = new URL((await login("ada")).headers.get("location")!);
      const retryHeaders = {
        authorization: `Bearer ${second.searchParams.get("session_token")}`,
        "content-type": "application/json",
      };
      const check = (body: unknown) =>
        fetch(`${app}/api/step-up/check`, {
          method: "POST",
          headers: { ...retryHeaders, "x-auth0-state": second.searchParams.get("state")! },
          body: JSON.stringify(body),
          signal: timeout(),
        });
      // The code sent for the first login is bound to Ada, not to that login: it is still hers.
      const wrong = await check({ code: code === "000000" ? "111111" : "000000" });
      expect(wrong.status).toBe(422);
      const right = await check({ code });
      expect(right.status).toBe(200);
      const answer = (await right.json()) as {
        continue_url: string;
        continue_fields: Record<string, string>;
      };
      expect(answer.continue_url).toBe(`${auth0}/continue`);
      const resumed = await fetch(answer.continue_url, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams(answer.continue_fields),
        signal: timeout(),
      });
      expect(resumed.status).toBe(200);
      expect(await resumed.text()).toContain("passed the SMS step-up");
    } finally {
      if (demo.exitCode === null) process.kill(-demo.pid!, "SIGINT");
      const force = setTimeout(() => demo.kill("SIGKILL"), 20_000);
      const code = await exited;
      clearTimeout(force);
      expect(code, output).toBe(0);
    }
    await expect(fetch(`${app}/`, { signal: AbortSignal.timeout(5000) })).rejects.toThrow();
    await expect(fetch(`${auth0}/`, { signal: AbortSignal.timeout(5000) })).rejects.toThrow();
  });
});
