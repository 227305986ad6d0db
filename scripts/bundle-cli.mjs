// Bundles the CLI into one file, dist/thaw.mjs: loading ~60 small ES modules costs Node about
// 50 ms, one bundle a fraction of that, and the CLI's start-up is part of every `thaw invoke`.
import { build } from "esbuild";

await build({
  entryPoints: ["dist/src/cli/main.js"],
  outfile: "dist/thaw.mjs",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: "linked",
  logLevel: "warning",
  // yauzl and commander are CommonJS; give the ESM bundle a real `require` for their built-ins.
  banner: {
    js: "import { createRequire as __thawCreateRequire } from 'node:module'; const require = __thawCreateRequire(import.meta.url);",
  },
});
