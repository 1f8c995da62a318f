/**
 * Prints what an app ships for @otpkit/react: each entry (the code input alone, the whole flow)
 * bundled from `dist/` the way an app's bundler would (minified, tree-shaken, React external), as
 * the initial chunk and the lazily loaded chunks (locales, libphonenumber-js's AsYouType), raw and
 * gzipped. Run `pnpm --filter @otpkit/react build` first, then `node scripts/bundle-size.mjs`.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

const dist = fileURLToPath(new URL("../dist/index.js", import.meta.url));
const entries = {
  CodeInput: "CodeInput",
  OtpFlow: "OtpFlow",
  "PhoneForm (with the country selector)": "PhoneForm",
};
const work = mkdtempSync(join(tmpdir(), "otpkit-react-size-"));
const kb = (bytes) => `${(bytes / 1024).toFixed(1)} kB`;
try {
  for (const [label, name] of Object.entries(entries)) {
    const entry = join(work, `${name}.js`);
    writeFileSync(entry, `export { ${name} } from ${JSON.stringify(dist)};\n`);
    const result = await build({
      entryPoints: [entry],
      bundle: true,
      splitting: true,
      format: "esm",
      minify: true,
      write: false,
      outdir: join(work, `out-${name}`),
      external: ["react", "react-dom", "react/jsx-runtime"],
      metafile: true,
      logLevel: "silent",
    });
    let initial = { raw: 0, gzip: 0 };
    let lazy = { raw: 0, gzip: 0, count: 0 };
    for (const file of result.outputFiles) {
      const raw = file.contents.byteLength;
      const gzip = gzipSync(file.contents).byteLength;
      const meta = Object.entries(result.metafile.outputs).find(([path]) => resolve(path) === file.path)?.[1];
      if (meta?.entryPoint) initial = { raw, gzip };
      else lazy = { raw: lazy.raw + raw, gzip: lazy.gzip + gzip, count: lazy.count + 1 };
    }
    console.log(
      `${label}: initial ${kb(initial.raw)} (${kb(initial.gzip)} gzip); lazy ${lazy.count} chunks, ${kb(lazy.raw)} (${kb(lazy.gzip)} gzip)`,
    );
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
