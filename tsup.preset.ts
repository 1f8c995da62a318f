import { defineConfig, type Options } from "tsup";

/**
 * The build every package shares: ESM with bundled declarations, tree-shaken, for ES2022 runtimes
 * (Node 20+, Deno, Bun, browsers, edge). A package passes its entries and what differs:
 *
 *   export default preset({ entry: ["src/index.ts"] });
 *   export default preset({ entry: ["src/index.ts"], platform: "node", target: "node20" });
 */
export function preset(options: Options) {
  return defineConfig({
    format: ["esm"],
    dts: true,
    clean: true,
    treeshake: true,
    target: "es2022",
    // Keep `node:` specifiers as written: Deno and bundlers resolve them, stripped ones they may not.
    removeNodeProtocol: false,
    ...options,
  });
}
