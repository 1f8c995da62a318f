#!/usr/bin/env node
/**
 * `pnpm demo:firebase`: the Firestore emulator, the Auth and Functions emulators, the SMS sandbox
 * and the web page, together. Prints the URLs; Ctrl-C stops all of them.
 *
 * Environment: DEMO_PROJECT (default `demo-otpkit`, a `demo-` project: nothing reaches Google),
 * DEMO_FREE_PORTS=1 (every port picked by the OS, as the tests do), DEMO_VERBOSE=1 (the emulators'
 * own output).
 */
import { defaultPorts, startStack } from "./stack.mjs";

const projectId = process.env.DEMO_PROJECT || "demo-otpkit";
const free = process.env.DEMO_FREE_PORTS === "1";
const verbose = process.env.DEMO_VERBOSE === "1";
let stack;
let stopping = false;

async function stop(code) {
  if (stopping) return;
  stopping = true;
  await stack?.stop();
  process.exit(code);
}
process.on("SIGINT", () => {
  console.log("\nStopping the emulators, the SMS sandbox and the page…");
  void stop(0);
});
process.on("SIGTERM", () => void stop(0));

console.log(`Starting the Firebase emulators for ${projectId} (about 15 s)…`);
try {
  stack = await startStack({
    projectId,
    ports: free ? Object.fromEntries(Object.keys(defaultPorts).map((name) => [name, 0])) : {},
    log: (source, line) => {
      if (verbose || /error|⚠/i.test(line)) console.log(`  ${source} │ ${line}`);
    },
  });
} catch (error) {
  console.error(`Could not start the demo: ${error.message}`);
  if (!free)
    console.error(
      "A port may be taken (see firebase.json and scripts/stack.mjs); DEMO_FREE_PORTS=1 picks free ones.",
    );
  await stop(1);
}

const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;
if (!stopping)
  console.log(`
  otpkit × Firebase demo is running (project ${projectId})

    Web page       ${stack.pageUrl.padEnd(44)} phone sign-in and phone verification
    SMS inbox      ${stack.sandboxUrl.padEnd(44)} the codes arrive here (nothing is really sent)
    Functions      ${stack.functionsUrl.padEnd(44)} sendSMSVerification, verifySMSCode, sendSignInCode, signInWithSms
    Auth           ${stack.authUrl.padEnd(44)} the Auth emulator
    Firestore      ${stack.firestoreHost.padEnd(44)} Google's emulator (Debian package), collection "otpkit"

  Started in ${seconds(stack.timings.totalMs)} (Firestore ${seconds(stack.timings.firestoreMs)}, Auth + Functions ${seconds(stack.timings.emulatorsMs)}).
  Press Ctrl-C to stop all of them.
`);
