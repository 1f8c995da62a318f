import type { IncomingMessage, ServerResponse } from "node:http";
import { createOtpHandler, type Otp, type OtpHandlerOptions, type Purpose } from "@otpkit/otp-core";
import { lazyOtp, type OtpSource } from "./otp-source.js";

export interface SendRouteOptions extends Pick<OtpHandlerOptions, "cors" | "maxBodyBytes" | "onError"> {
  /**
   * The purpose every code from this route is sent for; the body's `purpose` is ignored so the route
   * and `SmsOtpProvider` cannot disagree. Default: `"login"`.
   */
  purpose?: Purpose;
  /**
   * Reverse proxies in front of the app that append to `X-Forwarded-For` (Vercel, a load balancer,
   * nginx…): the client IP for per-IP limits is read that many entries from the right. Keep `0` when
   * nothing trusted sits in front: `next start` only fills the header when the client did not, so a
   * client can write it. Default: `0` (the header is ignored).
   */
  trustProxy?: number;
  /**
   * Reads the client IP yourself, e.g. from a header your platform guarantees
   * (`request.headers.get("x-real-ip")` on Vercel). Wins over the socket address (Pages Router);
   * `trustProxy` wins over both. Default: none — App Router route handlers cannot see the socket,
   * so without this or `trustProxy` the per-IP limit is skipped (per-phone limits still apply).
   */
  getClientIp?: (request: Request) => string | undefined | Promise<string | undefined>;
}

type Handler = (request: Request, ip: string | undefined) => Promise<Response>;

/** otp-core's hardened handler, reduced to the send route with the server's own policy. */
function sendHandler(source: OtpSource, options: SendRouteOptions): Handler {
  const { purpose = "login", getClientIp: _, ...handlerOptions } = options;
  const getOtp = lazyOtp(source);
  let handler: Promise<ReturnType<typeof createOtpHandler>> | undefined;
  return async (request, ip) => {
    try {
      handler ??= getOtp().then((otp) => createOtpHandler(pinPolicy(otp, purpose), handlerOptions));
      // The core routes by path; this route serves one action wherever the app mounts it.
      const url = new URL("/v1/sms/verify/send", request.url);
      return await (await handler)(new Request(url, request), ip ? { ip } : {});
    } catch (error) {
      handler = undefined; // a missing secret or a store that did not connect: retry next time
      (options.onError ?? console.error)(error);
      const body = { error: { code: "internal_error", message: "Something went wrong." } };
      return Response.json(body, { status: 500, headers: { "cache-control": "no-store" } });
    }
  };
}

/**
 * The purpose is the route's, not the caller's. (Code length and lifetime are security policy too:
 * the core handler refuses `code_length` and `expiry_minutes` from callers without an API key.)
 */
function pinPolicy(otp: Otp, purpose: Purpose): Otp {
  return { ...otp, send: (input) => otp.send({ ...input, purpose }) };
}

/**
 * App Router: `app/api/otp/send/route.ts` → `export const { POST } = createSendRoute(otp)`.
 * `POST {phone}` answers `{id, phone, status, expires_at, masked_phone, resend_available_at}` or
 * `{error: {code, message, …}}` with its status (and `Retry-After` on 429).
 */
export function createSendRoute(otp: OtpSource, options: SendRouteOptions = {}) {
  const handle = sendHandler(otp, options);
  return {
    // biome-ignore lint/correctness/noComponentHookFactories: Next.js names route handlers after HTTP methods.
    POST: async (request: Request) => handle(request, await options.getClientIp?.(request)),
  };
}

/**
 * Pages Router: `pages/api/otp/send.ts` → `export default createPagesSendHandler(otp)`. The IP is
 * the socket's (or `getClientIp`'s, or the proxy header's with `trustProxy`). Add
 * `export const config = { api: { bodyParser: false } }` so the core reads the raw body with its
 * own size cap; with Next's body parser on, the parsed body is re-serialized.
 */
export function createPagesSendHandler(otp: OtpSource, options: SendRouteOptions = {}) {
  const handle = sendHandler(otp, options);
  return async (req: IncomingMessage & { body?: unknown }, res: ServerResponse): Promise<void> => {
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers))
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(", ") : value);
    // Next's body parser may have consumed the stream: then re-serialize what it parsed.
    const bodyless = /^(GET|HEAD)$/.test(req.method ?? "");
    let body: BodyInit | AsyncIterable<Uint8Array> | null = bodyless ? null : req;
    if (!bodyless && req.body !== undefined) {
      body = typeof req.body === "string" ? req.body : JSON.stringify(req.body);
      headers.delete("content-length");
    }
    // The URL only has to parse: the handler rewrites the path, and the Host header is the client's.
    const init = { method: req.method ?? "GET", headers, body, duplex: "half" };
    const request = new Request("http://localhost/", init as RequestInit);
    const ip = (await options.getClientIp?.(request)) ?? req.socket?.remoteAddress;
    const response = await handle(request, ip);
    res.statusCode = response.status;
    for (const [name, value] of response.headers) res.setHeader(name, value);
    res.end(Buffer.from(await response.arrayBuffer()));
  };
}
