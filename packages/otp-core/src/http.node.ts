/**
 * `@otpkit/otp-core/node`: the verify API straight on node:http — `(req, res)` for `http.createServer`,
 * Express, Next.js Pages API routes — without building a Web `Request` per call (that bridge cost
 * ~100 µs a request). Same transport-neutral core, so the same hardening as `createOtpHandler`.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { invalid } from "./errors.js";
import { CappedBytes, tooLarge } from "./http-body.js";
import { createOtpHttp, type HttpAnswer, type OtpAction, type OtpHandlerOptions } from "./http-core.js";
import type { OtpSource } from "./source.js";

export type { ApiKeyResolver, Identity, OtpHandlerOptions } from "./http-core.js";

export type NodeRequestHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/** Routes by path; `.send` and `.check` serve one action wherever they are mounted. */
export interface NodeOtpHandler extends NodeRequestHandler {
  send: NodeRequestHandler;
  check: NodeRequestHandler;
}

/** A request whose body a framework already parsed (Next.js Pages API routes, Express's `json()`). */
type MaybeParsed = IncomingMessage & { body?: unknown };

export function createNodeOtpHandler(
  otp: OtpSource,
  options: OtpHandlerOptions<IncomingMessage> = {},
): NodeOtpHandler {
  const http = createOtpHttp<IncomingMessage>(otp, options);
  const handler = (action: OtpAction | undefined): NodeRequestHandler =>
    async function nodeOtpHandler(req, res) {
      const answer = await http.handle(
        {
          request: req,
          method: req.method ?? "GET",
          path: pathOf(req.url ?? "/"),
          header: (name) => {
            const value = req.headers[name];
            return Array.isArray(value) ? value.join(", ") : value;
          },
          body: (maxBytes) => readBody(req, maxBytes),
          socketIp: req.socket?.remoteAddress,
        },
        action,
      );
      writeAnswer(answer, req, res);
    };
  return Object.assign(handler(undefined), { send: handler("send"), check: handler("check") });
}

/**
 * The path of a request target. Origin-form (`/path?query`) is taken as it is — never parsed
 * against the Host header, which is client input (`//evil/…` stays a path, not a host).
 */
function pathOf(target: string): string {
  if (target.startsWith("/")) {
    const query = target.indexOf("?");
    return query < 0 ? target : target.slice(0, query);
  }
  try {
    return new URL(target).pathname;
  } catch {
    return "";
  }
}

const encoder = new TextEncoder();

function readBody(req: MaybeParsed, maxBytes: number): Promise<Uint8Array> {
  // The framework consumed the stream: re-serialise what it parsed (the size cap still applies).
  if (req.body !== undefined) {
    const value = req.body;
    const bytes =
      value instanceof Uint8Array
        ? value
        : encoder.encode(typeof value === "string" ? value : JSON.stringify(value));
    return bytes.byteLength > maxBytes ? Promise.reject(tooLarge(maxBytes)) : Promise.resolve(bytes);
  }
  return new Promise((resolve, reject) => {
    const collected = new CappedBytes(maxBytes);
    const done = (error?: unknown) => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
      req.off("close", onClose);
      if (error) {
        // Stop listening but leave the socket intact for the answer (which then closes it).
        req.resume();
        reject(error);
      } else resolve(collected.bytes());
    };
    const onData = (chunk: Uint8Array) => {
      try {
        collected.add(chunk);
      } catch (error) {
        done(error);
      }
    };
    const onEnd = () => done();
    const onError = () => done(invalid("body", "The body could not be read."));
    const onClose = () => {
      if (!req.complete) onError();
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
    req.on("close", onClose);
  });
}

function writeAnswer(answer: HttpAnswer, req: IncomingMessage, res: ServerResponse): void {
  // An unread request body (413, 415, 401) would otherwise be drained before the socket is reused.
  res.writeHead(answer.status, req.complete ? answer.headers : { ...answer.headers, connection: "close" });
  res.end(req.method === "HEAD" || answer.body === null ? undefined : answer.body);
}
