/**
 * The charting library the report inlines: Chart.js's minified UMD build (about 200 KB), read from
 * the installed `chart.js` package, so the page draws its charts with nothing fetched.
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

/** The library's source, ready to inline in a `<script>` element, and its version. */
export interface ChartLibrary {
  readonly name: "Chart.js";
  readonly version: string;
  readonly source: string;
}

/**
 * Reads Chart.js's UMD build from node_modules. Its package exports only its ES and CommonJS entry
 * points, so the UMD file is found beside the CommonJS one. The source map comment is dropped: the
 * page must not point at any other file.
 * @throws {Error} when the `chart.js` package is not installed.
 */
export async function loadChartLibrary(): Promise<ChartLibrary> {
  const require = createRequire(import.meta.url);
  const dist = dirname(require.resolve("chart.js"));
  const source = await readFile(join(dist, "chart.umd.min.js"), "utf8");
  const version = /Chart\.js v([\d.]+)/.exec(source)?.[1] ?? "unknown";
  return {
    name: "Chart.js",
    version,
    source: source
      .replace(/\n\/\/# sourceMappingURL=\S+\s*$/, "\n")
      .replaceAll("</script", "<\\/script"),
  };
}
