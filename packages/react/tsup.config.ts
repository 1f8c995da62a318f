import { preset } from "../../tsup.preset";

export default preset({
  entry: ["src/index.ts"],
  external: ["react", "react-dom"],
  // Next.js App Router needs the client boundary on the bundle that holds hooks.
  banner: { js: '"use client";' },
});
