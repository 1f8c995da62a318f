import { defineConfig, type Options } from "tsup";
import { preset } from "../../tsup.preset";

/**
 * Two builds. The library (ESM + declarations) for apps and for your own Actions. And the three
 * prebuilt Actions: one CommonJS file each for Auth0's Node 22 runtime, otpkit inlined (an Action
 * is one file of code; Auth0 installs only the npm modules it declares), `libphonenumber-js` and
 * `ioredis` left as `require`s — declared as the Action's dependencies and outside Auth0's 100 kB
 * code limit. `test/bundles.test.ts` holds each under that limit.
 */
export default defineConfig([
  preset({ entry: ["src/index.ts"], platform: "node", target: "node20", clean: false }) as Options,
  {
    entry: {
      "actions/custom-phone-provider": "src/actions/custom-phone-provider.ts",
      "actions/send-phone-message": "src/actions/send-phone-message.ts",
      "actions/post-login-step-up": "src/actions/post-login-step-up.ts",
    },
    format: ["cjs"],
    outExtension: () => ({ js: ".cjs" }),
    platform: "node",
    target: "node22",
    dts: false,
    clean: false,
    splitting: false,
    treeshake: true,
    removeNodeProtocol: false,
    noExternal: [/^@otpkit\//],
    external: ["libphonenumber-js", "ioredis"],
    esbuildOptions(options) {
      // otp-core's split chunks import each other bare; they are pure, so skipping them is right.
      options.logOverride = { "ignored-bare-import": "silent" };
      // Minified, with function and class names kept (`keepNames`) so that a stack trace in
      // Auth0's logs still names otpkit's functions. Whitespace-only minification kept every local
      // name readable but reached 99.7 kB of the 100 kB limit (end of 2026); minified ~73 kB.
      options.minify = true;
      options.keepNames = true;
    },
  },
]);
