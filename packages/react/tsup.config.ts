import { defineConfig } from "tsup";

export default defineConfig({
  entry: ["src/index.ts"],
  format: ["esm"],
  dts: true,
  clean: true,
  target: "es2022",
  external: ["react", "react-dom"],
  // Next.js App Router needs the client boundary on the bundle that holds hooks.
  banner: { js: '"use client";' },
});
