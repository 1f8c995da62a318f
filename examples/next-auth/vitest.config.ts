import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Each file starts its own Next.js server; on small CI machines one at a time is faster.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 360_000,
  },
});
