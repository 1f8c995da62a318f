/**
 * `otpkit sandbox`: a local SMS gateway that speaks the Unosend send API (seed 000) and keeps every
 * message for a person (the inbox page) and for tests (JSON). It is the one deliberate place where
 * codes are readable, so it binds to loopback and refuses requests addressed to other host names
 * (a DNS-rebinding page could otherwise read codes through the browser).
 */
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { extractCode } from "@otpkit/otp-core";
import { renderInboxList, renderInboxPage } from "./inbox-page.js";
import { CliError, type Listening, listen } from "./node-http.js";

export interface SandboxFaults {
  /** Answer sends with this HTTP status (429, 402, 500, …) instead of accepting them. */
  status?: number;
  /** Wait this many milliseconds before answering. */
  latencyMs?: number;
  /** Never answer, so the client's timeout fires. */
  hang?: boolean;
  /** Apply to this many sends, then clear. Default: every send until cleared. */
  count?: number;
  /** Seconds in the `Retry-After` of a 429. Default: 1. */
  retryAfter?: number;
}

export interface SandboxOptions {
  /** Default: 4025. 0 picks a free port. */
  port?: number;
  /** Default: "127.0.0.1". */
  host?: string;
  /** Faults active from the start (`--fail`, `--latency`, `--timeout`). Default: none. */
  faults?: SandboxFaults;
  /** Accept only this Bearer key. Default: any non-empty key. */
  apiKey?: string;
  /** Oldest messages are dropped beyond this many. Default: 1000. */
  maxMessages?: number;
  /**
   * Host names (the `Host` header, port ignored) the sandbox answers besides loopback names,
   * `*.localhost` and the literal bound address — e.g. a Docker service name. Every other name is
   * refused with 403, whatever the bind address: a DNS-rebinding page would otherwise read every
   * code through the JSON API. Default: none.
   */
  allowedHosts?: readonly string[];
}

export interface SandboxMessage {
  id: string;
  to: string;
  body: string;
  /** The code read back out of the body (`extractCode`), or null. */
  code: string | null;
  metadata: Record<string, unknown>;
  tags: string[];
  /** ISO 8601. */
  receivedAt: string;
}

export interface Sandbox {
  /** e.g. `http://127.0.0.1:4025`; the inbox page is at `/`. */
  url: string;
  port: number;
  /** The send API base for `unosend({ apiUrl })` / `UNOSEND_API_URL`: `{url}/api/v1`. */
  apiUrl: string;
  /** Every message kept, newest first (a snapshot). */
  readonly messages: SandboxMessage[];
  /** The code of the newest message to `to`, if any. */
  lastCode(to: string): string | undefined;
  clear(): void;
  /** Replaces the active faults; `undefined` clears them. */
  setFaults(faults: SandboxFaults | undefined): void;
  close(): Promise<void>;
}

const maxBodyBytes = 64 * 1024;
const e164 = /^\+[1-9]\d{6,14}$/;
const loopbackHosts = new Set(["localhost", "127.0.0.1", "[::1]", "::1"]);

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const host = options.host ?? "127.0.0.1";
  const allowedHosts = new Set((options.allowedHosts ?? []).map((name) => name.toLowerCase()));
  const maxMessages = options.maxMessages ?? 1000;
  let faults = checkFaults(options.faults);
  /** Oldest first; reversed when read. */
  const messages: SandboxMessage[] = [];
  const liveClients = new Set<ServerResponse>();
  const hanging = new Set<ServerResponse>();
  let counter = 0;

  const notify = () => {
    for (const client of liveClients) client.write("data: changed\n\n");
  };
  const newestFirst = (to?: string) => messages.filter((message) => !to || message.to === to).reverse();

  async function sendSms(req: IncomingMessage, res: ServerResponse) {
    const key = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? "")?.[1];
    if (!key || (options.apiKey !== undefined && key !== options.apiKey))
      return reply(res, 401, error("unauthorized", "Missing or invalid API key (Authorization: Bearer …)."));
    const body = await readJson(req, res);
    if (body === undefined) return;
    const problem = validateSms(body);
    if (problem) return reply(res, 400, error("validation_error", problem));

    const fault = faults;
    if (fault) {
      if (fault.count !== undefined && --fault.count <= 0) faults = undefined;
      if (fault.latencyMs) await sleep(fault.latencyMs);
      if (fault.hang) {
        // Held until the client gives up or the sandbox closes.
        hanging.add(res);
        res.on("close", () => hanging.delete(res));
        return;
      }
      if (fault.status) return replyFault(res, fault);
    }

    const message: SandboxMessage = {
      id: `sms_${Date.now().toString(36)}${(++counter).toString(36)}${randomBytes(4).toString("hex")}`,
      to: body.to as string,
      body: body.body as string,
      code: extractCode(body.body as string) ?? null,
      metadata: (body.metadata as Record<string, unknown> | undefined) ?? {},
      tags: (body.tags as string[] | undefined) ?? [],
      receivedAt: new Date().toISOString(),
    };
    messages.push(message);
    if (messages.length > maxMessages) messages.splice(0, messages.length - maxMessages);
    notify();
    reply(res, 200, {
      data: [{ id: message.id, to: message.to, status: "queued", created_at: message.receivedAt }],
    });
  }

  async function route(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? "/", "http://localhost");
    const path = url.pathname;
    const method = req.method ?? "GET";
    const to = normalizeTo(url.searchParams.get("to"));

    if (path === "/api/v1/sms" && method === "POST") return sendSms(req, res);
    if (path === "/api/sandbox/messages" && method === "GET")
      return reply(res, 200, { messages: newestFirst(to) });
    if (path === "/api/sandbox/messages" && method === "DELETE") {
      const deleted = messages.splice(0).length;
      notify();
      return reply(res, 200, { deleted });
    }
    if (path === "/api/sandbox/last-code" && method === "GET") {
      if (!to) return reply(res, 400, error("validation_error", "Give ?to=<E.164 number>."));
      const code = newestFirst(to).find((message) => message.code)?.code;
      return code
        ? reply(res, 200, { code })
        : reply(res, 404, error("not_found", `No message with a code to ${to}.`));
    }
    if (path === "/api/sandbox/faults") {
      if (method === "GET") return reply(res, 200, { faults: faults ?? null });
      if (method === "DELETE") {
        faults = undefined;
        notify();
        return reply(res, 200, { faults: null });
      }
      if (method === "POST") {
        const body = await readJson(req, res);
        if (body === undefined) return;
        try {
          faults = checkFaults(body as SandboxFaults);
        } catch (problem) {
          return reply(res, 400, error("validation_error", (problem as Error).message));
        }
        notify();
        return reply(res, 200, { faults: faults ?? null });
      }
    }
    if (path === "/api/sandbox/events" && method === "GET") return liveUpdates(req, res);
    if (path === "/" && (method === "GET" || method === "HEAD")) {
      const nonce = randomBytes(16).toString("base64");
      return html(res, renderInboxPage(newestFirst(), faults, sandboxUrl, nonce), nonce);
    }
    if (path === "/inbox/list" && method === "GET") return html(res, renderInboxList(newestFirst(), faults));
    if (path === "/favicon.ico") return res.writeHead(204).end();
    return reply(res, 404, error("not_found", `No route ${method} ${path}.`));
  }

  function liveUpdates(req: IncomingMessage, res: ServerResponse) {
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      connection: "keep-alive",
    });
    // The stream only says "something changed"; the page re-fetches the list. No bodies travel here.
    res.write("retry: 2000\n\n");
    liveClients.add(res);
    const heartbeat = setInterval(() => res.write(": ping\n\n"), 15_000);
    heartbeat.unref();
    req.on("close", () => {
      clearInterval(heartbeat);
      liveClients.delete(res);
    });
  }

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    if (!hostAllowed(req.headers.host, host, allowedHosts)) {
      reply(res, 403, error("forbidden_host", "The sandbox only answers requests addressed to localhost."));
      return;
    }
    route(req, res).catch(() => {
      if (!res.headersSent) reply(res, 500, error("internal_error", "The sandbox failed."));
    });
  };

  const server: Listening = await listen(listener, { port: options.port ?? 4025, host, what: "sandbox" });
  const sandboxUrl = server.url;

  return {
    url: server.url,
    port: server.port,
    apiUrl: `${server.url}/api/v1`,
    get messages() {
      return newestFirst();
    },
    lastCode: (to) => newestFirst(to).find((message) => message.code)?.code ?? undefined,
    clear() {
      messages.splice(0);
      notify();
    },
    setFaults(next) {
      faults = checkFaults(next);
      notify();
    },
    async close() {
      for (const client of liveClients) client.end();
      for (const res of hanging) res.destroy();
      await server.close(1000);
    },
  };
}

/** Validates faults from flags or JSON; throws a `CliError` with a one-line reason. */
export function checkFaults(input: SandboxFaults | undefined | null): SandboxFaults | undefined {
  if (input === undefined || input === null) return undefined;
  if (typeof input !== "object" || Array.isArray(input)) throw new CliError("Faults are a JSON object.");
  const { status, latencyMs, hang, count, retryAfter } = input;
  const whole = (value: unknown, min: number, max: number) =>
    value === undefined || (Number.isInteger(value) && (value as number) >= min && (value as number) <= max);
  if (!whole(status, 400, 599)) throw new CliError("Fault status must be an HTTP error status, 400–599.");
  if (!whole(latencyMs, 0, 120_000)) throw new CliError("Fault latencyMs must be 0–120000.");
  if (!whole(count, 1, 1_000_000)) throw new CliError("Fault count must be a whole number ≥ 1.");
  if (!whole(retryAfter, 0, 86_400)) throw new CliError("Fault retryAfter must be 0–86400 seconds.");
  if (hang !== undefined && typeof hang !== "boolean")
    throw new CliError("Fault hang must be true or false.");
  const faults: SandboxFaults = {};
  if (status !== undefined) faults.status = status;
  if (latencyMs) faults.latencyMs = latencyMs;
  if (hang) faults.hang = true;
  if (count !== undefined) faults.count = count;
  if (retryAfter !== undefined) faults.retryAfter = retryAfter;
  return faults.status || faults.latencyMs || faults.hang ? faults : undefined;
}

function validateSms(body: Record<string, unknown>): string | undefined {
  const { to, body: text, metadata, tags } = body;
  if (typeof to !== "string" || !e164.test(to)) return "`to` must be an E.164 number like +14155551234.";
  if (typeof text !== "string" || !text.length || text.length > 1600)
    return "`body` must be text of 1–1600 characters.";
  if (
    metadata !== undefined &&
    metadata !== null &&
    (typeof metadata !== "object" || Array.isArray(metadata) || JSON.stringify(metadata).length > 4096)
  )
    return "`metadata` must be a JSON object of at most 4 KB.";
  if (
    tags !== undefined &&
    tags !== null &&
    !(
      Array.isArray(tags) &&
      tags.length <= 20 &&
      tags.every((tag) => typeof tag === "string" && tag.length <= 64)
    )
  )
    return "`tags` must be at most 20 strings.";
  return undefined;
}

/** Reads a JSON object body, or answers 413/415/400 itself and returns undefined. */
async function readJson(
  req: IncomingMessage,
  res: ServerResponse,
): Promise<Record<string, unknown> | undefined> {
  // Requiring JSON also forces a CORS preflight on cross-site pages, which the sandbox never grants.
  if (!/^application\/json\b/i.test(req.headers["content-type"] ?? "")) {
    reply(res, 415, error("unsupported_media_type", "Send JSON (Content-Type: application/json)."));
    return undefined;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBodyBytes) {
      reply(res, 413, error("payload_too_large", "The body is larger than 64 KB."), { connection: "close" });
      return undefined;
    }
    chunks.push(chunk as Buffer);
  }
  try {
    const parsed = JSON.parse(Buffer.concat(chunks).toString("utf8"), (key, value) =>
      key === "__proto__" ? undefined : value,
    );
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) return parsed;
  } catch {}
  reply(res, 400, error("validation_error", "The body must be a JSON object."));
  return undefined;
}

function replyFault(res: ServerResponse, fault: SandboxFaults) {
  const status = fault.status!;
  const messages: Record<number, [string, string]> = {
    429: ["rate_limit_exceeded", "Rate limit exceeded (sandbox fault)."],
    402: ["quota_exceeded", "SMS quota exceeded. Upgrade plan (sandbox fault)."],
  };
  const [code, message] = messages[status] ?? [
    "provider_error",
    `Injected failure ${status} (sandbox fault).`,
  ];
  reply(
    res,
    status,
    error(code, message),
    status === 429 ? { "retry-after": String(fault.retryAfter ?? 1) } : {},
  );
}

/** `?to=+14155551234` arrives as " 14155551234" when the `+` is not percent-encoded; accept both. */
function normalizeTo(to: string | null): string | undefined {
  if (!to) return undefined;
  const trimmed = to.trim();
  return /^\d/.test(trimmed) ? `+${trimmed}` : trimmed;
}

/** Whether the sandbox answers a request with this `Host` header (exported for tests). */
export function hostAllowed(
  hostHeader: string | undefined,
  boundHost: string,
  allowed: ReadonlySet<string>,
): boolean {
  // Always checked, also when bound to 0.0.0.0 (which Docker needs): a Host allow-list is what
  // stops DNS rebinding, and the bind address says nothing about which names are legitimate.
  if (!hostHeader) return false;
  const name = hostHeader.replace(/:\d+$/, "").toLowerCase();
  const bound = boundHost.toLowerCase();
  return (
    loopbackHosts.has(name) ||
    name.endsWith(".localhost") ||
    allowed.has(name) ||
    (bound !== "0.0.0.0" && bound !== "::" && bound !== "[::]" && (name === bound || name === `[${bound}]`))
  );
}

const error = (code: string, message: string) => ({ error: { code, message }, message });

function reply(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "cache-control": "no-store",
    ...headers,
  });
  res.end(JSON.stringify(body));
}

function html(res: ServerResponse, page: string, nonce?: string) {
  res.writeHead(200, {
    "content-type": "text/html; charset=utf-8",
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    // Message bodies are untrusted text: escaped when rendered, and no script runs but ours.
    "content-security-policy": `default-src 'none'; style-src 'unsafe-inline'; script-src ${
      nonce ? `'nonce-${nonce}'` : "'none'"
    }; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
  });
  res.end(page);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
