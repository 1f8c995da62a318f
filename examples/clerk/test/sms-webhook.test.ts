/**
 * Mode B through the running app: `sms.created` fixtures signed with `standardwebhooks` (each one
 * also verified by `@clerk/backend`'s own `verifyWebhook`), posted to
 * app/api/webhooks/clerk-sms/route.ts, delivered through the SMS sandbox.
 */
import { verifyWebhook } from "@clerk/backend/webhooks";
import { describe, expect, inject, it } from "vitest";
import { type SmsFixture, signed, smsEvent } from "../../../packages/clerk/test/sms-fixtures";
import { freshPhone, freshUserId, json, sandbox } from "./servers";

const url = `${inject("appUrl")}/api/webhooks/clerk-sms`;
const signingSecret = inject("webhookSecret");

async function deliver(fixture: SmsFixture, options: { id?: string; secret?: string } = {}) {
  const message = signed(
    options.secret ?? signingSecret,
    smsEvent(fixture),
    options.id ? { id: options.id } : {},
  );
  if (!options.secret) {
    const verified = await verifyWebhook(
      new Request(url, { method: "POST", headers: message.headers, body: message.body }),
      {
        signingSecret,
      },
    );
    expect(verified.type).toBe("sms.created");
  }
  return fetch(url, {
    method: "POST",
    headers: message.headers,
    body: message.body,
    signal: AbortSignal.timeout(20_000),
  });
}

describe("POST /api/webhooks/clerk-sms", () => {
  it("texts Clerk's message with Clerk's code through the app's provider", async () => {
    const to = freshPhone();
    const response = await deliver({
      to,
      userId: freshUserId(),
      message: "603118 is your verification code.",
    });
    expect(response.status).toBe(200);
    expect(await json(response)).toMatchObject({ status: "sent" });
    expect(await sandbox.messages(to)).toEqual([
      expect.objectContaining({ body: "603118 is your verification code.", code: "603118" }),
    ]);
  });

  it("refuses a bad signature with 401 and texts nothing", async () => {
    const to = freshPhone();
    const response = await deliver(
      { to },
      { secret: `whsec_${Buffer.from("not the secret").toString("base64")}` },
    );
    expect(response.status).toBe(401);
    expect(await sandbox.messages(to)).toEqual([]);
  });

  it("ignores delivered_by_clerk, a duplicate svix-id and a stale event", async () => {
    const clerkSent = freshPhone();
    expect(await json(await deliver({ to: clerkSent, deliveredByClerk: true }))).toEqual({
      status: "dropped",
      reason: "delivered_by_clerk",
    });
    expect(await sandbox.messages(clerkSent)).toEqual([]);

    const twice = freshPhone();
    expect((await deliver({ to: twice }, { id: `msg_${twice}` })).status).toBe(200);
    const again = await deliver({ to: twice }, { id: `msg_${twice}` });
    expect(again.status).toBe(200);
    expect(await json(again)).toMatchObject({ status: "duplicate" });
    expect(await sandbox.messages(twice)).toHaveLength(1);

    const late = freshPhone();
    expect(await json(await deliver({ to: late, ageMs: 11 * 60_000 }))).toEqual({
      status: "dropped",
      reason: "stale",
    });
    expect(await sandbox.messages(late)).toEqual([]);
  });

  it("answers 200 and texts nothing to a blocked country (OTP_BLOCKED_COUNTRIES=GB)", async () => {
    const response = await deliver({ to: "+447400123456" });
    expect(response.status).toBe(200);
    expect(await json(response)).toEqual({ status: "dropped", reason: "refused" });
    expect(await sandbox.messages("+447400123456")).toEqual([]);
  });

  it("answers 5xx while the provider is down, so Svix retries; the retry texts once", async () => {
    const to = freshPhone();
    const id = `msg_retry_${to}`;
    await sandbox.setFaults({ status: 500 });
    let first: Response;
    try {
      first = await deliver({ to }, { id });
    } finally {
      await sandbox.setFaults(undefined);
    }
    expect(first.status).toBe(502);
    expect(await json(first)).toMatchObject({ error: { code: "send_failed" } });
    expect(await sandbox.messages(to)).toEqual([]);
    expect((await deliver({ to }, { id })).status).toBe(200);
    expect(await sandbox.messages(to)).toHaveLength(1);
  });
});
