import type { Plugin } from "esbuild";
import { defineConfig } from "tsup";

const entry = { index: "src/index.ts", testing: "src/testing.ts" };

/**
 * The Node build swaps the Web Crypto primitive for node:crypto (measured ~30x faster HMAC on
 * Node 20). Everything else is byte-for-byte the same source.
 */
const nodeCrypto: Plugin = {
  name: "otpkit-node-crypto",
  setup(build) {
    build.onResolve({ filter: /^\.\/crypto(\.js)?$/ }, (args) => ({
      path: args.resolveDir + "/crypto.node.ts",
    }));
  },
};

export default defineConfig([
  {
    entry,
    format: ["esm"],
    dts: true,
    clean: true,
    splitting: true,
    treeshake: true,
    target: "es2022",
    platform: "neutral",
    external: ["libphonenumber-js", "vitest"],
  },
  {
    entry,
    outDir: "dist/node",
    format: ["esm"],
    splitting: true,
    treeshake: true,
    target: "node20",
    platform: "node",
    external: ["libphonenumber-js", "vitest"],
    esbuildPlugins: [nodeCrypto],
    removeNodeProtocol: false,
  },
]);
