import { createServer, request as httpRequest, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createNodeOtpHandler } from "./http.node.js";
import { createOtp } from "./otp.js";
import { outbox } from "./senders.js";

const secret = "node-http-test-secret-node-http-test-se";
const phone = "+14155551234";
const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function serve(listener: (req: IncomingMessage, res: import("node:http").ServerResponse) => unknown) {
  const server = createServer((req, res) => void listener(req, res));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A raw request, so the test controls the target and the body exactly. */
function raw(
  base: string,
  path: string,
  body: string,
  headers: Record<string, string> = {},
  method = "POST",
) {
  return new Promise<{ status: number; headers: Record<string, unknown>; text: string }>(
    (resolve, reject) => {
      const url = new URL(base);
      const req = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          path,
          method,
          headers: { "content-type": "application/json", ...headers },
        },
        (res) => {
          let text = "";
          res.on("data", (chunk) => (text += chunk));
          res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, text }));
        },
      );
      req.on("error", reject);
      req.end(body);
    },
  );
}

describe("createNodeOtpHandler: the verify API on node:http", () => {
  const setup = () => {
    const sms = outbox();
    const otp = createOtp({ secret, sender: sms, limits: { perIp: [{ limit: 2, windowSeconds: 600 }] } });
    return { sms, otp, handler: createNodeOtpHandler(otp, { onError: () => {} }) };
  };

  it("routes send and check by path and takes the IP from the socket", async () => {
    const { sms, handler } = setup();
    const base = await serve(handler);
    const sent = await raw(base, "/v1/sms/verify/send", JSON.stringify({ phone }));
    expect(sent.status).toBe(200);
    expect(sent.headers["cache-control"]).toBe("no-store");
    const { id } = JSON.parse(sent.text);
    const checked = await raw(
      base,
      "/v1/sms/verify/check",
      JSON.stringify({ id, code: sms.lastCode(phone) }),
    );
    expect(JSON.parse(checked.text)).toMatchObject({ status: "approved", phone });
    // 127.0.0.1 is the socket's address: the per-IP limit of 2 applies to it.
    await raw(base, "/v1/sms/verify/send", JSON.stringify({ phone: "+14155551235" }));
    const third = await raw(base, "/v1/sms/verify/send", JSON.stringify({ phone: "+14155551236" }));
    expect(third.status).toBe(429);
    expect(Number(third.headers["retry-after"])).toBeGreaterThan(0);
  });

  it("never reads the Host header or a protocol-relative target as a host", async () => {
    const { handler } = setup();
    const base = await serve(handler);
    const sneaky = await raw(base, "//evil.test/v1/sms/verify/send", JSON.stringify({ phone }), {
      host: "evil.test",
    });
    expect(sneaky.status).toBe(404);
  });

  it("refuses a body over the cap while streaming, and closes the connection", async () => {
    const { handler, sms } = setup();
    const base = await serve(handler);
    const large = await raw(
      base,
      "/v1/sms/verify/send",
      JSON.stringify({ phone, metadata: { pad: "x".repeat(9000) } }),
      {
        "transfer-encoding": "chunked",
      },
    );
    expect(large.status).toBe(413);
    expect(JSON.parse(large.text).error.code).toBe("payload_too_large");
    expect(sms.messages).toHaveLength(0);
  });

  it(".send serves one action wherever it is mounted, also when a framework parsed the body", async () => {
    const { handler, sms } = setup();
    const base = await serve((req, res) => {
      // What Next.js Pages API routes and Express's json() leave behind.
      let text = "";
      req.on("data", (chunk) => (text += chunk));
      req.on("end", () => {
        if (text) (req as IncomingMessage & { body?: unknown }).body = JSON.parse(text);
        void handler.send(req, res);
      });
    });
    const sent = await raw(base, "/api/otp/send?x=1", JSON.stringify({ phone }));
    expect(sent.status).toBe(200);
    expect(sms.lastCode(phone)).toMatch(/^\d{6}$/);
    const head = await raw(base, "/api/otp/send", "", {}, "GET");
    expect(head.status).toBe(405);
  });
});
