/**
 * The bridge between node:http and Web-standard handlers, and a `listen` that turns the usual
 * startup failures (port taken, bad host) into one-line messages.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";

/** A failure the CLI prints as one line, without a stack trace. */
export class CliError extends Error {
  override readonly name = "CliError";
  /** Set when a port was taken, so a caller can fall back (serve reuses a running sandbox). */
  readonly portInUse: boolean;
  constructor(message: string, { portInUse = false }: { portInUse?: boolean } = {}) {
    super(message);
    this.portInUse = portInUse;
  }
}

export type WebHandler = (request: Request, context: { ip?: string }) => Promise<Response>;

/** Turns a Node request into a Web `Request`. The body streams lazily, so a size cap can stop early. */
export function toWebRequest(req: IncomingMessage): Request {
  const target = req.url ?? "/";
  // Origin-form targets ("/path") are joined to a fixed origin: the Host header is client input and
  // must not be able to break URL parsing or change the path.
  const url = target.startsWith("/") ? `http://localhost${target}` : new URL(target).toString();
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) headers.append(name, item);
  }
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  return new Request(url, {
    method: req.method ?? "GET",
    headers,
    ...(hasBody ? { body: nodeBodyStream(req), duplex: "half" } : {}),
  } as RequestInit);
}

/**
 * The request body as a Web stream with backpressure. Cancelling it (a 413 after the cap) only
 * stops listening: the socket stays intact for the response, which then closes the connection.
 */
function nodeBodyStream(req: IncomingMessage): ReadableStream<Uint8Array> {
  let settled = false;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      req.on("data", (chunk: Uint8Array) => {
        if (settled) return;
        controller.enqueue(new Uint8Array(chunk));
        if ((controller.desiredSize ?? 1) <= 0) req.pause();
      });
      req.on("end", () => {
        if (!settled) controller.close();
        settled = true;
      });
      const fail = () => {
        if (!settled) controller.error(new Error("The client went away mid-body."));
        settled = true;
      };
      req.on("error", fail);
      req.on("close", fail);
    },
    pull() {
      req.resume();
    },
    cancel() {
      settled = true;
      req.resume();
    },
  });
}

/** Writes a Web `Response` to Node. Bodies here are small JSON or HTML, so they are buffered. */
export async function writeWebResponse(response: Response, req: IncomingMessage, res: ServerResponse) {
  const body = new Uint8Array(await response.arrayBuffer());
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  // An unread request body (413, 415, 401) would otherwise be drained before the socket is reused.
  if (!req.complete) headers.connection = "close";
  res.writeHead(response.status, headers);
  res.end(req.method === "HEAD" ? undefined : body);
}

/** A node:http listener running a Web handler, the socket's address as `context.ip`. */
export function nodeListener(handler: WebHandler, onError: (error: unknown) => void = () => {}) {
  return async (req: IncomingMessage, res: ServerResponse) => {
    try {
      let request: Request;
      try {
        request = toWebRequest(req);
      } catch {
        res.writeHead(400, { "content-type": "application/json; charset=utf-8", connection: "close" });
        res.end(JSON.stringify({ error: { code: "invalid_request", message: "Malformed request." } }));
        return;
      }
      const ip = req.socket.remoteAddress;
      await writeWebResponse(await handler(request, ip ? { ip } : {}), req, res);
    } catch (error) {
      onError(error);
      if (!res.headersSent) {
        res.writeHead(500, { "content-type": "application/json; charset=utf-8" });
        res.end(JSON.stringify({ error: { code: "internal_error", message: "Something went wrong." } }));
      } else res.destroy();
    }
  };
}

export interface Listening {
  server: Server;
  port: number;
  host: string;
  url: string;
  /** Stops accepting, waits up to `graceMs` for requests in flight, then drops what is left. */
  close(graceMs?: number): Promise<void>;
}

/**
 * Listens and resolves once bound. Port 0 picks a free port. Errors become `CliError`s that say
 * what to do, e.g. "Port 4000 on 127.0.0.1 is already in use".
 */
export function listen(
  listener: (req: IncomingMessage, res: ServerResponse) => void,
  { port, host, what }: { port: number; host: string; what: string },
): Promise<Listening> {
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    return Promise.reject(new CliError(`--port must be a whole number from 0 to 65535, not ${port}.`));
  const server = createServer(listener);
  // Slow or stalled clients must not hold sockets forever.
  server.requestTimeout = 30_000;
  server.headersTimeout = 15_000;
  server.on("clientError", answerMalformed);
  return new Promise((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => reject(listenError(error, what, host, port)));
    server.listen(port, host, () => {
      const bound = (server.address() as AddressInfo).port;
      const urlHost = host.includes(":") ? `[${host}]` : host;
      resolve({
        server,
        port: bound,
        host,
        url: `http://${urlHost}:${bound}`,
        close: (graceMs = 5000) => closeServer(server, graceMs),
      });
    });
  });
}

/** Requests Node cannot even parse (or that never finish arriving) still get a JSON 4xx. */
function answerMalformed(error: NodeJS.ErrnoException, socket: Duplex) {
  const responding = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent;
  if (!socket.writable || responding || error.code === "ECONNRESET") return socket.destroy();
  const [status, message] =
    error.code === "HPE_HEADER_OVERFLOW"
      ? ["431 Request Header Fields Too Large", "The request headers are too large."]
      : error.code === "ERR_HTTP_REQUEST_TIMEOUT"
        ? ["408 Request Timeout", "The request did not arrive in time."]
        : ["400 Bad Request", "Malformed HTTP request."];
  const body = JSON.stringify({ error: { code: "invalid_request", message } });
  socket.end(
    `HTTP/1.1 ${status}\r\ncontent-type: application/json; charset=utf-8\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

function listenError(error: NodeJS.ErrnoException, what: string, host: string, port: number): CliError {
  switch (error.code) {
    case "EADDRINUSE":
      return new CliError(
        `${what}: port ${port} on ${host} is already in use (another otpkit?). Pick another with --port.`,
        { portInUse: true },
      );
    case "EACCES":
      return new CliError(`${what}: not allowed to listen on port ${port}. Use a port above 1024.`);
    case "EADDRNOTAVAIL":
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return new CliError(`${what}: cannot listen on host "${host}" (not an address of this machine).`);
    default:
      return new CliError(`${what}: cannot listen on ${host}:${port} (${error.code ?? error.message}).`);
  }
}

function closeServer(server: Server, graceMs: number): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => server.closeAllConnections(), graceMs);
    // Keep-alive sockets go idle as their last response ends; close them as they do, or they would
    // hold close() open until their keep-alive timeout.
    const sweep = setInterval(() => server.closeIdleConnections(), 50);
    force.unref();
    sweep.unref();
    server.close(() => {
      clearTimeout(force);
      clearInterval(sweep);
      resolve();
    });
    server.closeIdleConnections();
  });
}
