import { createHmac, randomBytes } from "node:crypto";
import { Webhook } from "standardwebhooks";
import { beforeEach, describe, expect, it } from "vitest";
import { isSignedByGoTrue, parseHookSecrets } from "./webhook.js";

const key = randomBytes(32);
const secret = `v1,whsec_${key.toString("base64")}`;
const body = '{"sms":{"otp":"123456","phone":"14155550123"}}';

// The instant every test signs at, taken per test (a timestamp read when the file was collected can be
// minutes old on a loaded machine). The headers default to it too: reading the clock again there
// could cross a second boundary and name another timestamp than the one signed.
let now = 0;
function headers(signature: string, id = "msg_1", timestamp = now) {
  return new Headers({
    "webhook-id": id,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": signature,
  });
}
const byHand = (id: string, timestamp: number, content: string, with_ = key) =>
  `v1,${createHmac("sha256", with_).update(`${id}.${timestamp}.${content}`).digest("base64")}`;

describe("parseHookSecrets", () => {
  it("takes Supabase's v1,whsec_ form, a list, or GoTrue's |-joined rotation form", () => {
    expect(parseHookSecrets(secret)).toHaveLength(1);
    const other = `v1,whsec_${randomBytes(32).toString("base64")}`;
    expect(parseHookSecrets(`${secret}|${other}`)).toHaveLength(2);
    expect(parseHookSecrets([secret, ` ${other} `])).toHaveLength(2);
    expect(parseHookSecrets(`whsec_${key.toString("base64")}`)).toHaveLength(1);
  });

  it.each([
    ["empty", ""],
    ["only separators", "||"],
    ["an empty list", []],
    ["without whsec_", `v1,${key.toString("base64")}`],
    ["not base64", "v1,whsec_***"],
    ["too short", `v1,whsec_${randomBytes(8).toString("base64")}`],
    ["a JWT secret pasted by mistake", "super-secret-jwt-token-with-at-least-32-characters-long"],
  ])("refuses %s at startup with invalid_config", (_, value) => {
    expect(() => parseHookSecrets(value as string)).toThrow(
      expect.objectContaining({ code: "invalid_config" }),
    );
  });
});

describe("isSignedByGoTrue", () => {
  const webhooks = parseHookSecrets(secret);
  beforeEach(() => {
    now = Math.floor(Date.now() / 1000);
  });

  it("accepts a signature computed by hand (HMAC-SHA256 of id.timestamp.body) and standardwebhooks' own", () => {
    expect(isSignedByGoTrue(webhooks, body, headers(byHand("msg_1", now, body)))).toBe(true);
    const signed = new Webhook(secret.slice(3)).sign("msg_2", new Date(now * 1000), body);
    expect(isSignedByGoTrue(webhooks, body, headers(signed, "msg_2"))).toBe(true);
  });

  it("accepts any matching signature in a ', '-joined list, with any configured secret", () => {
    const otherKey = randomBytes(32);
    const list = `${byHand("msg_1", now, body, otherKey)}, ${byHand("msg_1", now, body)}`;
    expect(isSignedByGoTrue(webhooks, body, headers(list))).toBe(true);
    const rotated = parseHookSecrets([`v1,whsec_${otherKey.toString("base64")}`, secret]);
    expect(isSignedByGoTrue(rotated, body, headers(byHand("msg_1", now, body)))).toBe(true);
  });

  it("refuses a tampered body, another id, a stale or future timestamp, missing headers", () => {
    const signature = byHand("msg_1", now, body);
    expect(isSignedByGoTrue(webhooks, body.replace("123456", "654321"), headers(signature))).toBe(false);
    expect(isSignedByGoTrue(webhooks, body, headers(signature, "msg_other"))).toBe(false);
    const old = now - 301;
    expect(isSignedByGoTrue(webhooks, body, headers(byHand("msg_1", old, body), "msg_1", old))).toBe(false);
    const ahead = now + 301;
    expect(isSignedByGoTrue(webhooks, body, headers(byHand("msg_1", ahead, body), "msg_1", ahead))).toBe(
      false,
    );
    expect(isSignedByGoTrue(webhooks, body, new Headers())).toBe(false);
    expect(isSignedByGoTrue(webhooks, body, headers(""))).toBe(false);
  });
});
