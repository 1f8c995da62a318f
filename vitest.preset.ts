import { defineConfig, type ViteUserConfig } from "vitest/config";

/**
 * The test setup every package shares: unit tests beside the code (`src/**\/*.test.ts`),
 * cross-package and platform tests under `test/`, generous timeouts for real servers on a 2-core
 * machine. A package passes only what differs:
 *
 *   export default vitestPreset({ environment: "jsdom" });
 */
export function vitestPreset(test: NonNullable<ViteUserConfig["test"]> = {}) {
  return defineConfig({
    test: {
      include: ["src/**/*.test.ts", "src/**/*.test.tsx", "test/**/*.test.ts"],
      testTimeout: 30_000,
      hookTimeout: 30_000,
      ...test,
    },
  });
}
