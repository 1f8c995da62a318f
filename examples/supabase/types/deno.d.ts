/**
 * The two Deno APIs the edge function uses, for `tsc`. (`deno check` cannot type the function
 * inside this monorepo: the workspace packages are symlinked, so Deno reads their `dist` as local
 * files and does not pair tsup's `.d.ts` chunks with their `.js` names. Deno runs it in the tests.)
 */
declare namespace Deno {
  const env: { toObject(): Record<string, string>; get(name: string): string | undefined };
  function serve(
    options: {
      hostname?: string;
      port?: number;
      onListen?: (address: { hostname: string; port: number }) => void;
    },
    handler: (request: Request) => Response | Promise<Response>,
  ): { finished: Promise<void>; shutdown(): Promise<void> };
}
