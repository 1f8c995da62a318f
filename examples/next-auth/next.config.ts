import { fileURLToPath } from "node:url";
import type { NextConfig } from "next";

const config: NextConfig = {
  poweredByHeader: false,
  // Database drivers stay plain Node packages loaded at run time, not bundled.
  serverExternalPackages: ["ioredis", "pg"],
  // The monorepo root, where pnpm's lockfile and the workspace packages live.
  turbopack: { root: fileURLToPath(new URL("../..", import.meta.url)) },
};

export default config;
