import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { OtpError } from "./errors.js";
import {
  bounded,
  failover,
  httpGateway,
  outbox,
  type SmsMessage,
  timeoutSignal,
  twilio,
  unosend,
} from "./senders.js";

/** A real HTTP server on loopback that records requests and answers as each test scripts it. */
interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
}
let server: Server;
let base: string;
const seen: Seen[] = [];
let answer: (request: Seen, response: ServerResponse) => void;

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk) => {
      body += chunk;
    });
    request.on("end", () => {
      const entry = { method: request.method!, url: request.url!, headers: request.headers, body };
      seen.push(entry);
      answer(entry, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  return new Promise<void>((resolve) => server.close(() => resolve()));
});
beforeEach(() => {
  seen.length = 0;
});

const json =
  (status: number, body: unknown, headers: Record<string, string> = {}) =>
  (_: Seen, response: ServerResponse) => {
    response.writeHead(status, { "content-type": "application/json", ...headers });
    response.end(JSON.stringify(body));
  };
const hang = () => () => {};

const message: SmsMessage = {
  to: "+14155551234",
  body: "Your login code is 918273. Valid for 5 minutes.",
  channel: "sms",
  metadata: { type: "login", verification_id: "ver_x" },
  tags: ["login"],
};

async function failure(promise: Promise<unknown>): Promise<OtpError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof OtpError) return error;
    throw error;
  }
  throw new Error("expected failure");
}

describe("unosend", () => {
  it("posts the seed's contract and returns data[0].id", async () => {
    answer = json(200, { data: [{ id: "sms_123", status: "queued" }] });
    const sender = unosend({ apiKey: "un_test", apiUrl: `${base}/api/v1/` });
    expect(await sender.send(message)).toEqual({ id: "sms_123" });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ method: "POST", url: "/api/v1/sms" });
    expect(seen[0]!.headers.authorization).toBe("Bearer un_test");
    expect(seen[0]!.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(seen[0]!.body)).toEqual({
      to: "+14155551234",
      body: message.body,
      metadata: { type: "login", verification_id: "ver_x" },
      tags: ["login"],
    });
  });

  it.each([
    [429, "rate_limited", 429],
    [402, "quota_exceeded", 402],
    [500, "send_failed", 502],
    [401, "send_failed", 502],
  ])("maps HTTP %i to %s", async (status, code, httpStatus) => {
    answer = json(
      status,
      { error: { message: `echo: ${message.body}` } },
      status === 429 ? { "retry-after": "17" } : {},
    );
    const error = await failure(unosend({ apiKey: "k", apiUrl: base }).send(message));
    expect([error.code, error.status]).toEqual([code, httpStatus]);
    if (status === 429) expect(error.retryAfter).toBe(17);
    // The provider echoed the SMS text; none of it may reach the error.
    expect(`${error.message} ${JSON.stringify(error)}`).not.toContain("918273");
  });

  it("fails on a reply without an id", async () => {
    answer = json(200, { data: [] });
    expect((await failure(unosend({ apiKey: "k", apiUrl: base }).send(message))).code).toBe("send_failed");
  });

  it("gives up after its timeout", async () => {
    answer = hang();
    const started = Date.now();
    expect((await failure(unosend({ apiKey: "k", apiUrl: base, timeoutMs: 200 }).send(message))).code).toBe(
      "send_failed",
    );
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("reports an unreachable provider as send_failed", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    expect(
      (await failure(unosend({ apiKey: "k", apiUrl: `http://127.0.0.1:${port}` }).send(message))).code,
    ).toBe("send_failed");
  });
});

describe("twilio", () => {
  it("posts form-encoded with Basic auth and returns the sid", async () => {
    answer = json(201, { sid: "SM123" });
    const sender = twilio({ accountSid: "AC1", authToken: "tok", from: "+15005550006", apiUrl: base });
    expect(await sender.send(message)).toEqual({ id: "SM123" });
    expect(seen[0]).toMatchObject({ method: "POST", url: "/2010-04-01/Accounts/AC1/Messages.json" });
    expect(seen[0]!.headers.authorization).toBe(`Basic ${btoa("AC1:tok")}`);
    expect(Object.fromEntries(new URLSearchParams(seen[0]!.body))).toEqual({
      To: "+14155551234",
      Body: message.body,
      From: "+15005550006",
    });
  });

  it("addresses WhatsApp and uses a messaging service when given", async () => {
    answer = json(201, { sid: "SM9" });
    await twilio({ accountSid: "AC1", authToken: "t", messagingServiceSid: "MG1", apiUrl: base }).send({
      ...message,
      channel: "whatsapp",
    });
    expect(Object.fromEntries(new URLSearchParams(seen[0]!.body))).toMatchObject({
      To: "whatsapp:+14155551234",
      MessagingServiceSid: "MG1",
    });
  });

  it("needs a from number or messaging service", () => {
    expect(() => twilio({ accountSid: "AC1", authToken: "t" })).toThrow(OtpError);
  });
});

describe("httpGateway", () => {
  it("GETs with username, password, phone and message, and the X-API-Key header", async () => {
    answer = json(200, { id: 77 });
    const sender = httpGateway({ endpoint: `${base}/send`, apiKey: "key", username: "u", password: "p&w" });
    expect(await sender.send(message)).toEqual({ id: "77" });
    const url = new URL(seen[0]!.url, base);
    expect(seen[0]!.method).toBe("GET");
    expect(url.pathname).toBe("/send");
    expect(Object.fromEntries(url.searchParams)).toEqual({
      username: "u",
      password: "p&w",
      phone: "+14155551234",
      message: message.body,
    });
    expect(seen[0]!.headers["x-api-key"]).toBe("key");
  });

  it("makes up an id when the gateway does not return one", async () => {
    answer = (_, response) => response.end("OK");
    const { id } = await httpGateway({ endpoint: base, apiKey: "k", username: "u", password: "p" }).send(
      message,
    );
    expect(id).toMatch(/^gw_/);
  });
});

describe("failover", () => {
  it("moves past a hanging sender after its timeout, and past a failing one", async () => {
    const calls: string[] = [];
    const hanging = {
      name: "hanging",
      send: () => {
        calls.push("hanging");
        return new Promise<never>(() => {});
      },
    };
    const failing = {
      name: "failing",
      send: () => {
        calls.push("failing");
        return Promise.reject(new OtpError("send_failed", "x"));
      },
    };
    const working = {
      name: "working",
      send: async () => {
        calls.push("working");
        return { id: "ok" };
      },
    };
    expect(await failover([hanging, failing, working], { timeoutMs: 100 }).send(message)).toEqual({
      id: "ok",
    });
    expect(calls).toEqual(["hanging", "failing", "working"]);
  });

  it("throws the last error when every sender fails, and skips senders without the channel", async () => {
    const a = { name: "a", send: () => Promise.reject(new Error("boom")) };
    const b = { name: "b", send: () => Promise.reject(new OtpError("quota_exceeded", "q")) };
    expect((await failure(failover([a, b]).send(message))).code).toBe("quota_exceeded");
    const sms = { name: "sms", send: async () => ({ id: "sms" }) };
    const whatsapp = { name: "wa", channels: ["whatsapp"] as const, send: async () => ({ id: "wa" }) };
    const both = failover([sms, whatsapp]);
    expect(both.channels).toEqual(["sms", "whatsapp"]);
    expect(await both.send({ ...message, channel: "whatsapp" })).toEqual({ id: "wa" });
  });

  it("really goes over HTTP: first provider 500, second accepts", async () => {
    let call = 0;
    answer = (request, response) =>
      ++call === 1
        ? json(500, {})(request, response)
        : json(200, { data: [{ id: "second" }] })(request, response);
    const sender = failover([
      unosend({ apiKey: "a", apiUrl: `${base}/one` }),
      unosend({ apiKey: "b", apiUrl: `${base}/two` }),
    ]);
    expect(await sender.send(message)).toEqual({ id: "second" });
    expect(seen.map((request) => request.url)).toEqual(["/one/sms", "/two/sms"]);
  });
});

describe("outbox", () => {
  it("keeps messages and returns the last code per number", async () => {
    const box = outbox();
    await box.send(message);
    await box.send({ ...message, to: "+447123456789", body: "Code 4821" });
    expect(box.messages).toHaveLength(2);
    expect(box.lastCode("+14155551234")).toBe("918273");
    expect(box.lastCode("+447123456789")).toBe("4821");
    expect(box.lastCode("+61412345678")).toBeUndefined();
    box.clear();
    expect(box.messages).toHaveLength(0);
  });
});

/** A full garbage collection, as `--expose-gc` would give it (the flag can be set at run time). */
function collectGarbage(): void {
  setFlagsFromString("--expose-gc");
  (runInNewContext("gc") as () => void)();
}

describe("time limits survive garbage collection", () => {
  // Node 20 holds the sources of AbortSignal.any() weakly: a combined signal built from a caller's
  // signal and AbortSignal.timeout() stops firing once a collection runs before the timeout. Each
  // test here collects garbage while its limit is pending; with that combination they all hang.
  /** Its outcome, or `settled: false` after `ms`. Call it at once: the handlers are attached before
   * anything else runs, so a rejection during the collections is never unhandled. */
  const settledWithin = <T>(promise: Promise<T>, ms: number) =>
    Promise.race([
      promise.then(
        (value) => ({ settled: true as const, value }),
        (error: unknown) => ({ settled: true as const, error }),
      ),
      new Promise<{ settled: false }>((resolve) => setTimeout(() => resolve({ settled: false }), ms)),
    ]);
  const collectWhilePending = async () => {
    for (let round = 0; round < 3; round++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      collectGarbage();
    }
  };

  it("a sender that ignores its signal is cut off at its timeout under a caller's signal", async () => {
    const caller = new AbortController();
    const hanging = () => new Promise<never>(() => {});
    const calls = Array.from({ length: 10 }, () =>
      settledWithin(bounded(hanging, message, 100, caller.signal, "hanging"), 2000),
    );
    await collectWhilePending();
    const outcomes = await Promise.all(calls);
    for (const outcome of outcomes) {
      expect(outcome.settled).toBe(true);
      expect(outcome.settled && "error" in outcome && (outcome.error as OtpError).code).toBe("send_failed");
    }
  });

  it("a provider request aborts at its timeout under a caller's signal", async () => {
    answer = hang();
    const caller = new AbortController();
    const sender = unosend({ apiKey: "k", apiUrl: base, timeoutMs: 150 });
    const sends = Array.from({ length: 5 }, () =>
      settledWithin(sender.send(message, { signal: caller.signal }), 3000),
    );
    await collectWhilePending();
    const outcomes = await Promise.all(sends);
    expect(outcomes.map((outcome) => outcome.settled)).toEqual([true, true, true, true, true]);
  });

  it("the caller's abort still ends the call at once, with its reason", async () => {
    const caller = new AbortController();
    const limit = timeoutSignal(60_000, caller.signal);
    const reason = new Error("caller gave up");
    caller.abort(reason);
    expect(limit.signal.aborted).toBe(true);
    expect(limit.signal.reason).toBe(reason);
    limit.done();
    const timedOut = timeoutSignal(20);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect((timedOut.signal.reason as DOMException).name).toBe("TimeoutError");
    // done() before the limit: the signal never aborts.
    const finished = timeoutSignal(20);
    finished.done();
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(finished.signal.aborted).toBe(false);
  });
});
