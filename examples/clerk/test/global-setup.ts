/**
 * Everything the route tests run against, started once per `vitest run`: the Backend API double
 * and the otpkit SMS sandbox on loopback, a local RSA key for session tokens, the example built
 * once (when no build exists; turbo's `test` task built it already) and served by `next start` on
 * localhost. Every process started here is stopped by its handle in the teardown.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { createWriteStream, existsSync, mkdtempSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startSandbox } from "otpkit";
import type { TestProject } from "vitest/node";
import { startClerkApiFake } from "../../../packages/clerk/test/clerk-api-fake";
import { newSigningSecret } from "../../../packages/clerk/test/sms-fixtures";
import { freePort, waitFor } from "./servers";

const appDir = fileURLToPath(new URL("..", import.meta.url));
const nextBin = createRequire(import.meta.url).resolve("next/dist/bin/next");

/** Only what the app needs: a developer's .env or REDIS_URL must not leak into a test run. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NEXT_TELEMETRY_DISABLED: "1" };
  for (const name of Object.keys(env))
    if (/^(CLERK_|NEXT_PUBLIC_CLERK_|OTP_|UNOSEND_|SMS_|REDIS_URL|DATABASE_URL)/.test(name)) delete env[name];
  return Object.assign(env, extra);
}

export default async function setup(project: TestProject) {
  const stops: (() => Promise<void>)[] = [];
  const teardown = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  };
  try {
    const clerkApi = await startClerkApiFake();
    stops.push(() => clerkApi.close());
    const sms = await startSandbox({ port: 0, host: "127.0.0.1" });
    stops.push(() => sms.close());
    const keyPair = () => generateKeyPairSync("rsa", { modulusLength: 2048 });
    const session = keyPair();
    const stranger = keyPair();
    const webhookSecret = newSigningSecret();

    if (!existsSync(join(appDir, ".next/BUILD_ID")))
      execFileSync(process.execPath, [nextBin, "build"], {
        cwd: appDir,
        stdio: "inherit",
        timeout: 300_000,
        env: cleanEnv({}),
      });

    const port = await freePort();
    // localhost, not 127.0.0.1: clerkMiddleware's rewrites address the app as localhost.
    const appUrl = `http://localhost:${port}`;
    const appLog = join(mkdtempSync(join(tmpdir(), "otpkit-clerk-")), "next.log");
    const log = createWriteStream(appLog);
    const child: ChildProcess = spawn(
      process.execPath,
      [nextBin, "start", "--hostname", "localhost", "--port", String(port)],
      {
        cwd: appDir,
        stdio: ["ignore", "pipe", "pipe"],
        env: cleanEnv({
          NODE_ENV: "production",
          CLERK_SECRET_KEY: "sk_test_otpkit",
          NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY: `pk_test_${Buffer.from("fake-frontend.clerk.accounts.dev$").toString("base64")}`,
          CLERK_API_URL: clerkApi.url,
          CLERK_JWT_KEY: session.publicKey.export({ type: "spki", format: "pem" }).toString(),
          CLERK_TELEMETRY_DISABLED: "1",
          CLERK_WEBHOOK_SIGNING_SECRET: webhookSecret,
          OTP_SECRET: randomBytes(32).toString("base64url"),
          OTP_COUNTRIES: "US,CA,GB",
          UNOSEND_API_URL: sms.apiUrl,
          UNOSEND_API_KEY: "sandbox",
          // Mode B's country policy: the "blocked → 200, nothing sent" case.
          OTP_BLOCKED_COUNTRIES: "GB",
        }),
      },
    );
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    stops.push(async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      const force = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(force);
    });
    try {
      await waitFor(
        `next start on ${appUrl}`,
        async () => {
          if (child.exitCode !== null) throw new Error("next start exited");
          const response = await fetch(`${appUrl}/api/phone`, {
            method: "POST",
            signal: AbortSignal.timeout(5000),
          });
          // 401: the middleware and the route answer (no session).
          return response.status === 401 ? true : undefined;
        },
        60_000,
      );
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${readFileSync(appLog, "utf8")}`);
    }

    project.provide("appUrl", appUrl);
    project.provide("clerkApiUrl", clerkApi.url);
    project.provide("sandboxUrl", sms.url);
    project.provide("sessionKey", session.privateKey.export({ type: "pkcs8", format: "pem" }).toString());
    project.provide("strangerKey", stranger.privateKey.export({ type: "pkcs8", format: "pem" }).toString());
    project.provide("webhookSecret", webhookSecret);
    project.provide("appLog", appLog);
  } catch (error) {
    await teardown();
    throw error;
  }
  return teardown;
}
