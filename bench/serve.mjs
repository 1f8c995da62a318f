// `otpkit serve` against a bare node:http listener making the same calls, in one run. Prints
// figures; asserts nothing. Bounded: a fixed number of short slices per concurrency.
//   node bench/serve.mjs        (after `pnpm build`; BENCH_MS: each variant's time per figure)
//
// A child process runs both servers on 127.0.0.1 (ephemeral ports) around ONE otp instance:
//   serve  startServer() from the otpkit CLI, configured from env as a user runs it (memory store,
//          the Unosend sender, default limits; per-IP limits lifted since every request comes from
//          127.0.0.1), i.e. the node:http front end of the transport-neutral handler with its
//          /healthz and /readyz probes, its timeouts and its hardening.
//   bare   http.createServer: read the body, JSON.parse, otp.send / otp.verify with the same
//          inputs serve passes (phone, purpose, client IP, the no-IP budget), JSON reply with the
//          same fields and headers; no other checks.
// The SMS provider is the child's own `fetch` (Unosend's reply shape, no network), which hands each
// code to this process over IPC. This process is the load generator: keep-alive node:http agents,
// C workers each looping send → check until the slice ends, slices interleaved between the two
// servers. Figures: pairs/s and requests/s, and the child's CPU per pair (process.cpuUsage,
// measured per slice), with serve ÷ bare ratios and their per-turn range.

import { fork } from "node:child_process";
import { Agent, createServer, request } from "node:http";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { format, interleave, rate, ratio } from "./interleave.mjs";
import { spreadPhoneAt as phoneAt } from "./numbers.mjs";

const here = dirname(fileURLToPath(import.meta.url));

if (process.argv[2] === "--child") await child();
else await parent();

async function child() {
  const core = await import(join(here, "../packages/otp-core/dist/node/index.js"));
  const cli = await import(join(here, "../packages/cli/dist/index.js"));
  // The provider: Unosend's reply, and the code to the load generator. Serve's sender calls this.
  const reply = JSON.stringify({ data: [{ id: "msg_bench" }] });
  globalThis.fetch = async (_url, init) => {
    const message = JSON.parse(init.body);
    process.send({ phone: message.to, code: core.extractCode(message.body) });
    return new Response(reply, { status: 200, headers: { "content-type": "application/json" } });
  };
  const server = await cli.startServer({
    port: 0,
    env: {
      OTP_SECRET: "bench-secret-bench-secret-bench-secret!",
      UNOSEND_API_KEY: "un_bench",
      UNOSEND_API_URL: "http://127.0.0.1:9/api/v1",
      SMS_RATE_LIMIT_IP: "1000000000",
      SMS_RATE_LIMIT_VERIFY_IP: "1000000000",
    },
  });
  const { otp } = server;
  const withoutIp = [{ limit: 30, windowSeconds: 600 }];
  const headers = {
    "content-type": "application/json; charset=utf-8",
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
  };
  const answer = (res, status, body) => {
    res.writeHead(status, headers);
    res.end(JSON.stringify(body));
  };
  const bare = createServer((req, res) => {
    const chunks = [];
    req.on("data", (chunk) => chunks.push(chunk));
    req.on("end", async () => {
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
        const ip = req.socket.remoteAddress;
        if (req.url === "/v1/sms/verify/send") {
          const result = await otp.send({ phone: body.phone, purpose: "phone_verification", withoutIp, ip });
          answer(res, 200, {
            id: result.id,
            phone: result.phone,
            status: result.status,
            expires_at: result.expiresAt.toISOString(),
            masked_phone: result.maskedPhone,
            resend_available_at: result.resendAvailableAt.toISOString(),
          });
        } else {
          const result = await otp.verify({ id: body.id, code: body.code, ip });
          answer(res, 200, {
            id: result.id,
            phone: result.phone,
            status: result.status,
            metadata: result.metadata,
          });
        }
      } catch (error) {
        answer(res, error?.status ?? 500, { error: { code: error?.code ?? "internal_error" } });
      }
    });
  });
  await new Promise((resolve) => bare.listen(0, "127.0.0.1", resolve));
  process.on("message", (message) => {
    if (message === "cpu") {
      const { user, system } = process.cpuUsage();
      process.send({ cpu: user + system });
    } else if (message === "exit") {
      bare.close();
      server.close(100).then(() => process.exit(0));
    }
  });
  process.send({ serve: server.port, bare: bare.address().port });
}

async function parent() {
  const worker = fork(fileURLToPath(import.meta.url), ["--child"], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const waiting = new Map();
  const early = new Map();
  let cpuWaiter;
  const ports = await new Promise((resolve) => {
    worker.on("message", (message) => {
      if (message.serve) resolve(message);
      else if (message.cpu !== undefined) cpuWaiter?.(message.cpu);
      else if (message.phone) {
        const waiter = waiting.get(message.phone);
        if (waiter) {
          waiting.delete(message.phone);
          waiter(message.code);
        } else early.set(message.phone, message.code);
      }
    });
  });
  const codeFor = (phone) => {
    const code = early.get(phone);
    if (code) {
      early.delete(phone);
      return Promise.resolve(code);
    }
    return new Promise((resolve) => waiting.set(phone, resolve));
  };
  const childCpu = () =>
    new Promise((resolve) => {
      cpuWaiter = resolve;
      worker.send("cpu");
    });

  let next = 0;
  const post = (agent, port, path, body) =>
    new Promise((resolve, reject) => {
      const payload = JSON.stringify(body);
      const req = request(
        {
          agent,
          host: "127.0.0.1",
          port,
          path,
          method: "POST",
          headers: { "content-type": "application/json", "content-length": Buffer.byteLength(payload) },
        },
        (res) => {
          const chunks = [];
          res.on("data", (chunk) => chunks.push(chunk));
          res.on("end", () => {
            const json = JSON.parse(Buffer.concat(chunks).toString("utf8"));
            if (res.statusCode !== 200)
              reject(new Error(`${path}: ${res.statusCode} ${JSON.stringify(json)}`));
            else resolve(json);
          });
        },
      );
      req.on("error", reject);
      req.end(payload);
    });

  const variant = (name, port, inFlight) => {
    const agent = new Agent({ keepAlive: true, maxSockets: inFlight });
    return {
      name,
      agent,
      async slice(deadline) {
        const before = await childCpu();
        let ops = 0;
        const loop = async () => {
          while (performance.now() < deadline) {
            const phone = phoneAt(next++);
            const code = codeFor(phone);
            const sent = await post(agent, port, "/v1/sms/verify/send", { phone });
            const checked = await post(agent, port, "/v1/sms/verify/check", {
              id: sent.id,
              code: await code,
            });
            if (checked.status !== "approved") throw new Error(`not approved: ${JSON.stringify(checked)}`);
            ops++;
          }
        };
        await Promise.all(Array.from({ length: inFlight }, loop));
        return { ops, cpuMicros: (await childCpu()) - before };
      },
    };
  };

  const totalMs = Number(process.env.BENCH_MS ?? 3000);
  const options = { turns: 6, slicesPerTurn: 4, sliceMs: totalMs / 24 };
  console.log(
    `otpkit serve vs a bare node:http listener, same otp (memory store), Node ${process.version}; ${options.turns} turns × ${options.slicesPerTurn} interleaved slices of ${Math.round(options.sliceMs)} ms per variant; server in a child process`,
  );
  for (const inFlight of [16, 64]) {
    const variants = [variant("serve", ports.serve, inFlight), variant("bare", ports.bare, inFlight)];
    const results = await interleave(variants, options);
    for (const { agent } of variants) agent.destroy();
    const cpuPerPair = (name) => {
      const turns = results.get(name);
      return (
        turns.reduce((sum, turn) => sum + turn.cpuMicros, 0) / turns.reduce((sum, turn) => sum + turn.ops, 0)
      );
    };
    const cpuRatio = results
      .get("serve")
      .map((turn, index) => {
        const bare = results.get("bare")[index];
        return bare.cpuMicros / bare.ops / (turn.cpuMicros / turn.ops);
      })
      .sort((a, b) => a - b);
    console.log(`  ${inFlight} in flight:`);
    for (const name of ["serve", "bare"])
      console.log(
        `    ${name.padEnd(6)} pairs/s ${format(rate(results.get(name))).padStart(7)}   requests/s ${format(2 * rate(results.get(name))).padStart(7)}   server CPU ${cpuPerPair(name).toFixed(0).padStart(4)} µs/pair`,
      );
    console.log(`    serve ÷ bare, throughput: ${ratio(results.get("serve"), results.get("bare")).text()}`);
    console.log(
      `    serve ÷ bare, server CPU efficiency (bare µs ÷ serve µs per pair): ${(cpuPerPair("bare") / cpuPerPair("serve")).toFixed(2)}× (turns ${cpuRatio[0].toFixed(2)}–${cpuRatio.at(-1).toFixed(2)})`,
    );
  }
  worker.send("exit");
}
