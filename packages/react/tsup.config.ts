import { preset } from "../../tsup.preset";

export default preset({
  entry: ["src/index.ts"],
  external: ["react", "react-dom"],
  // Rollup's extra tree-shaking pass drops module directives from split chunks: esbuild's own is enough.
  treeshake: false,
  // Next.js App Router needs the client boundary on the bundle that holds hooks.
  banner: { js: '"use client";' },
});
