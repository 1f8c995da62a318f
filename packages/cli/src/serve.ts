/**
 * `otpkit serve`: the verify API (`createOtpHandler`) on node:http, configured from the
 * environment. With no configuration at all it runs the embedded default — memory store, an
 * ephemeral secret and a sandbox as the SMS provider — so `npx otpkit serve` just works locally;
 * in production it refuses to start without a real secret and a real provider.
 */
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import {
  createOtp,
  isOtpError,
  type LintFinding,
  lintConfig,
  type Otp,
  type OtpHandlerOptions,
  otpOptionsFromEnv,
  type Preset,
  unosend,
} from "@otpkit/otp-core";
import { createNodeOtpHandler } from "@otpkit/otp-core/node";
import { CliError, listen } from "./node-http.js";
import { type Sandbox, startSandbox } from "./sandbox.js";
import { storeFromEnv } from "./store-from-env.js";

export type Env = Record<string, string | undefined>;
export type Log = (level: "info" | "warn" | "error", line: string) => void;

export interface ServerOptions {
  /** Default: 4000. 0 picks a free port. */
  port?: number;
  /** Default: "127.0.0.1". */
  host?: string;
  /** Configuration (see the README for every variable). Default: `process.env`. */
  env?: Env;
  /** Startup lines, warnings and 5xx reports. Default: silent. */
  log?: Log;
}

export interface OtpServer {
  /** e.g. `http://127.0.0.1:4000`; the API is under `{url}{OTPKIT_BASE_PATH}/v1/sms/verify/…`. */
  url: string;
  port: number;
  otp: Otp;
  /** The embedded sandbox, when no SMS provider was configured. */
  sandbox?: Sandbox;
  /** Graceful: stops accepting, lets requests in flight finish (up to `graceMs`), closes the store. */
  close(graceMs?: number): Promise<void>;
}

/** How long `/readyz` waits for the store before answering 503. */
const readinessTimeoutMs = 2000;

/** One store round trip (a lookup of a key that never exists), bounded in time. */
async function storeReady(otp: Otp, timeoutMs: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      otp.store.check(":readyz", { hashes: [], now: Date.now() }).then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      }),
    ]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/** Where the embedded default sends: the sandbox's port, like `otpkit sandbox` uses. */
const defaultSandboxPort = 4025;

export async function startServer(options: ServerOptions = {}): Promise<OtpServer> {
  const env = options.env ?? process.env;
  const log: Log = options.log ?? (() => {});
  const host = options.host ?? "127.0.0.1";
  const production = env.NODE_ENV === "production";

  const otpOptions = configure(() => otpOptionsFromEnv({ ...env, OTP_SECRET: secretFrom(env, log) }));
  const handlerOptions = handlerOptionsFrom(env, log);

  let sandbox: Sandbox | undefined;
  let senderLine: string;
  if (env.UNOSEND_API_KEY) {
    senderLine = `unosend → ${env.UNOSEND_API_URL || "https://www.unosend.co/api/v1"}`;
  } else if (production) {
    throw new CliError(
      "UNOSEND_API_KEY is required when NODE_ENV=production (the sandbox is for development).",
    );
  } else if (env.UNOSEND_API_URL) {
    otpOptions.sender = unosend({ apiUrl: env.UNOSEND_API_URL, apiKey: "sandbox" });
    senderLine = `sandbox at ${env.UNOSEND_API_URL} (no UNOSEND_API_KEY: using key "sandbox")`;
  } else {
    const sandboxPort = wholeNumber(env, "OTPKIT_SANDBOX_PORT", 0) ?? defaultSandboxPort;
    try {
      // Always loopback: the sandbox shows codes, even when the API itself is bound wider.
      sandbox = await startSandbox({ port: sandboxPort, host: "127.0.0.1" });
      otpOptions.sender = unosend({ apiUrl: sandbox.apiUrl, apiKey: "sandbox" });
      // The inbox marks codes used, locked or not delivered as this API reports them.
      const embedded = sandbox;
      otpOptions.onEvent = (event) => void embedded.report(event);
      senderLine = `embedded sandbox — inbox at ${sandbox.url}/`;
    } catch (error) {
      // `otpkit sandbox` already running in another terminal is the common reason: use it.
      const running = `http://127.0.0.1:${sandboxPort}`;
      if (!(error instanceof CliError && error.portInUse && (await isSandbox(running)))) throw error;
      otpOptions.sender = unosend({ apiUrl: `${running}/api/v1`, apiKey: "sandbox" });
      otpOptions.onEvent = (event) => {
        if (!("id" in event)) return;
        // Fire and forget: a sandbox that went away costs the verify API nothing.
        fetch(`${running}/api/sandbox/events`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(event),
          signal: AbortSignal.timeout(2000),
        }).catch(() => undefined);
      };
      senderLine = `the sandbox already running — inbox at ${running}/`;
    }
  }

  let storeHandle: Awaited<ReturnType<typeof storeFromEnv>> | undefined;
  try {
    storeHandle = await storeFromEnv(env);
    if (production && storeHandle.store.name === "memory")
      log("warn", "memory store in production: codes live in this one process and vanish on restart.");
    const otp = configure(() => createOtp({ ...otpOptions, store: storeHandle!.store }));
    const api = createNodeOtpHandler(otp, {
      ...handlerOptions,
      onError: (error) => log("error", `otpkit serve: ${describeFailure(error)}`),
    });
    const probe = (res: ServerResponse, req: IncomingMessage, status: number, body: unknown) => {
      res.writeHead(status, {
        "content-type": "application/json; charset=utf-8",
        "cache-control": "no-store",
      });
      res.end(req.method === "HEAD" ? undefined : JSON.stringify(body));
    };
    const listener = (req: IncomingMessage, res: ServerResponse) => {
      const probing = req.method === "GET" || req.method === "HEAD";
      // Liveness: the process answers. Never touches the store, so a store outage does not get a
      // healthy instance restarted.
      if (req.url === "/healthz" && probing) return probe(res, req, 200, { status: "ok" });
      // Readiness: one bounded store round trip, so a load balancer stops routing to an instance
      // that would answer 503 to everything.
      if (req.url === "/readyz" && probing)
        return void storeReady(otp, readinessTimeoutMs).then((ready) =>
          probe(res, req, ready ? 200 : 503, { status: ready ? "ready" : "store_unavailable" }),
        );
      return api(req, res);
    };
    const server = await listen(listener, { port: options.port ?? 4000, host, what: "serve" });

    const base = `${server.url}${(handlerOptions.basePath ?? "").replace(/\/+$/, "")}/v1/sms/verify`;
    log("info", `otpkit serve listening on ${server.url}`);
    log("info", `  POST ${base}/send`);
    log("info", `  POST ${base}/check`);
    log("info", `  GET  ${server.url}/healthz   (liveness)`);
    log("info", `  GET  ${server.url}/readyz    (readiness: reaches the store)`);
    log("info", `  store:  ${storeHandle.description}`);
    log("info", `  sender: ${senderLine}`);
    // The configuration against NIST SP 800-63B, one line per finding (notices stay quiet).
    for (const finding of lintConfig(otpOptions)) {
      if (finding.level === "notice") continue;
      log("warn", `config ${finding.level}: ${finding.setting}: ${finding.message} (${finding.reference})`);
    }
    if (handlerOptions.apiKeys)
      log("info", `  API keys: ${Object.keys(handlerOptions.apiKeys).length} configured`);

    let closing: Promise<void> | undefined;
    return {
      url: server.url,
      port: server.port,
      otp,
      ...(sandbox ? { sandbox } : {}),
      close(graceMs = 10_000) {
        closing ??= (async () => {
          await server.close(graceMs);
          await storeHandle!.close();
          await sandbox?.close();
        })();
        return closing;
      },
    };
  } catch (error) {
    await storeHandle?.close().catch(() => undefined);
    await sandbox?.close();
    throw error;
  }
}

async function isSandbox(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/api/sandbox/faults`, { signal: AbortSignal.timeout(1000) });
    return response.ok && "faults" in ((await response.json()) as object);
  } catch {
    return false;
  }
}

/** `OTP_SECRET`, or in development an ephemeral one with a warning; production refuses to guess. */
function secretFrom(env: Env, log: Log): string {
  if (env.OTP_SECRET?.trim()) return env.OTP_SECRET;
  if (env.NODE_ENV === "production")
    throw new CliError(
      "OTP_SECRET is required when NODE_ENV=production (generate one: openssl rand -base64 32).",
    );
  log(
    "warn",
    "OTP_SECRET is not set: using an ephemeral secret for this process (pending codes die on restart). Set OTP_SECRET for anything but local development.",
  );
  return randomBytes(32).toString("base64url");
}

type ServeHandlerOptions = OtpHandlerOptions<IncomingMessage> & { apiKeys?: Record<string, string> };

function handlerOptionsFrom(env: Env, log: Log): ServeHandlerOptions {
  const options: ServeHandlerOptions = {};
  if (env.OTPKIT_API_KEYS?.trim()) options.apiKeys = parseApiKeys(env.OTPKIT_API_KEYS);
  const trustProxy = wholeNumber(env, "TRUST_PROXY", 0);
  if (trustProxy !== undefined) options.trustProxy = trustProxy;
  if (env.TRUST_PROXY_HEADER) {
    const header = env.TRUST_PROXY_HEADER.toLowerCase();
    if (header !== "x-forwarded-for" && header !== "forwarded")
      throw new CliError("TRUST_PROXY_HEADER must be x-forwarded-for or forwarded.");
    options.proxyHeader = header;
  }
  if (env.OTPKIT_CORS_ORIGINS?.trim())
    options.cors = {
      origins: env.OTPKIT_CORS_ORIGINS.split(",")
        .map((origin) => origin.trim())
        .filter(Boolean),
    };
  if (env.OTPKIT_BASE_PATH) options.basePath = env.OTPKIT_BASE_PATH;
  const templates = env.OTPKIT_ALLOW_CUSTOM_TEMPLATES;
  if (templates) {
    if (templates !== "true" && templates !== "false")
      throw new CliError("OTPKIT_ALLOW_CUSTOM_TEMPLATES must be true or false.");
    options.allowCustomTemplates = templates === "true";
    if (options.allowCustomTemplates && !options.apiKeys)
      log("warn", "custom templates are allowed without API keys: anyone can choose the text of your SMS.");
  }
  const codeOptions = env.OTPKIT_ALLOW_CODE_OPTIONS;
  if (codeOptions) {
    if (codeOptions !== "true" && codeOptions !== "false")
      throw new CliError("OTPKIT_ALLOW_CODE_OPTIONS must be true or false.");
    options.allowCodeOptions = codeOptions === "true";
    if (options.allowCodeOptions && !options.apiKeys)
      log("warn", "code options are allowed without API keys: anyone can ask for short, long-lived codes.");
  }
  return options;
}

/** `key1:tenantA,key2:tenantB`; a key without `:tenant` acts for the app itself (no tenant). */
export function parseApiKeys(raw: string): Record<string, string> {
  const keys: Record<string, string> = {};
  for (const entry of raw.split(",")) {
    const item = entry.trim();
    if (!item) continue;
    const colon = item.lastIndexOf(":");
    const key = colon < 0 ? item : item.slice(0, colon);
    const tenant = colon < 0 ? "" : item.slice(colon + 1);
    if (key.length < 16)
      throw new CliError("OTPKIT_API_KEYS: each key needs at least 16 characters (openssl rand -hex 24).");
    if (!/^[\w.-]{0,64}$/.test(tenant))
      throw new CliError(
        `OTPKIT_API_KEYS: tenant "${tenant}" may only use letters, digits, '.', '_' and '-'.`,
      );
    keys[key] = tenant;
  }
  if (!Object.keys(keys).length) throw new CliError("OTPKIT_API_KEYS is set but holds no key.");
  return keys;
}

function wholeNumber(env: Env, name: string, min: number): number | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min)
    throw new CliError(
      `${name} must be a whole number${min === 0 ? " (0 or more)" : ` ≥ ${min}`}, not "${raw}".`,
    );
  return value;
}

/** Configuration errors from the core become one-line CLI errors. */
function configure<T>(build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (isOtpError(error)) throw new CliError(error.message);
    throw error;
  }
}

/** A one-line description of a 5xx for the log: the error code and message, and the cause's message. */
function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? ` (cause: ${error.cause.message})` : "";
  return `${isOtpError(error) ? error.code : error.name}: ${error.message}${cause}`;
}

/**
 * `otpkit lint`: the configuration the environment gives `serve`, against a preset. A missing or
 * malformed setting is itself a finding (nothing is started).
 */
export function lintEnv(env: Env, preset: Preset): LintFinding[] {
  const problems: LintFinding[] = [];
  if (!env.OTP_SECRET?.trim())
    problems.push({
      level: "error",
      setting: "OTP_SECRET",
      message: "not set: codes cannot be stored or checked (generate one: openssl rand -base64 32).",
      reference: "otpkit",
    });
  try {
    const options = otpOptionsFromEnv({ ...env, OTP_SECRET: env.OTP_SECRET?.trim() || "x".repeat(32) });
    return [...problems, ...lintConfig(options, preset)];
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return [...problems, { level: "error", setting: "environment", message, reference: "otpkit" }];
  }
}
