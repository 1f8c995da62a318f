import { listen, nodeListener } from "otpkit";
import { vi } from "vitest";
import { createHooks } from "./fixtures/hooks.js";
import { runtimeScenarios } from "./scenarios.js";

// The same fixture hooks as on Deno, behind node:http.
runtimeScenarios("Node", async (env) => {
  const logged: string[] = [];
  const spy = vi.spyOn(console, "error").mockImplementation((...parts: unknown[]) => {
    logged.push(parts.map(String).join(" "));
  });
  const server = await listen(nodeListener(createHooks(env)), {
    port: 0,
    host: "127.0.0.1",
    what: "the hooks",
  });
  return {
    url: server.url,
    logs: () => logged.join("\n"),
    async close() {
      await server.close();
      spy.mockRestore();
    },
  };
});
