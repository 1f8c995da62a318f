/**
 * `otpkit sandbox`: a local SMS gateway that speaks the Unosend send API (seed 000) and keeps every
 * message for a person (the inbox page) and for tests (JSON). It is the one deliberate place where
 * codes are readable, so it binds to loopback and refuses requests addressed to other host names
 * (a DNS-rebinding page could otherwise read codes through the browser).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { type Listening, listen } from "./node-http.js";
import { checkFaults, error, type RouteContext, reply, route, type SandboxFaults } from "./sandbox-routes.js";
import {
  createMessageStore,
  type MessageState,
  parseInboxEvent,
  type SandboxMessage,
} from "./sandbox-state.js";

export { checkFaults, type SandboxFaults } from "./sandbox-routes.js";
export type { MessageState, MessageStatus, SandboxMessage } from "./sandbox-state.js";

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
  /** Every message with its status now (live, superseded, used, expired, locked…), newest first. */
  states(): MessageState[];
  /**
   * What `POST /api/sandbox/events` does, in process: marks the codes of the event's verification
   * id (an otp-core `OtpEvent`; only `type`, `id` and `reason` are read). Returns how many messages
   * it matched; a malformed event matches none.
   */
  report(event: object): number;
  clear(): void;
  /** Replaces the active faults; `undefined` clears them. */
  setFaults(faults: SandboxFaults | undefined): void;
  close(): Promise<void>;
}

const loopbackHosts = new Set(["localhost", "127.0.0.1", "[::1]", "::1"]);

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const host = options.host ?? "127.0.0.1";
  const allowedHosts = new Set((options.allowedHosts ?? []).map((name) => name.toLowerCase()));
  const store = createMessageStore({ maxMessages: options.maxMessages ?? 1000 });
  let faults = checkFaults(options.faults);
  const liveClients = new Set<ServerResponse>();
  const hanging = new Set<ServerResponse>();
  let sandboxUrl = "";

  const notify = () => {
    for (const client of liveClients) client.write("data: changed\n\n");
  };
  const context: RouteContext = {
    store,
    apiKey: options.apiKey,
    getFaults: () => faults,
    setFaults(next) {
      faults = next;
      notify();
    },
    notify,
    subscribe(req, res) {
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
    },
    hold(res) {
      hanging.add(res);
      res.on("close", () => hanging.delete(res));
    },
    url: () => sandboxUrl,
  };

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    if (!hostAllowed(req.headers.host, host, allowedHosts)) {
      reply(res, 403, error("forbidden_host", "The sandbox only answers requests addressed to localhost."));
      return;
    }
    route(context, req, res).catch(() => {
      if (!res.headersSent) reply(res, 500, error("internal_error", "The sandbox failed."));
    });
  };

  const server: Listening = await listen(listener, { port: options.port ?? 4025, host, what: "sandbox" });
  sandboxUrl = server.url;

  return {
    url: server.url,
    port: server.port,
    apiUrl: `${server.url}/api/v1`,
    get messages() {
      return store.list();
    },
    lastCode: (to) => store.list({ to }).find((message) => message.code)?.code ?? undefined,
    states: () => store.states(Date.now()),
    report(event) {
      const parsed = parseInboxEvent({ ...event } as Record<string, unknown>);
      const matched = typeof parsed === "string" ? 0 : store.apply(parsed);
      if (matched) notify();
      return matched;
    },
    clear() {
      store.clear();
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
