import type { Plugin } from "esbuild";
import { defineConfig } from "tsup";

/**
 * Every subpath. `node` (the node:http front end) is used from the Node build; it is built in both
 * so that its types share one declaration bundle with the rest.
 */
const entry = {
  index: "src/index.ts",
  testing: "src/testing.ts",
  protocol: "src/protocol.ts",
  locales: "src/locales.ts",
  store: "src/store.ts",
  node: "src/http.node.ts",
  "testing-node": "src/testing.node.ts",
};

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

const shared = {
  format: ["esm" as const],
  splitting: true,
  treeshake: true,
  external: ["libphonenumber-js", "vitest"],
};

export default defineConfig([
  {
    ...shared,
    entry,
    dts: true,
    clean: true,
    target: "es2022",
    platform: "neutral",
  },
  {
    ...shared,
    entry,
    outDir: "dist/node",
    target: "node20",
    platform: "node",
    esbuildPlugins: [nodeCrypto],
    removeNodeProtocol: false,
  },
]);
