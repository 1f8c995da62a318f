#!/usr/bin/env node
/**
 * `otpkit sandbox` and `otpkit serve`. Every failure a user can cause (a taken port, a bad flag, a
 * missing secret) ends as one line on stderr and a non-zero exit, never a stack trace.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { formatFindings, isOtpError } from "@otpkit/otp-core";
import { CliError } from "./node-http.js";
import { checkFaults, type SandboxFaults, startSandbox } from "./sandbox.js";
import { type Log, lintEnv, startServer } from "./serve.js";

const usage = `Usage: otpkit <command> [options]

Commands:
  sandbox   Local SMS gateway (Unosend-compatible) with an inbox page at /
  serve     The verify API (POST /v1/sms/verify/send and /check), configured from env
  lint      Check the configuration in the environment against NIST SP 800-63B (or --preset owasp)

Options (both):
  --port <n>        Port to listen on (sandbox 4025, serve 4000; 0 = any free port)
  --host <addr>     Address to bind (default 127.0.0.1)
  --allowed-host <name>  sandbox: another Host name to answer (repeatable; e.g. a Docker service
                    name). Loopback names, *.localhost and the bound address always are.
  -h, --help        Show this help

Lint options:
  --preset <name>   nist-800-63b (default) or owasp; exits 1 when an error-level finding remains

Sandbox options:
  --api-key <key>   Accept only this Bearer key (default: any non-empty key)
  --fail <status>   Answer every send with this HTTP status (429, 402, 500, …)
  --latency <ms>    Delay every send by this many milliseconds
  --timeout         Never answer sends (exercise your client's timeout)

Serve reads OTP_SECRET, UNOSEND_API_KEY, UNOSEND_API_URL, OTPKIT_API_KEYS, TRUST_PROXY,
SMS_RATE_LIMIT_HOUR, SMS_RATE_LIMIT_DAY, OTP_EXPIRY_MINUTES, REDIS_URL, DATABASE_URL, … (see README).`;

const log: Log = (level, line) =>
  level === "info" ? console.log(line) : console.error(level === "warn" ? `warning: ${line}` : line);

function integerFlag(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new CliError(`--${name} must be a whole number, not "${value}".`);
  return Number(value);
}

/** A mistake in the command line itself: exit code 2, as shells and most CLIs use for usage errors. */
class UsageError extends CliError {}

const options = {
  port: { type: "string" },
  host: { type: "string" },
  "allowed-host": { type: "string", multiple: true },
  "api-key": { type: "string" },
  fail: { type: "string" },
  latency: { type: "string" },
  timeout: { type: "boolean" },
  preset: { type: "string" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "v" },
} as const;

/** `parseArgs`, with its errors (a paragraph about `--` separators) turned into one otpkit line. */
function parseCommandLine(argv: string[]) {
  try {
    return parseArgs({ args: argv, allowPositionals: true, options });
  } catch (error) {
    const { code, message } = error as { code?: string; message?: string };
    if (!code?.startsWith("ERR_PARSE_ARGS")) throw error;
    const text = message ?? "";
    // "Unknown option '--bogus'…", "Option '-h, --help' does not take an argument": the long name.
    const flag = /--[\w-]+/.exec(text)?.[0] ?? /'(-[^' ,]+)/.exec(text)?.[1] ?? "an option";
    const hint = "Run `otpkit --help` for usage.";
    if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") throw new UsageError(`unknown option ${flag}. ${hint}`);
    if (/argument missing/.test(text)) throw new UsageError(`${flag} needs a value. ${hint}`);
    if (/does not take an argument/.test(text)) throw new UsageError(`${flag} takes no value. ${hint}`);
    throw new UsageError(`bad arguments. ${hint}`);
  }
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommandLine(argv);
  const [command, ...extra] = positionals;
  if (values.version) {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
    return console.log(pkg.version);
  }
  if (values.help || !command) return console.log(usage);
  if (extra.length)
    throw new UsageError(`unexpected argument "${extra[0]}". Run \`otpkit --help\` for usage.`);
  const port = integerFlag(values.port, "port");
  const host = values.host ?? "127.0.0.1";
  const warnIfExposed = () => {
    if (host !== "127.0.0.1" && host !== "localhost" && host !== "::1")
      log("warn", `listening on ${host}, not loopback: other machines can reach this ${command}.`);
  };

  if (command === "sandbox") {
    const faults: SandboxFaults = {};
    const status = integerFlag(values.fail, "fail");
    const latencyMs = integerFlag(values.latency, "latency");
    if (status !== undefined) faults.status = status;
    if (latencyMs !== undefined) faults.latencyMs = latencyMs;
    if (values.timeout) faults.hang = true;
    const sandbox = await startSandbox({
      ...(port !== undefined ? { port } : {}),
      host,
      faults: checkFaults(faults),
      ...(values["api-key"] !== undefined ? { apiKey: values["api-key"] } : {}),
      ...(values["allowed-host"] ? { allowedHosts: values["allowed-host"] } : {}),
    });
    log("info", `otpkit sandbox listening on ${sandbox.url}`);
    warnIfExposed();
    log("info", `  inbox:    ${sandbox.url}/`);
    log("info", `  send API: UNOSEND_API_URL=${sandbox.apiUrl}`);
    log("info", `  JSON:     ${sandbox.url}/api/sandbox/messages?to=%2B14155551234`);
    if (faults.status || faults.latencyMs || faults.hang)
      log("info", `  faults:   ${JSON.stringify(checkFaults(faults))}`);
    return onShutdown(() => sandbox.close());
  }
  if (command === "lint") {
    const preset = values.preset ?? "nist-800-63b";
    if (preset !== "nist-800-63b" && preset !== "owasp")
      throw new CliError('--preset is "nist-800-63b" or "owasp".');
    const findings = lintEnv(process.env, preset);
    console.log(findings.length ? formatFindings(findings) : "no findings");
    if (findings.some((finding) => finding.level === "error")) process.exitCode = 1;
    return;
  }
  if (command === "serve") {
    if (values.fail || values.latency || values.timeout || values["api-key"] || values["allowed-host"])
      throw new CliError(
        "--fail, --latency, --timeout, --api-key and --allowed-host belong to `otpkit sandbox`.",
      );
    const server = await startServer({ ...(port !== undefined ? { port } : {}), host, log });
    warnIfExposed();
    return onShutdown(() => server.close());
  }
  throw new UsageError(`unknown command "${command}". Run \`otpkit --help\` for usage.`);
}

/** SIGTERM/SIGINT: finish requests in flight, close the store, exit 0. A second signal exits at once. */
function onShutdown(close: () => Promise<void>) {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    log("info", `${signal}: shutting down…`);
    close().then(
      () => process.exit(0),
      (error) => {
        log("error", `otpkit: shutdown failed: ${error instanceof Error ? error.message : error}`);
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

main(process.argv.slice(2)).catch((error: unknown) => {
  const userError = error instanceof CliError || isOtpError(error);
  const message = error instanceof Error ? error.message : String(error);
  console.error(`otpkit: ${userError ? message : `unexpected error: ${message}`}`);
  if (!userError && process.env.OTPKIT_DEBUG) console.error(error);
  // 2: the command line was wrong; 1: it was right, but something (a port, the config) stopped us.
  process.exitCode = error instanceof UsageError ? 2 : 1;
});
