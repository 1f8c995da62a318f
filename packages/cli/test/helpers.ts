/** Small helpers for tests that talk real HTTP on loopback. */
import type { IncomingMessage } from "node:http";
import type { Otp, OtpHandlerOptions } from "@otpkit/otp-core";
import { createNodeOtpHandler } from "@otpkit/otp-core/node";
import { type Listening, listen } from "../src/node-http.js";

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

export async function request(
  url: string,
  init: { method?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const hasBody = init.raw !== undefined || init.body !== undefined;
  const response = await fetch(url, {
    method: init.method ?? (hasBody ? "POST" : "GET"),
    headers: { ...(hasBody ? { "content-type": "application/json" } : {}), ...init.headers },
    ...(hasBody ? { body: init.raw ?? JSON.stringify(init.body) } : {}),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {}
  return { status: response.status, headers: response.headers, text, json };
}

/** The verify API's node:http front end (what `otpkit serve` runs) at an ephemeral loopback port. */
export async function serveHandler(
  otp: Otp,
  options: OtpHandlerOptions<IncomingMessage> = {},
): Promise<Listening> {
  return listen(createNodeOtpHandler(otp, { onError: () => {}, ...options }), {
    port: 0,
    host: "127.0.0.1",
    what: "test",
  });
}

export const wrongCode = (code: string) => code.replace(/\d$/, (digit) => String((Number(digit) + 1) % 10));
