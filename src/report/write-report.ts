/**
 * `thaw report`'s one call: read a results file, validate it, and write the HTML page (and the
 * Markdown summary when asked). The only part of src/report that touches files.
 */
import { readFile, writeFile } from "node:fs/promises";
import { basename } from "node:path";
import {
  InvalidResultsError,
  validateWarResults,
} from "../bench/war/validate-results.js";
import { loadChartLibrary } from "./chart-library.js";
import { renderReport } from "./render-report.js";
import { renderSummary } from "./render-summary.js";

/** Options of {@link writeReport}. */
export interface WriteReportOptions {
  /** Where the HTML page goes. */
  readonly out: string;
  /** Where the Markdown summary goes, if anywhere. @default none */
  readonly markdown?: string | undefined;
}

/** What was written. */
export interface WrittenReport {
  readonly htmlBytes: number;
  /** The Markdown summary (also written to `options.markdown` when given). */
  readonly summary: string;
}

/**
 * Renders the report of the results file at `resultsPath`.
 * @throws {InvalidResultsError} when the file is not JSON or not a valid results file; its message
 *   names the first wrong field.
 */
export async function writeReport(
  resultsPath: string,
  options: WriteReportOptions,
): Promise<WrittenReport> {
  const text = await readFile(resultsPath, "utf8");
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InvalidResultsError(
      "results",
      `${resultsPath} is not JSON: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  const results = validateWarResults(json);
  const html = renderReport(results, {
    chartLibrary: await loadChartLibrary(),
    sourceName: basename(resultsPath),
  });
  await writeFile(options.out, html);
  const summary = renderSummary(results);
  if (options.markdown !== undefined)
    await writeFile(options.markdown, summary);
  return { htmlBytes: Buffer.byteLength(html), summary };
}
