/**
 * What the runtime tests run against: the real sandbox (`otpkit sandbox`) as the SMS provider, a
 * second sandbox that hangs every send, a port that refuses connections, a PostgreSQL schema and a
 * Redis key prefix of this run's own — and the fixture hooks on Deno or on Node.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parsePhone } from "@otpkit/otp-core";
import { Redis } from "ioredis";
import { type Sandbox, startSandbox } from "otpkit";
import pg from "pg";
import { newHookSecret } from "./sign.js";

export const databaseUrl = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
export const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

/** A port that was free a moment ago: nothing listens there, so connections are refused. */
export async function refusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface Environment {
  env: Record<string, string>;
  /** Both hook secrets (rotation); the fixture accepts either. */
  secrets: [string, string];
  sandbox: Sandbox;
  schema: string;
  redisPrefix: string;
  pool: pg.Pool;
  redis: Redis;
  close(): Promise<void>;
}

export async function startEnvironment(): Promise<Environment> {
  const run = randomBytes(5).toString("hex");
  const sandbox = await startSandbox({ port: 0 });
  const hanging = await startSandbox({ port: 0, faults: { hang: true } });
  const schema = `otpkit_supabase_${run}`;
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  await pool.query(`CREATE SCHEMA ${schema}`);
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  const redisPrefix = `otpkit-supabase-${run}:`;
  const secrets: [string, string] = [newHookSecret(), newHookSecret()];
  const url = new URL(databaseUrl);
  url.searchParams.set("options", `-c search_path=${schema}`);
  const env = {
    SEND_SMS_HOOK_SECRETS: secrets.join("|"),
    OTP_SECRET: randomBytes(32).toString("base64"),
    SANDBOX_API_URL: sandbox.apiUrl,
    HANGING_API_URL: hanging.apiUrl,
    REFUSED_API_URL: `http://127.0.0.1:${await refusedPort()}/api/v1`,
    DATABASE_URL: url.toString(),
    REDIS_URL: redisUrl,
    REDIS_PREFIX: redisPrefix,
  };
  return {
    env,
    secrets,
    sandbox,
    schema,
    redisPrefix,
    pool,
    redis,
    async close() {
      await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
      await pool.end();
      const keys = await redis.keys(`{${redisPrefix}*`);
      if (keys.length) await redis.del(...keys);
      redis.disconnect();
      await Promise.all([sandbox.close(), hanging.close()]);
    },
  };
}

/** A served hook: where to call it, what it logged, how to stop it. */
export interface Served {
  url: string;
  logs(): string;
  close(): Promise<void>;
}

/** The Deno binary the npm `deno` package installed (from its platform package; no other download). */
export const denoBinary = join(dirname(createRequire(import.meta.url).resolve("deno/package.json")), "deno");

/** Only what the child needs: a developer's own variables must not leak into it. */
function childEnv(extra: Record<string, string>): Record<string, string> {
  const { PATH = "", HOME = "/tmp" } = process.env;
  return { PATH, HOME, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1", ...extra };
}

/**
 * Starts `entry` on Deno with exactly the permissions the README gives, in `cwd`, and waits for
 * the `{"listening": port}` line (or `PORT`'s "Listening on" line). Killed by its PID on close.
 */
export async function startDeno(
  entry: string,
  { cwd, env }: { cwd: string; env: Record<string, string> },
): Promise<Served> {
  const child: ChildProcess = spawn(
    denoBinary,
    ["run", "--allow-net", "--allow-env", "--allow-read", entry],
    { cwd, env: childEnv(env), stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  let errors = "";
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Deno did not start:\n${output}\n${errors}`)), 20_000);
    // Our fixture prints {"listening": port} on stdout; Deno.serve's own banner goes to stderr.
    const check = () => {
      const match = /"listening":\s*(\d+)|Listening on http:\/\/[^\s]+:(\d+)\//.exec(output + errors);
      if (!match) return;
      clearTimeout(timer);
      resolve(Number(match[1] ?? match[2]));
    };
    child.stdout!.on("data", (chunk) => {
      output += chunk;
      check();
    });
    child.stderr!.on("data", (chunk) => {
      errors += chunk;
      check();
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`Deno exited with ${code}:\n${output}\n${errors}`));
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    logs: () => errors,
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      process.kill(child.pid!, "SIGTERM");
      await exited;
    },
  };
}

export const packageDir = fileURLToPath(new URL("..", import.meta.url));

/** A random valid mobile number in `range` (E.164 without its last `free` digits), or anywhere in +1 415. */
export function mobileNumber(range?: string, free = 3): string {
  for (;;) {
    const digits = Array.from({ length: free }, () => Math.floor(Math.random() * 10)).join("");
    const candidate =
      range === undefined
        ? `+1415${2 + Math.floor(Math.random() * 8)}${String(Math.random()).slice(2, 8)}`
        : `${range}${digits}`;
    try {
      parsePhone(candidate);
      return candidate;
    } catch {
      if (range !== undefined && free === 0) throw new Error(`${candidate} is not a valid number`);
    }
  }
}

/** A number in a fresh range: its first `length - free` digits. */
export function numberRange(free = 3): string {
  const number = mobileNumber();
  return number.slice(0, number.length - free);
}

/** A random valid Brazilian mobile number (São Paulo, 9 digits starting with 9). */
export function brazilianMobile(): string {
  for (;;) {
    const candidate = `+55119${String(Math.random()).slice(2, 10)}`;
    try {
      if (parsePhone(candidate).country === "BR") return candidate;
    } catch {
      // try another
    }
  }
}
