/**
 * A contract double of Clerk's Backend API on loopback, for the calls `@otpkit/clerk` makes, shaped
 * after `bapi/2026-05-12.yml` (clerk/openapi-specs): Bearer `sk_…` required, snake_case bodies with
 * their `object` fields, `verification { status, strategy }`, and errors as
 * `{ "errors": [{ code, message, long_message, meta }] }` — 404 for unknown ids, 422 for a number
 * another user holds (`form_identifier_exists`) and for `reserved_for_second_factor` without
 * `verified`. `Content-Type` is exactly `application/json`: the SDK parses nothing else as JSON.
 *
 * Tests steer it in-process (`fake.addUser`, `fake.setFault`, `fake.calls`) or, from another process,
 * over `/__fake/*` (state, users, fault, calls) — the example's Next.js server shares one fake.
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface FakePhone {
  id: string;
  phone_number: string;
  verified: boolean;
  reserved_for_second_factor: boolean;
}

export interface FakeUser {
  id: string;
  phones: FakePhone[];
  primary_phone_number_id: string | null;
}

export interface FakeCall {
  method: string;
  path: string;
  body: Record<string, unknown> | undefined;
  apiVersion: string | null;
}

/** What the fake does instead of answering, for calls matching `route` (e.g. `POST /v1/phone_numbers`). */
export interface FakeFault {
  route: string;
  /** Answer with this status and Clerk's error shape. */
  status?: number;
  /** Drop the connection without an answer (the Backend API unreachable). */
  reset?: boolean;
}

export interface ClerkApiFake {
  url: string;
  readonly calls: FakeCall[];
  addUser(id: string, phones?: { phone: string; verified?: boolean }[]): FakeUser;
  user(id: string): FakeUser | undefined;
  setFault(fault: FakeFault | undefined): void;
  reset(): void;
  close(): Promise<void>;
}

const now = () => Date.now();
const newId = (prefix: string) => `${prefix}_${randomBytes(12).toString("hex")}`;
const e164 = /^\+[1-9]\d{6,14}$/;

function clerkError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  meta: Record<string, unknown> = {},
) {
  json(res, status, {
    errors: [{ code, message, long_message: message, meta }],
    clerk_trace_id: newId("trace"),
  });
}

function json(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

function phoneJson(phone: FakePhone) {
  return {
    object: "phone_number",
    id: phone.id,
    phone_number: phone.phone_number,
    reserved_for_second_factor: phone.reserved_for_second_factor,
    default_second_factor: false,
    reserved: false,
    verification: phone.verified
      ? {
          object: "verification_admin",
          status: "verified",
          strategy: "admin",
          attempts: null,
          expire_at: null,
        }
      : null,
    linked_to: [],
    backup_codes: null,
    created_at: now(),
    updated_at: now(),
  };
}

function userJson(user: FakeUser) {
  return {
    object: "user",
    id: user.id,
    username: null,
    first_name: null,
    last_name: null,
    image_url: "https://img.clerk.com/none",
    has_image: false,
    primary_email_address_id: null,
    primary_phone_number_id: user.primary_phone_number_id,
    primary_web3_wallet_id: null,
    password_enabled: false,
    two_factor_enabled: false,
    totp_enabled: false,
    backup_code_enabled: false,
    email_addresses: [],
    phone_numbers: user.phones.map(phoneJson),
    web3_wallets: [],
    passkeys: [],
    external_accounts: [],
    saml_accounts: [],
    enterprise_accounts: [],
    public_metadata: {},
    private_metadata: {},
    unsafe_metadata: {},
    external_id: null,
    last_sign_in_at: null,
    banned: false,
    locked: false,
    created_at: now(),
    updated_at: now(),
    last_active_at: null,
  };
}

async function readBody(req: IncomingMessage): Promise<Record<string, unknown> | undefined> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  if (!chunks.length) return undefined;
  return JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>;
}

export async function startClerkApiFake(): Promise<ClerkApiFake> {
  const users = new Map<string, FakeUser>();
  const calls: FakeCall[] = [];
  let fault: FakeFault | undefined;

  const holderOf = (phone: string) =>
    [...users.values()].find((user) => user.phones.some((entry) => entry.phone_number === phone));

  const addUser: ClerkApiFake["addUser"] = (id, phones = []) => {
    const user: FakeUser = { id, phones: [], primary_phone_number_id: null };
    for (const { phone, verified = true } of phones)
      user.phones.push({
        id: newId("idn"),
        phone_number: phone,
        verified,
        reserved_for_second_factor: false,
      });
    user.primary_phone_number_id = user.phones[0]?.id ?? null;
    users.set(id, user);
    return user;
  };

  async function api(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    body: Record<string, unknown> | undefined,
  ) {
    const method = req.method ?? "GET";
    const path = url.pathname;
    if (!/^Bearer sk_\S+$/.test(req.headers.authorization ?? ""))
      return clerkError(res, 401, "authorization_invalid", "Unauthorized request");
    calls.push({ method, path, body, apiVersion: (req.headers["clerk-api-version"] as string) ?? null });
    const route = `${method} ${path.replace(/\/(user|idn)_[0-9a-z]+/gi, "/{id}")}`;
    if (fault && (fault.route === route || fault.route === "*")) {
      if (fault.reset) return req.socket.destroy();
      return clerkError(res, fault.status ?? 503, "service_unavailable", "Service unavailable");
    }

    if (method === "GET" && path === "/v1/users/count") {
      const wanted = url.searchParams.getAll("phone_number");
      const count = [...users.values()].filter(
        (user) => !wanted.length || user.phones.some((entry) => wanted.includes(entry.phone_number)),
      ).length;
      return json(res, 200, { object: "total_count", total_count: count });
    }
    if (method === "GET" && path === "/v1/users") {
      const wanted = url.searchParams.getAll("phone_number");
      if (wanted.length > 100)
        return clerkError(
          res,
          422,
          "form_param_exceeds_allowed_size",
          "phone_number accepts up to 100 values",
          {
            param_name: "phone_number",
          },
        );
      const limit = Number(url.searchParams.get("limit") ?? 10);
      const list = [...users.values()].filter(
        (user) => !wanted.length || user.phones.some((entry) => wanted.includes(entry.phone_number)),
      );
      return json(res, 200, list.slice(0, limit).map(userJson));
    }
    let match = /^\/v1\/users\/([^/]+)$/.exec(path);
    if (method === "GET" && match) {
      const user = users.get(match[1]!);
      return user ? json(res, 200, userJson(user)) : clerkError(res, 404, "resource_not_found", "not found");
    }
    if (method === "POST" && path === "/v1/phone_numbers") {
      const userId = body?.user_id;
      const phone = body?.phone_number;
      const user = typeof userId === "string" ? users.get(userId) : undefined;
      if (!user) return clerkError(res, 404, "resource_not_found", "not found", { param_name: "user_id" });
      if (typeof phone !== "string" || !e164.test(phone))
        return clerkError(
          res,
          422,
          "form_param_format_invalid",
          "phone_number must be a valid phone number according to E.164 international standard.",
          { param_name: "phone_number" },
        );
      if (body?.reserved_for_second_factor === true && body?.verified !== true)
        return clerkError(
          res,
          422,
          "form_param_value_invalid",
          "reserved_for_second_factor requires verified",
          {
            param_name: "reserved_for_second_factor",
          },
        );
      if (holderOf(phone))
        return clerkError(
          res,
          422,
          "form_identifier_exists",
          "That phone number is taken. Please try another.",
          {
            param_name: "phone_number",
          },
        );
      const entry: FakePhone = {
        id: newId("idn"),
        phone_number: phone,
        verified: body?.verified === true,
        reserved_for_second_factor: body?.reserved_for_second_factor === true,
      };
      user.phones.push(entry);
      // `primary` defaults to false unless it is the user's first number.
      if (body?.primary === true || user.phones.length === 1) user.primary_phone_number_id = entry.id;
      return json(res, 200, phoneJson(entry));
    }
    match = /^\/v1\/phone_numbers\/([^/]+)$/.exec(path);
    if (method === "PATCH" && match) {
      const user = [...users.values()].find((candidate) =>
        candidate.phones.some((entry) => entry.id === match![1]),
      );
      const entry = user?.phones.find((candidate) => candidate.id === match![1]);
      if (!user || !entry) return clerkError(res, 404, "resource_not_found", "not found");
      if (typeof body?.verified === "boolean") entry.verified = body.verified;
      if (body?.reserved_for_second_factor === true && !entry.verified)
        return clerkError(
          res,
          422,
          "form_param_value_invalid",
          "reserved_for_second_factor requires verified",
        );
      if (typeof body?.reserved_for_second_factor === "boolean")
        entry.reserved_for_second_factor = body.reserved_for_second_factor;
      if (body?.primary === true) user.primary_phone_number_id = entry.id;
      return json(res, 200, phoneJson(entry));
    }
    if (method === "POST" && path === "/v1/sign_in_tokens") {
      const userId = body?.user_id;
      if (typeof userId !== "string" || !users.has(userId))
        return clerkError(res, 404, "resource_not_found", "not found", { param_name: "user_id" });
      const expires = body?.expires_in_seconds ?? 2_592_000;
      if (typeof expires !== "number" || !Number.isInteger(expires) || expires < 1)
        return clerkError(res, 422, "form_param_value_invalid", "expires_in_seconds must be at least 1");
      const created = now();
      return json(res, 200, {
        object: "sign_in_token",
        id: newId("sit"),
        status: "pending",
        user_id: userId,
        token: `${newId("tkt")}.${expires}`,
        url: null,
        created_at: created,
        updated_at: created,
      });
    }
    return clerkError(res, 404, "resource_not_found", `No route ${method} ${path}`);
  }

  /** Test steering from other processes: loopback only, never on a real Clerk path. */
  async function control(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    body: Record<string, unknown> | undefined,
  ) {
    const path = url.pathname;
    if (path === "/__fake/calls") return json(res, 200, { calls });
    if (path === "/__fake/reset") {
      users.clear();
      calls.splice(0);
      fault = undefined;
      return json(res, 200, {});
    }
    if (path === "/__fake/users" && req.method === "POST") {
      const user = addUser(
        body?.id as string,
        (body?.phones as { phone: string; verified?: boolean }[]) ?? [],
      );
      return json(res, 200, user);
    }
    const match = /^\/__fake\/users\/([^/]+)$/.exec(path);
    if (match) {
      const user = users.get(match[1]!);
      return user ? json(res, 200, user) : json(res, 404, {});
    }
    if (path === "/__fake/fault") {
      fault = body && Object.keys(body).length ? (body as unknown as FakeFault) : undefined;
      return json(res, 200, { fault: fault ?? null });
    }
    return json(res, 404, {});
  }

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    readBody(req)
      .then((body) =>
        url.pathname.startsWith("/__fake/") ? control(req, res, url, body) : api(req, res, url, body),
      )
      .catch(() => {
        if (!res.headersSent) clerkError(res, 400, "request_body_invalid", "The request body is invalid.");
      });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    addUser,
    user: (id) => users.get(id),
    setFault(next) {
      fault = next;
    },
    reset() {
      users.clear();
      calls.splice(0);
      fault = undefined;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
