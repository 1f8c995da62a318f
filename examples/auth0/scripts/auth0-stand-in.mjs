/**
 * A local stand-in for Auth0's login, for the demo and the example's test: it runs the example's
 * built post-login Action (dist/actions/post-login-step-up.cjs) the way Auth0 documents it, so the
 * verify page can be tried without a tenant. Not Auth0, and not for production:
 *
 *   GET  /                    pick a user to "log in" as
 *   GET  /authorize?user=ada  onExecutePostLogin: api.redirect.encodeToken (HS256: sub, iss, iat,
 *                             exp, ip + payload) and api.redirect.sendUserTo (+ state), or deny
 *   POST /continue            onContinuePostLogin with the form body: api.redirect.validateToken
 *                             (signature, exp, the state claim), recordMethod or access.deny
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const actionPath = fileURLToPath(new URL("../dist/actions/post-login-step-up.cjs", import.meta.url));

export const users = {
  ada: {
    user_id: "auth0|ada",
    name: "Ada (SMS 2FA on)",
    phone_number: "+14155550123",
    sms_2fa_enabled: true,
  },
  bob: {
    user_id: "auth0|bob",
    name: "Bob (SMS 2FA off)",
    phone_number: "+14155550124",
    sms_2fa_enabled: false,
  },
};

const encode = (value) => Buffer.from(JSON.stringify(value)).toString("base64url");
const mac = (secret, data) => createHmac("sha256", secret).update(data).digest();

function jwt(secret, claims) {
  const unsigned = `${encode({ alg: "HS256", typ: "JWT" })}.${encode(claims)}`;
  return `${unsigned}.${mac(secret, unsigned).toString("base64url")}`;
}

function claimsOf(secret, token) {
  const parts = typeof token === "string" ? token.split(".") : [];
  if (parts.length !== 3) throw new Error("No token.");
  const header = JSON.parse(Buffer.from(parts[0], "base64url").toString());
  const given = Buffer.from(parts[2], "base64url");
  const expected = mac(secret, `${parts[0]}.${parts[1]}`);
  if (header.alg !== "HS256" || given.length !== expected.length || !timingSafeEqual(given, expected))
    throw new Error("Invalid signature.");
  const claims = JSON.parse(Buffer.from(parts[1], "base64url").toString());
  if (!(claims.exp > Date.now() / 1000)) throw new Error("Expired.");
  return claims;
}

const page = (title, body) =>
  `<!doctype html><meta charset="utf-8"><title>${title}</title>` +
  `<body style="font-family:system-ui;max-width:36rem;margin:3rem auto"><h1>${title}</h1>${body}</body>`;

/**
 * Starts the stand-in. `secrets` are the Action's (STEP_UP_SECRET, STEP_UP_URL…). Resolves to
 * `{ url, outcomes, close }`; `outcomes` lists each finished login: `{ user, result, detail }`.
 */
export async function startAuth0StandIn({ secrets, port = 0, host = "127.0.0.1" }) {
  const action = createRequire(import.meta.url)(actionPath);
  /** state → the suspended login */
  const pending = new Map();
  const sessions = new Map(); // user → recorded methods (event.authentication.methods)
  const outcomes = [];
  let url = "";

  function eventFor(key, request) {
    const profile = users[key];
    return {
      user: {
        user_id: profile.user_id,
        name: profile.name,
        phone_number: profile.phone_number,
        phone_verified: true,
        email_verified: true,
        app_metadata: { sms_2fa_enabled: profile.sms_2fa_enabled },
        user_metadata: {},
        created_at: "2025-01-15T10:00:00.000Z",
        updated_at: "2026-08-01T10:00:00.000Z",
      },
      request: { ip: "127.0.0.1", hostname: new URL(url).host, geoip: {}, ...request },
      authentication: {
        methods: [{ name: "pwd", timestamp: new Date().toISOString() }, ...(sessions.get(key) ?? [])],
      },
      client: { client_id: "demo-client", name: "otpkit demo", metadata: {} },
      connection: { id: "con_demo", name: "Username-Password-Authentication", strategy: "auth0" },
      tenant: { id: "demo" },
      transaction: { id: randomBytes(8).toString("hex") },
      secrets,
      configuration: {},
    };
  }

  function apiFor(event, phase, state) {
    const calls = { deny: undefined, redirect: undefined, recorded: [] };
    const api = {
      access: {
        deny(reason) {
          calls.deny = reason;
          return api;
        },
      },
      authentication: {
        recordMethod(method) {
          if (phase !== "continue") throw new Error("recordMethod is only available in onContinuePostLogin.");
          calls.recorded.push(method);
          return api;
        },
      },
      redirect: {
        encodeToken({ secret, payload, expiresInSeconds = 900 }) {
          const iat = Math.floor(Date.now() / 1000);
          const { user_id: sub } = event.user;
          return jwt(secret, {
            ...payload,
            sub,
            iss: event.request.hostname,
            iat,
            exp: iat + expiresInSeconds,
            ip: event.request.ip,
          });
        },
        sendUserTo(target, options = {}) {
          calls.redirect = { target, query: options.query ?? {} };
          return api;
        },
        validateToken({ secret, tokenParameterName = "session_token" }) {
          const token = event.request.body?.[tokenParameterName] ?? event.request.query?.[tokenParameterName];
          const claims = claimsOf(secret, token);
          if (claims.state !== state) throw new Error("The token's state does not match.");
          return claims;
        },
      },
      cache: {
        get: () => undefined,
        set: () => ({ type: "error", code: "FailedToSetCacheRecord" }),
        delete: () => ({ type: "success" }),
      },
    };
    return { api, calls };
  }

  const server = createServer(async (req, res) => {
    const reply = (status, html, headers = {}) => {
      res.writeHead(status, {
        "content-type": "text/html; charset=utf-8",
        "cache-control": "no-store",
        ...headers,
      });
      res.end(html);
    };
    try {
      const target = new URL(req.url ?? "/", url);
      if (req.method === "GET" && target.pathname === "/") {
        const links = Object.entries(users)
          .map(([key, user]) => `<p><a href="/authorize?user=${key}">Log in as ${user.name}</a></p>`)
          .join("");
        return reply(
          200,
          page("Auth0 stand-in", `${links}<p>Runs the example's post-login Action locally.</p>`),
        );
      }
      if (req.method === "GET" && target.pathname === "/authorize") {
        const key = target.searchParams.get("user");
        if (!Object.hasOwn(users, key ?? "")) return reply(400, page("Unknown user", ""));
        const event = eventFor(key, {
          method: "GET",
          query: Object.fromEntries(target.searchParams),
          body: {},
        });
        const { api, calls } = apiFor(event, "execute");
        await action.onExecutePostLogin(event, api);
        if (calls.deny) {
          outcomes.push({ user: key, result: "denied", detail: calls.deny });
          return reply(403, page("Access denied", `<p>${calls.deny}</p>`));
        }
        if (!calls.redirect) {
          outcomes.push({ user: key, result: "signed_in", detail: "no step-up" });
          return reply(200, page("Signed in", `<p>${users[key].name}: no step-up needed.</p>`));
        }
        const state = randomBytes(24).toString("base64url");
        pending.set(state, key);
        const location = new URL(calls.redirect.target);
        for (const [name, value] of Object.entries(calls.redirect.query))
          location.searchParams.set(name, value);
        location.searchParams.set("state", state);
        return reply(302, "", { location: location.href });
      }
      if (req.method === "POST" && target.pathname === "/continue") {
        let raw = "";
        for await (const chunk of req) {
          raw += chunk;
          if (raw.length > 16_384) return reply(413, page("Too large", ""));
        }
        const body = Object.fromEntries(new URLSearchParams(raw));
        const key = pending.get(body.state);
        if (!key) return reply(400, page("invalid_request", "<p>Unknown or used state.</p>"));
        pending.delete(body.state);
        const event = eventFor(key, { method: "POST", query: {}, body });
        const { api, calls } = apiFor(event, "continue", body.state);
        await action.onContinuePostLogin(event, api);
        if (calls.deny || !calls.recorded.length) {
          outcomes.push({ user: key, result: "denied", detail: calls.deny });
          return reply(403, page("Access denied", `<p>${calls.deny ?? "No method recorded."}</p>`));
        }
        const now = new Date().toISOString();
        sessions.set(
          key,
          calls.recorded.map((name) => ({ name, timestamp: now })),
        );
        outcomes.push({ user: key, result: "signed_in", detail: calls.recorded.join(" ") });
        return reply(
          200,
          page(
            "Signed in",
            `<p>${users[key].name} passed the SMS step-up (${calls.recorded.join(", ")}).</p>`,
          ),
        );
      }
      return reply(404, page("Not found", ""));
    } catch (error) {
      outcomes.push({ user: undefined, result: "error", detail: String(error) });
      return reply(500, page("Action error", "<p>The Action threw; see the terminal.</p>"));
    }
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
  url = `http://${host}:${server.address().port}`;
  return { url, outcomes, close: () => new Promise((resolve) => server.close(resolve)) };
}
