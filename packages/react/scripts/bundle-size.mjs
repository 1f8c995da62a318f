/**
 * Prints what an app ships for @otpkit/react: each entry (the code input alone, the phone form
 * with its country selector, the whole flow) bundled from `dist/` the way an app's bundler would
 * (minified, tree-shaken, split, React external). "initial" is the entry chunk and every chunk it
 * imports statically (what the page loads up front); "lazy" is each dynamically imported chunk
 * (the locales, libphonenumber-js for AsYouType). Raw and gzipped sizes.
 * Run `pnpm --filter @otpkit/react build` first, then `node scripts/bundle-size.mjs`.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

const dist = fileURLToPath(new URL("../dist/index.js", import.meta.url));
const entries = ["CodeInput", "CountrySelect", "PhoneForm", "OtpFlow"];
const work = mkdtempSync(join(tmpdir(), "otpkit-react-size-"));
const kb = (bytes) => `${(bytes / 1024).toFixed(1)} kB`;
const size = (contents) => ({ raw: contents.byteLength, gzip: gzipSync(contents).byteLength });

try {
  for (const name of entries) {
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
    const files = new Map(result.outputFiles.map((file) => [file.path, file.contents]));
    const outputs = new Map(
      Object.entries(result.metafile.outputs).map(([path, meta]) => [resolve(path), meta]),
    );
    // Dynamic imports are entry points too (of their own chunks): the page's entry is the one for `entry`.
    const [entryPath] =
      [...outputs].find(([, meta]) => meta.entryPoint && resolve(meta.entryPoint) === entry) ?? [];
    // Walk the static imports from the entry: everything reached is loaded up front.
    const initial = new Set();
    const visit = (path) => {
      if (initial.has(path) || !outputs.has(path)) return;
      initial.add(path);
      for (const imported of outputs.get(path).imports)
        if (imported.kind === "import-statement" && !imported.external) visit(resolve(imported.path));
    };
    visit(entryPath);
    const total = { raw: 0, gzip: 0 };
    for (const path of initial) {
      const one = size(files.get(path));
      total.raw += one.raw;
      total.gzip += one.gzip;
    }
    console.log(`${name}: initial ${kb(total.raw)} (${kb(total.gzip)} gzip) in ${initial.size} chunk(s)`);
    for (const [path, meta] of outputs) {
      if (initial.has(path)) continue;
      const one = size(files.get(path));
      const source = meta.entryPoint
        ? meta.entryPoint.replace(/^.*node_modules\//, "").replace(/^dist\//, "")
        : "shared (the locales' common code)";
      console.log(`  lazy ${source}: ${kb(one.raw)} (${kb(one.gzip)} gzip)`);
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
