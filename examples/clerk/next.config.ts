import { fileURLToPath } from "node:url";
import type { NextConfig } from "next";

const config: NextConfig = {
  poweredByHeader: false,
  // The Redis driver stays a plain Node package loaded at run time, not bundled.
  serverExternalPackages: ["ioredis"],
  // The monorepo root, where pnpm's lockfile and the workspace packages live.
  turbopack: { root: fileURLToPath(new URL("../..", import.meta.url)) },
};

export default config;
