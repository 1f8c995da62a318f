/**
 * The contract double itself: if it drifted from Auth0's documented behaviour, every test built on
 * it would prove less. Each rule below is one line of Auth0's reference (PLATFORMS.md section 4).
 */
import { describe, expect, it } from "vitest";
import {
  ActionsCache,
  Clock,
  customPhoneProviderEvent,
  LoginTransaction,
  type PostLoginAction,
  postLoginEvent,
  runCustomPhoneProvider,
  sendPhoneMessageEvent,
  signHs256,
  verifyHs256,
} from "./harness.js";

describe("the Actions runtime double", () => {
  it("builds events with the documented fields", () => {
    const phone = customPhoneProviderEvent();
    expect(Object.keys(phone.notification).sort()).toEqual(
      ["as_text", "as_voice", "code", "delivery_method", "locale", "message_type", "recipient"].sort(),
    );
    expect(phone.notification.recipient).toMatch(/^\+\d{8,15}$/);
    expect(phone.notification.locale).toMatch(/^[a-z]{2}_[A-Z]{2}$/);
    expect(phone.transaction?.correlation_id).toBeTruthy();
    for (const field of ["client", "request", "tenant", "user", "secrets"])
      expect(phone).toHaveProperty(field);
    expect(Object.keys(phone.request)).toEqual(
      expect.arrayContaining(["geoip", "hostname", "ip", "language", "method", "user_agent"]),
    );
    expect(customPhoneProviderEvent({ correlationId: null })).not.toHaveProperty("transaction");
    expect(Object.keys(sendPhoneMessageEvent().message_options).sort()).toEqual(
      ["action", "code", "message_type", "recipient", "text"].sort(),
    );
    expect(postLoginEvent().authentication?.methods[0]?.name).toBe("pwd");
  });

  it("api.cache: 15-minute default, the earlier of ttl and expires_at, 24 h at most, Auth0's size limits", () => {
    const clock = new Clock(1_000_000);
    const cache = new ActionsCache(clock);
    expect(cache.set("a", "1")).toEqual({
      type: "success",
      record: { value: "1", expires_at: 1_000_000 + 900_000 },
    });
    expect(cache.set("b", "2", { ttl: 60_000, expires_at: 1_000_000 + 30_000 })).toMatchObject({
      record: { expires_at: 1_030_000 },
    });
    expect(cache.set("c", "3", { ttl: 48 * 3600_000 })).toMatchObject({
      record: { expires_at: 1_000_000 + 86_400_000 },
    });
    expect(cache.set("d", "4", { expires_at: 999_999 })).toEqual({
      type: "error",
      code: "ItemAlreadyExpired",
    });
    expect(cache.set("k".repeat(65), "x")).toEqual({ type: "error", code: "CacheKeySizeExceeded" });
    expect(cache.set("e", "v".repeat(4097))).toEqual({ type: "error", code: "CacheValueSizeExceeded" });
    clock.advance(30_000);
    expect(cache.get("b")).toBeUndefined();
    expect(cache.get("a")?.value).toBe("1");
    clock.advance(870_000);
    expect(cache.get("a")).toBeUndefined();
    const full = new ActionsCache(clock);
    for (let i = 0; i < 20; i++) expect(full.set(`key-${i}`, "x").type).toBe("success");
    expect(full.set("one-more", "x")).toEqual({ type: "error", code: "CacheSizeExceeded" });
    const heavy = new ActionsCache(clock);
    expect(heavy.set("a", "v".repeat(4000)).type).toBe("success");
    expect(heavy.set("b", "v".repeat(4000)).type).toBe("success");
    expect(heavy.set("c", "v".repeat(400))).toEqual({ type: "error", code: "CacheSizeExceeded" }); // 8 KB in all
  });

  it("notification: the last of drop/retry wins, a return is success, a throw is unknown; retry re-invokes ≤ 5 times", async () => {
    const scripted = (
      ...steps: Array<(api: { notification: { drop(r: string): void; retry(r: string): void } }) => void>
    ) => {
      let call = 0;
      return {
        calls: () => call,
        action: {
          async onExecuteCustomPhoneProvider(_event: unknown, api: Parameters<(typeof steps)[number]>[0]) {
            steps[Math.min(call++, steps.length - 1)]!(api);
          },
        },
      };
    };
    const event = customPhoneProviderEvent();
    const lastWins = scripted((api) => {
      api.notification.retry("first");
      api.notification.drop("second");
    });
    const dropped = await runCustomPhoneProvider(lastWins.action, event);
    expect(dropped).toMatchObject({ outcome: "drop", executions: [{ reason: "second" }] });

    const alwaysRetry = scripted((api) => api.notification.retry("down"));
    const exhausted = await runCustomPhoneProvider(alwaysRetry.action, event);
    expect(exhausted.outcome).toBe("retry");
    expect(alwaysRetry.calls()).toBe(6);

    const recovers = scripted(
      (api) => api.notification.retry("down"),
      () => {},
    );
    expect((await runCustomPhoneProvider(recovers.action, event)).executions.map((e) => e.outcome)).toEqual([
      "retry",
      "success",
    ]);
    const throws = scripted(() => {
      throw new Error("boom");
    });
    expect(await runCustomPhoneProvider(throws.action, event)).toMatchObject({ outcome: "unknown" });
  });

  it("post-login: encodeToken's claims, sendUserTo's state, validateToken's checks, recordMethod only on continue", async () => {
    const secret = "harness-self-test-secret-of-32-bytes-!!";
    const clock = new Clock();
    let continued: Record<string, unknown> | undefined;
    const action: PostLoginAction = {
      async onExecutePostLogin(event, api) {
        expect(() => api.authentication.recordMethod("https://x.example/m")).toThrow();
        const token = api.redirect.encodeToken({ secret, payload: { hello: "world" } });
        api.redirect.sendUserTo("https://app.example/verify?a=1", { query: { session_token: token } });
        void event;
      },
      async onContinuePostLogin(_event, api) {
        continued = api.redirect.validateToken({ secret });
        api.authentication.recordMethod("https://app.example/verify");
      },
    };
    const tx = new LoginTransaction(action, postLoginEvent(), clock);
    const { redirect } = await tx.login();
    expect(redirect!.location.searchParams.get("a")).toBe("1");
    expect(redirect!.location.searchParams.get("state")).toBe(redirect!.state);
    const claims = verifyHs256(
      redirect!.location.searchParams.get("session_token"),
      secret,
      clock.now / 1000,
    );
    expect(claims).toMatchObject({
      hello: "world",
      sub: tx.event.user.user_id,
      iss: "example.us.auth0.com",
      ip: "203.0.113.7",
    });
    expect((claims.exp as number) - (claims.iat as number)).toBe(900);

    const exp = Math.floor(clock.now / 1000) + 60;
    const wrongState = signHs256({ state: "other", exp }, secret);
    expect(
      (await tx.resume({ body: { state: redirect!.state, session_token: wrongState } })).error,
    ).toBeDefined();
    const good = signHs256({ state: redirect!.state, exp }, secret);
    clock.advance(61_000);
    expect((await tx.resume({ body: { state: redirect!.state, session_token: good } })).error).toBeDefined();
    clock.advance(-61_000);
    const resumed = await tx.resume({ query: { state: redirect!.state, session_token: good } });
    expect(resumed).toMatchObject({ recordedMethods: ["https://app.example/verify"] });
    expect(continued).toMatchObject({ state: redirect!.state });
    expect(tx.methods!.methods.map((method) => method.name)).toEqual(["pwd", "https://app.example/verify"]);
    await expect(tx.resume({ body: { state: "unknown" } })).rejects.toThrow(/invalid_request/);
  });
});
