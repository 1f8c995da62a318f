import { fileURLToPath } from "node:url";
import type { NextConfig } from "next";

const config: NextConfig = {
  poweredByHeader: false,
  // The Redis driver stays a plain Node package loaded at run time, not bundled.
  serverExternalPackages: ["ioredis"],
  // The monorepo root, where pnpm's lockfile and the workspace packages live.
  turbopack: { root: fileURLToPath(new URL("../..", import.meta.url)) },
  async headers() {
    return [
      {
        // The session token arrives in this page's query string: never hand it on in a Referer
        // header, never keep the page in a cache.
        source: "/verify",
        headers: [
          { key: "Referrer-Policy", value: "no-referrer" },
          { key: "Cache-Control", value: "no-store" },
        ],
      },
    ];
  },
};

export default config;
