/**
 * The sandbox's HTTP surface: one small function per route over the message store
 * (sandbox-state.ts), and the mapping from its state to the plain data the inbox page renders.
 * Every body is JSON (which also forces a CORS preflight on cross-site pages, never granted), so a
 * page on another site can neither post events nor delete messages.
 */
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import {
  type InboxEntry,
  type InboxGroup,
  type InboxView,
  renderInboxList,
  renderInboxPage,
} from "./inbox-page.js";
import { CliError } from "./node-http.js";
import { type MessageState, type MessageStore, parseInboxEvent } from "./sandbox-state.js";

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

/** What the routes share with `startSandbox`. */
export interface RouteContext {
  store: MessageStore;
  /** Accept only this Bearer key; `undefined`: any non-empty key. */
  apiKey: string | undefined;
  getFaults(): SandboxFaults | undefined;
  setFaults(faults: SandboxFaults | undefined): void;
  /** Tells every open inbox page that something changed. */
  notify(): void;
  /** Adds a live-update client (Server-Sent Events). */
  subscribe(req: IncomingMessage, res: ServerResponse): void;
  /** Holds a response until the client gives up or the sandbox closes (the `hang` fault). */
  hold(res: ServerResponse): void;
  /** The sandbox's own URL, for the page's header. */
  url(): string;
}

const maxBodyBytes = 64 * 1024;
const e164 = /^\+[1-9]\d{6,14}$/;
const messagePath = /^\/api\/sandbox\/messages\/([A-Za-z0-9_-]{1,80})$/;

/** Answers one request (the Host check has already passed). */
export async function route(context: RouteContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "http://localhost");
  const path = url.pathname;
  const method = req.method ?? "GET";
  const to = normalizeTo(url.searchParams.get("to"));
  const search = url.searchParams.get("q")?.slice(0, 40) ?? "";
  const { store } = context;

  if (path === "/api/v1/sms" && method === "POST") return sendSms(context, req, res);
  if (path === "/api/sandbox/messages" && method === "GET")
    return reply(res, 200, { messages: store.list({ ...(to ? { to } : {}), search }) });
  if (path === "/api/sandbox/messages" && method === "DELETE") {
    const deleted = store.clear();
    context.notify();
    return reply(res, 200, { deleted });
  }
  const one = messagePath.exec(path);
  if (one && method === "DELETE") {
    if (!store.remove(one[1]!)) return reply(res, 404, error("not_found", `No message ${one[1]}.`));
    context.notify();
    return reply(res, 200, { deleted: 1 });
  }
  if (path === "/api/sandbox/last-code" && method === "GET") {
    if (!to) return reply(res, 400, error("validation_error", "Give ?to=<E.164 number>."));
    const code = store.list({ to }).find((message) => message.code)?.code;
    return code
      ? reply(res, 200, { code })
      : reply(res, 404, error("not_found", `No message with a code to ${to}.`));
  }
  if (path === "/api/sandbox/faults") return faultsRoute(context, method, req, res);
  if (path === "/api/sandbox/events" && method === "GET") return context.subscribe(req, res);
  if (path === "/api/sandbox/events" && method === "POST") return postEvent(context, req, res);
  if (path === "/" && (method === "GET" || method === "HEAD")) {
    const nonce = randomBytes(16).toString("base64");
    return html(res, renderInboxPage(inboxView(context, search), { url: context.url(), nonce }), nonce);
  }
  if (path === "/inbox/list" && method === "GET")
    return html(res, renderInboxList(inboxView(context, search)));
  if (path === "/favicon.ico") return void res.writeHead(204).end();
  return reply(res, 404, error("not_found", `No route ${method} ${path}.`));
}

/** The store's state as the page's plain shapes: grouped by phone, newest group first. */
export function inboxView(context: Pick<RouteContext, "store" | "getFaults">, search: string): InboxView {
  const groups = new Map<string, InboxGroup>();
  for (const state of context.store.states(Date.now(), { search })) {
    const group = groups.get(state.to) ?? { phone: state.to, entries: [] };
    group.entries.push(entryOf(state));
    groups.set(state.to, group);
  }
  const faults = context.getFaults();
  return {
    groups: [...groups.values()],
    total: context.store.size,
    search,
    ...(faults ? { faults: describeFaults(faults) } : {}),
  };
}

function entryOf(state: MessageState): InboxEntry {
  return {
    id: state.id,
    body: state.body,
    code: state.code,
    status: state.status,
    receivedAt: state.receivedAt,
    ...(state.expiresAt ? { expiresAt: state.expiresAt } : {}),
    wrongAttempts: state.wrongAttempts,
    details: [
      // A tag that only repeats the purpose (core tags each SMS with it) says nothing new.
      ...state.tags.filter((tag) => tag !== state.purpose),
      // expires_at is shown as the countdown; the rest as sent.
      ...Object.entries(state.metadata)
        .filter(([key]) => key !== "expires_at")
        .map(([key, value]) => `${key}=${typeof value === "string" ? value : JSON.stringify(value)}`),
    ],
  };
}

function describeFaults(faults: SandboxFaults): string {
  const parts: string[] = [];
  if (faults.status) parts.push(`answer ${faults.status}`);
  if (faults.latencyMs) parts.push(`${faults.latencyMs} ms latency`);
  if (faults.hang) parts.push("never answer");
  if (faults.count !== undefined) parts.push(`next ${faults.count} send${faults.count === 1 ? "" : "s"}`);
  return parts.join(", ");
}

async function sendSms(context: RouteContext, req: IncomingMessage, res: ServerResponse) {
  const key = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? "")?.[1];
  if (!key || (context.apiKey !== undefined && key !== context.apiKey))
    return reply(res, 401, error("unauthorized", "Missing or invalid API key (Authorization: Bearer …)."));
  const body = await readJson(req, res);
  if (body === undefined) return;
  const problem = validateSms(body);
  if (problem) return reply(res, 400, error("validation_error", problem));

  const fault = context.getFaults();
  if (fault) {
    if (fault.count !== undefined && --fault.count <= 0) context.setFaults(undefined);
    if (fault.latencyMs) await sleep(fault.latencyMs);
    if (fault.hang) return context.hold(res);
    if (fault.status) return replyFault(res, fault);
  }

  const message = context.store.add({
    to: body.to as string,
    body: body.body as string,
    metadata: (body.metadata as Record<string, unknown> | undefined) ?? {},
    tags: (body.tags as string[] | undefined) ?? [],
  });
  context.notify();
  reply(res, 200, {
    data: [{ id: message.id, to: message.to, status: "queued", created_at: message.receivedAt }],
  });
}

async function faultsRoute(context: RouteContext, method: string, req: IncomingMessage, res: ServerResponse) {
  if (method === "GET") return reply(res, 200, { faults: context.getFaults() ?? null });
  if (method === "DELETE") {
    context.setFaults(undefined);
    return reply(res, 200, { faults: null });
  }
  if (method !== "POST")
    return reply(res, 404, error("not_found", `No route ${method} /api/sandbox/faults.`));
  const body = await readJson(req, res);
  if (body === undefined) return;
  try {
    context.setFaults(checkFaults(body as SandboxFaults));
  } catch (problem) {
    return reply(res, 400, error("validation_error", (problem as Error).message));
  }
  return reply(res, 200, { faults: context.getFaults() ?? null });
}

/** `POST /api/sandbox/events`: an app's OtpEvent (verified, failed…) marks the codes it names. */
async function postEvent(context: RouteContext, req: IncomingMessage, res: ServerResponse) {
  const body = await readJson(req, res);
  if (body === undefined) return;
  const event = parseInboxEvent(body);
  if (typeof event === "string") return reply(res, 400, error("validation_error", event));
  const matched = context.store.apply(event);
  if (matched) context.notify();
  return reply(res, 200, { matched });
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

export const error = (code: string, message: string) => ({ error: { code, message }, message });

export function reply(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
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
