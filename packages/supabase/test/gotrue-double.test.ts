/**
 * The GoTrue double against scripted hooks: it must behave as PLATFORMS.md §1 documents, or the
 * runtime tests that go through it prove nothing.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";
import { afterAll, describe, expect, it } from "vitest";
import { type GoTrueDouble, startGoTrueDouble } from "./gotrue-double.js";
import { refusedPort } from "./runtime.js";
import { newHookSecret } from "./sign.js";

type Answer = (res: ServerResponse) => void;
const secrets = [newHookSecret(), newHookSecret()];
const script: Answer[] = [];
const seen: IncomingMessage[] = [];
const hook = createServer((req, res) => {
  seen.push(req);
  req.resume();
  const next = script.shift();
  if (next) next(res);
  // No script left: never answer (a hanging hook).
});
await new Promise<void>((resolve) => hook.listen(0, "127.0.0.1", resolve));
const hookUri = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;

const json =
  (status: number, body: unknown, headers: Record<string, string> = {}): Answer =>
  (res) => {
    res.writeHead(status, { "content-type": "application/json", ...headers });
    res.end(JSON.stringify(body));
  };
const plain =
  (status: number, body = "", headers: Record<string, string> = {}): Answer =>
  (res) => {
    res.writeHead(status, headers);
    res.end(body);
  };

const notJson: Answer = (res) => {
  res.writeHead(200, { "content-type": "application/json" });
  res.end("not json");
};

const doubles: GoTrueDouble[] = [];
afterAll(async () => {
  await Promise.all(doubles.map((double) => double.close()));
  hook.closeAllConnections();
  await new Promise((resolve) => hook.close(resolve));
});

async function gotrue(options: Partial<Parameters<typeof startGoTrueDouble>[0]> = {}) {
  const double = await startGoTrueDouble({
    hookUri,
    hookSecrets: secrets,
    smsMaxFrequencySeconds: 0,
    ...options,
  });
  doubles.push(double);
  return double;
}
async function requestOtp(double: GoTrueDouble, phone = "+14155550123") {
  const response = await fetch(`${double.url}/auth/v1/otp`, {
    method: "POST",
    headers: { apikey: double.anonKey, "content-type": "application/json" },
    body: JSON.stringify({ phone, channel: "whatsapp" }),
  });
  return {
    status: response.status,
    code: response.headers.get("x-sb-error-code"),
    body: await response.json(),
  };
}

describe("the GoTrue double", () => {
  it("retries 503 + retry-after at once with a new webhook-id, the same bytes, every secret's signature", async () => {
    const double = await gotrue();
    seen.length = 0;
    script.push(plain(503, "", { "retry-after": "1" }), json(429, {}, { "retry-after": "1" }), json(200, {}));
    expect(await requestOtp(double)).toMatchObject({ status: 200 });
    const [invocation] = double.invocations;
    expect(invocation?.attempts.map((attempt) => attempt.result)).toEqual([503, 429, 200]);
    const ids = new Set(invocation?.attempts.map((attempt) => attempt.webhookId));
    expect(ids.size).toBe(3);
    expect(new Set(invocation?.attempts.map((attempt) => attempt.body)).size).toBe(1);
    for (const attempt of invocation!.attempts) {
      expect(attempt.signature.split(", ")).toHaveLength(2);
      for (const secret of secrets) {
        const headers = {
          "webhook-id": attempt.webhookId,
          "webhook-timestamp": attempt.timestamp,
          "webhook-signature": attempt.signature,
        };
        expect(() => new Webhook(secret.slice(3)).verify(attempt.body, headers)).not.toThrow();
      }
    }
    const body = JSON.parse(invocation!.body);
    expect(body.sms.phone).toBe("14155550123");
    expect(body.sms).not.toHaveProperty("sms_type");
    expect(body.metadata).toMatchObject({ name: "send-sms", uuid: expect.any(String) });
    expect(seen.map((req) => req.headers["accept-encoding"])).toEqual(["identity", "identity", "identity"]);
  });

  it.each([
    ["429 without retry-after", plain(429), 500, "Service currently unavailable due to hook"],
    ["400", plain(400), 500, "Invalid payload sent to hook"],
    ["401", plain(401), 500, "Hook requires authorization token"],
    [
      "500",
      json(500, { error: { http_code: 400, message: "ignored" } }),
      500,
      "Unexpected status code returned from hook: 500",
    ],
    ["200 without a JSON content type", plain(200, "{}"), 400, undefined],
    ["200 with a body that is not JSON", notJson, 500, "Error unmarshaling JSON output."],
    [
      "200 with a hook error",
      json(200, { error: { http_code: 429, message: "Slow down" } }),
      429,
      "Slow down",
    ],
    ["200 with a hook error without http_code", json(200, { error: { message: "No" } }), 500, "No"],
  ] as Array<[string, Answer, number, string | undefined]>)("maps %s", async (_, answer, status, message) => {
    const double = await gotrue();
    script.push(answer);
    const reply = await requestOtp(double);
    expect(reply.status).toBe(status);
    if (message) expect(reply.body.message).toBe(message);
    if (status === 400) expect(reply.code).toBe("hook_payload_invalid_content_type");
    expect(double.invocations[0]?.attempts).toHaveLength(1);
  });

  it.each([
    ["204", plain(204)],
    ["202 {}", json(202, {})],
    ["200 with an empty error message", json(200, { error: { http_code: 500, message: "" } })],
  ] as Array<[string, Answer]>)("takes %s as success", async (_, answer) => {
    const double = await gotrue();
    script.push(answer);
    expect((await requestOtp(double)).status).toBe(200);
  });

  it("makes every MFA hook failure a 500 'error invoking hook'", async () => {
    const double = await gotrue();
    script.push(json(200, { error: { http_code: 429, message: "Slow down" } }));
    expect(await double.challengePhoneFactor("+14155550123")).toMatchObject({
      status: 500,
      message: "error invoking hook",
    });
    expect(JSON.parse(double.invocations[0]!.body).sms.sms_type).toBe("mfa");
  });

  it("holds one 5 s deadline (422 hook_timeout) and retries refused connections after 2 s (422 hook_timeout_after_retry)", async () => {
    const hanging = await gotrue();
    const refused = await gotrue({ hookUri: `http://127.0.0.1:${await refusedPort()}/hook` });
    const [timedOut, unreachable] = await Promise.all([requestOtp(hanging), requestOtp(refused)]);
    expect(timedOut).toMatchObject({ status: 422, code: "hook_timeout" });
    expect(hanging.invocations[0]).toMatchObject({ deadlineFired: true });
    expect(unreachable).toMatchObject({ status: 422, code: "hook_timeout_after_retry" });
    expect(refused.invocations[0]?.attempts.map((attempt) => attempt.result)).toEqual([
      "connection_error",
      "connection_error",
      "connection_error",
    ]);
  }, 15_000);

  it("applies SMS_MAX_FREQUENCY first, skips the hook for test numbers, and can omit metadata", async () => {
    const double = await gotrue({
      smsMaxFrequencySeconds: 60,
      testOtps: { "14155550100": "123456" },
      sendMetadata: false,
    });
    expect((await requestOtp(double, "+14155550100")).status).toBe(200);
    expect(await requestOtp(double, "+14155550100")).toMatchObject({
      status: 429,
      code: "over_sms_send_rate_limit",
    });
    expect(double.invocations).toHaveLength(0);
    script.push(json(200, {}));
    expect((await requestOtp(double, "+14155550111")).status).toBe(200);
    expect(JSON.parse(double.invocations[0]!.body)).not.toHaveProperty("metadata");
    const verify = (token: string) =>
      fetch(`${double.url}/auth/v1/verify`, {
        method: "POST",
        headers: { apikey: double.anonKey, "content-type": "application/json" },
        body: JSON.stringify({ phone: "+14155550100", token, type: "sms" }),
      });
    expect((await verify("000000")).status).toBe(403);
    expect((await verify("123456")).status).toBe(200);
  });
});
