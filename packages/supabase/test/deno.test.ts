import { packageDir, startDeno } from "./runtime.js";
import { runtimeScenarios } from "./scenarios.js";

// One Deno process for the whole file: Deno's start-up is the cost, not the requests.
runtimeScenarios("Deno", (env) => startDeno("test/fixtures/deno-server.ts", { cwd: packageDir, env }));
