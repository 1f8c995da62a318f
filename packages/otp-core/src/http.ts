/**
 * The verify API (seed 001) as Web-standard functions, `Request → Response`: Next.js route
 * handlers, Deno/Supabase, Bun, Hono, Cloudflare Workers. No framework and no Node APIs inside, on
 * purpose; `@otpkit/otp-core/node` serves the same core straight from node:http.
 */
import { readStreamAtMost } from "./http-body.js";
import { createOtpHttp, type HttpAnswer, type OtpAction, type OtpHandlerOptions } from "./http-core.js";
import type { OtpSource } from "./source.js";

export type { ApiKeyResolver, Identity, OtpHandlerOptions } from "./http-core.js";

/** What a server adapter knows about the connection. */
export interface OtpHandlerContext {
  /** The peer address of the TCP connection. */
  ip?: string;
}

export type OtpRequestHandler = (request: Request, context?: OtpHandlerContext) => Promise<Response>;

/**
 * Routes by path (`POST {basePath}/v1/sms/verify/send` and `/check`). `.send` and `.check` serve
 * one action wherever they are mounted (a Next.js `route.ts`, a Hono route…), without routing.
 */
export interface OtpHandler extends OtpRequestHandler {
  send: OtpRequestHandler;
  check: OtpRequestHandler;
}

export function createOtpHandler(otp: OtpSource, options: OtpHandlerOptions<Request> = {}): OtpHandler {
  const http = createOtpHttp<Request>(otp, options);
  const handler = (action: OtpAction | undefined): OtpRequestHandler =>
    async function otpHandler(request, context) {
      const answer = await http.handle(
        {
          request,
          method: request.method,
          path: new URL(request.url).pathname,
          header: (name) => request.headers.get(name),
          body: (maxBytes) => readStreamAtMost(request.body, maxBytes),
          socketIp: typeof context?.ip === "string" ? context.ip : undefined,
        },
        action,
      );
      return toResponse(answer);
    };
  return Object.assign(handler(undefined), { send: handler("send"), check: handler("check") });
}

export function toResponse({ status, headers, body }: HttpAnswer): Response {
  return new Response(body, { status, headers });
}
