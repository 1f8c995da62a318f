/**
 * The example function's configuration on real Deno: what production refuses (and says why), the
 * development fallbacks, and the Redis store from the function. One Deno process per setting.
 */
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { type Sandbox, startSandbox } from "otpkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mobileNumber, redisUrl, type Served, startDeno } from "../../../packages/supabase/test/runtime.js";
import { callHook, newHookSecret, sendSmsPayload } from "../../../packages/supabase/test/sign.js";

const exampleDir = fileURLToPath(new URL("..", import.meta.url));
const secrets = [newHookSecret()];
const redisPrefix = `otpkit-supabase-example-${randomBytes(5).toString("hex")}:`;
let sandbox: Sandbox;
const started: Served[] = [];

function start(env: Record<string, string>) {
  return startDeno("supabase/functions/send-sms/index.ts", {
    cwd: exampleDir,
    env: {
      HOST: "127.0.0.1",
      PORT: "0",
      SEND_SMS_HOOK_SECRETS: secrets[0]!,
      OTP_SECRET: randomBytes(32).toString("base64"),
      OTP_COUNTRIES: "US,CA,GB",
      ...env,
    },
  }).then((served) => {
    started.push(served);
    return served;
  });
}

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
});
afterAll(async () => {
  await Promise.all(started.map((served) => served.close()));
  await sandbox?.close();
  const redis = new Redis(redisUrl);
  const keys = await redis.keys(`{${redisPrefix}*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

const inbox = (phone: string) => sandbox.messages.filter((message) => message.to === phone);

describe("the example function's configuration", () => {
  it("in production without DATABASE_URL or REDIS_URL: refuses to send and logs why", async () => {
    const served = await start({ UNOSEND_API_URL: sandbox.apiUrl, UNOSEND_API_KEY: "sandbox" });
    const phone = mobileNumber();
    const answer = await callHook(`${served.url}/`, secrets, sendSmsPayload({ phone }));
    expect(answer.json).toEqual({ error: { http_code: 500, message: expect.stringMatching(/\S/) } });
    expect(inbox(phone)).toEqual([]);
    expect(served.logs()).toContain("DATABASE_URL or REDIS_URL must be set in production");
  });

  it("in development: the memory store, sending and deduplicating", async () => {
    const served = await start({ OTPKIT_ENV: "development", UNOSEND_API_URL: sandbox.apiUrl });
    const phone = mobileNumber();
    const payload = sendSmsPayload({ phone });
    expect((await callHook(`${served.url}/`, secrets, payload)).text).toBe("{}");
    expect((await callHook(`${served.url}/`, secrets, payload)).text).toBe("{}");
    expect(inbox(phone)).toHaveLength(1);
  });

  it("in production on Redis: sends, deduplicates, keeps its keys under REDIS_KEY_PREFIX", async () => {
    const served = await start({
      UNOSEND_API_URL: sandbox.apiUrl,
      UNOSEND_API_KEY: "sandbox",
      REDIS_URL: redisUrl,
      REDIS_KEY_PREFIX: redisPrefix,
    });
    const phone = mobileNumber();
    const payload = sendSmsPayload({ phone });
    expect((await callHook(`${served.url}/`, secrets, payload)).text).toBe("{}");
    expect((await callHook(`${served.url}/`, secrets, payload)).text).toBe("{}");
    expect(inbox(phone)).toHaveLength(1);
    const redis = new Redis(redisUrl);
    expect((await redis.keys(`{${redisPrefix}*`)).length).toBeGreaterThan(0);
    redis.disconnect();
  });

  it("refuses to start without the hook secret", async () => {
    await expect(start({ OTPKIT_ENV: "development", SEND_SMS_HOOK_SECRETS: "" })).rejects.toThrow(
      /SEND_SMS_HOOK_SECRETS must be set/,
    );
  });
});
