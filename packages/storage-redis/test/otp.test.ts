import { createOtp, createOtpHandler, outbox } from "@otpkit/otp-core";
import { expectStoreUnavailable } from "@otpkit/otp-core/testing";
import { Redis } from "ioredis";
import { createClient } from "redis";
import { afterAll, describe, expect, it } from "vitest";
import { redisStore } from "../src/index.js";
import { closedPort, dropKeys, ioredisClient, keysOf, runPrefix } from "./helpers.js";

const secret = "redis-test-secret-redis-test-secret-0123";
const phones = ["+14155552671", "+14155552672", "+447400123456", "+33612345678"];

describe("through createOtp on real Redis", () => {
  const client = ioredisClient();
  const prefix = runPrefix("otp");
  afterAll(async () => {
    await dropKeys(client, prefix);
    client.disconnect();
  });

  it("sends and verifies, and the key layout is {prefix+tenant}:r:… and {prefix+tenant}:w:…", async () => {
    const sender = outbox();
    const otp = createOtp({ secret, store: redisStore({ client, prefix }), sender });
    const sent = await otp.send({ phone: phones[0]!, ip: "203.0.113.9", tenant: "acme" });
    const keys = (await keysOf(client, prefix)).sort();
    const tag = `{${prefix}acme}`;
    expect(keys.every((key) => key.startsWith(`${tag}:`))).toBe(true);
    expect(keys.filter((key) => key.startsWith(`${tag}:r:l:`))).toHaveLength(1);
    expect(
      keys.filter((key) => key.startsWith(`${tag}:w:rl:`)).map((key) => key.split(":").slice(3, 6)),
    ).toEqual(
      expect.arrayContaining([
        ["rl", "cooldown", "60"],
        ["rl", "ip", "600"],
        // One log per subject carries its hour and day rules (the store says `sharedLogs`).
        ["rl", "phone", "3600+86400"],
        ["rl", "ceiling", "3600+86400"],
        ["rl", "prefix", "3600"],
      ]),
    );
    // A shared log lives as long as its longest window: the day.
    const phoneLog = keys.find((key) => key.includes(":w:rl:phone:3600+86400:"))!;
    expect(await client.pttl(phoneLog)).toBeGreaterThan(23 * 3_600_000);
    const ttl = await client.pttl(keys.find((key) => key.includes(":r:"))!);
    expect(ttl).toBeGreaterThan(10 * 60_000); // retained 10 minutes past the 5-minute expiry
    expect(ttl).toBeLessThanOrEqual(15 * 60_000);

    const code = sender.lastCode(phones[0]!)!;
    await expect(
      otp.verify({ id: sent.id, code: code === "000000" ? "111111" : "000000", tenant: "acme" }),
    ).rejects.toMatchObject({
      code: "invalid_code",
      attemptsLeft: 2,
    });
    await expect(otp.verify({ id: sent.id, code, tenant: "acme" })).resolves.toMatchObject({
      status: "approved",
    });
    await expect(otp.verify({ id: sent.id, code, tenant: "acme" })).rejects.toMatchObject({
      code: "not_found",
    });
    // A second send to the same phone from the same requester inside the cooldown is refused.
    await expect(otp.send({ phone: phones[0]!, ip: "203.0.113.9", tenant: "acme" })).rejects.toMatchObject({
      code: "rate_limited",
    });
  });
});

describe("fails closed when Redis is unreachable", () => {
  const send = (otp: ReturnType<typeof createOtp>) => otp.send({ phone: phones[0]!, ip: "203.0.113.1" });
  // A well-formed id (the key digest part is arbitrary): verify reaches the store.
  const verify = (otp: ReturnType<typeof createOtp>) =>
    otp.verify({ id: "ver_l6AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBB", code: "123456" });

  it("ioredis as the README recommends: no offline queue, one retry, short connect timeout", async () => {
    const client = new Redis({
      host: "127.0.0.1",
      port: await closedPort(),
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 500,
      lazyConnect: true,
    });
    client.on("error", () => {});
    const otp = createOtp({ secret, store: redisStore({ client }), sender: outbox() });
    await expectStoreUnavailable(send(otp), 500);
    await expectStoreUnavailable(verify(otp), 500);
    client.disconnect();
  });

  it("ioredis with its defaults (commands queue while it reconnects): the store's own timeout bounds it", async () => {
    const client = new Redis({ host: "127.0.0.1", port: await closedPort() });
    client.on("error", () => {});
    const otp = createOtp({ secret, store: redisStore({ client, timeoutMs: 300 }), sender: outbox() });
    expect(await expectStoreUnavailable(send(otp), 1500)).toBeGreaterThanOrEqual(250);
    await expectStoreUnavailable(verify(otp), 1500);
    client.disconnect();
  });

  it("node-redis whose connection failed", async () => {
    const client = createClient({
      socket: { host: "127.0.0.1", port: await closedPort(), connectTimeout: 500, reconnectStrategy: false },
      disableOfflineQueue: true,
    });
    client.on("error", () => {});
    await expect(client.connect()).rejects.toThrow();
    const otp = createOtp({ secret, store: redisStore({ client }), sender: outbox() });
    await expectStoreUnavailable(send(otp), 500);
    await expectStoreUnavailable(verify(otp), 500);
  });

  it("the HTTP handler answers 503 store_unavailable, never a verification", async () => {
    const client = new Redis({
      host: "127.0.0.1",
      port: await closedPort(),
      enableOfflineQueue: false,
      lazyConnect: true,
    });
    client.on("error", () => {});
    const otp = createOtp({ secret, store: redisStore({ client }), sender: outbox() });
    const errors: unknown[] = [];
    const handler = createOtpHandler(otp, { onError: (error) => errors.push(error), verifyBy: "phone" });
    const post = (path: string, body: unknown) =>
      handler(
        new Request(`http://localhost/v1/sms/verify/${path}`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        }),
        { ip: "203.0.113.7" },
      );
    for (const response of [
      await post("send", { phone: phones[0] }),
      await post("check", { id: "ver_l6AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBB", code: "123456" }),
      await post("check", { phone: phones[0], code: "123456" }),
    ]) {
      expect(response.status).toBe(503);
      expect((await response.json()).error.code).toBe("store_unavailable");
    }
    expect(errors).toHaveLength(3);
    client.disconnect();
  });
});

describe("redisStore.fromUrl", () => {
  it("makes its own fail-fast client, connected, and closes it", async () => {
    const prefix = runPrefix("from-url");
    const store = await redisStore.fromUrl(process.env.REDIS_URL ?? "redis://127.0.0.1:6379", { prefix });
    try {
      const sender = outbox();
      const otp = createOtp({ secret, store, sender });
      const sent = await otp.send({ phone: phones[1]! });
      await expect(otp.verify({ id: sent.id, code: sender.lastCode(phones[1]!)! })).resolves.toMatchObject({
        status: "approved",
      });
      expect(store.client.status).toBe("ready");
    } finally {
      await dropKeys(store.client, prefix);
      await store.close();
    }
    await expect(store.client.ping()).rejects.toThrow(); // closed: no command goes out any more
  });

  it("refuses an unreachable server promptly, naming it without its password", async () => {
    const url = `redis://user:hunter2@127.0.0.1:${await closedPort()}/0`;
    const error = await redisStore.fromUrl(url, { connectTimeoutMs: 500 }).catch((caught: Error) => caught);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/^Redis at redis:\/\/127\.0\.0\.1:\d+\/0 is unavailable/);
    expect((error as Error).message).not.toContain("hunter2");
  });
});

describe("recovers from a half-open connection", () => {
  for (const kind of ["ioredis", "node-redis"] as const) {
    it(`${kind}: after a few timeouts the store reconnects, and requests succeed again within seconds`, async () => {
      const { tcpProxy } = await import("@otpkit/otp-core/testing/node");
      const proxy = await tcpProxy(
        Number(new URL(process.env.REDIS_URL ?? "redis://127.0.0.1:6379").port || 6379),
      );
      // As the README recommends (no replay of commands the store already reported as failed).
      const io = new Redis({
        host: "127.0.0.1",
        port: proxy.port,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 1,
        autoResendUnfulfilledCommands: false,
      });
      io.on("error", () => {});
      const node = createClient({ socket: { host: "127.0.0.1", port: proxy.port } });
      node.on("error", () => {});
      const client = kind === "ioredis" ? io : await node.connect();
      if (kind === "ioredis") await new Promise((resolve) => io.once("ready", resolve));
      const prefix = runPrefix(`half-open-${kind}`);
      const sender = outbox();
      const otp = createOtp({ secret, sender, store: redisStore({ client, prefix, timeoutMs: 300 }) });
      try {
        await otp.send({ phone: phones[0]! });
        proxy.freeze(); // the open connection now swallows everything, as a vanished host does
        for (let i = 0; i < 3; i++) await expectStoreUnavailable(otp.send({ phone: phones[1]! }), 1500);
        // The third timeout forced a reconnect through the proxy, which accepts new connections.
        const started = performance.now();
        let sent: unknown;
        while (!sent && performance.now() - started < 5000) {
          sent = await otp.send({ phone: phones[1]! }).catch(() => undefined);
          if (!sent) await new Promise((resolve) => setTimeout(resolve, 100));
        }
        expect(sent).toMatchObject({ status: "sent" });
        expect(performance.now() - started).toBeLessThan(5000);
      } finally {
        if (kind === "ioredis") io.disconnect();
        else await node.destroy();
        const cleaner = ioredisClient();
        await dropKeys(cleaner, prefix);
        cleaner.disconnect();
        await proxy.close();
      }
    });
  }
});
