// Bundles the CLI into dist/bundle/thaw.mjs: loading ~60 small ES modules costs Node about 50 ms,
// one bundle a fraction of that, and the CLI's start-up is part of every `thaw invoke`. Commands
// that need much more (serve: the Invoke API, the registry, YAML) load it with a dynamic import(),
// which esbuild splits into its own chunk, so `thaw invoke` does not pay for it.
import { build } from "esbuild";

await build({
  entryPoints: { thaw: "dist/src/cli/main.js" },
  outdir: "dist/bundle",
  outExtension: { ".js": ".mjs" },
  chunkNames: "chunks/[name]-[hash]",
  splitting: true,
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
