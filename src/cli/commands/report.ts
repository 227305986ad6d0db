/** `thaw report`: the results file of `thaw bench` as a self-contained HTML page and a summary. */
import type { Command } from "commander";

/** Adds `report` to `program`. */
export function registerReportCommand(program: Command): void {
  program
    .command("report")
    .description(
      "Render a results file of `thaw bench` as one self-contained HTML page with charts and the verdict on each claim; print a Markdown summary.",
    )
    .argument("<results>", "the results file (JSON) that thaw bench wrote")
    .requiredOption("-o, --out <file>", "where to write the HTML page")
    .option("--markdown <file>", "also write the Markdown summary to this file")
    .action(
      async (
        resultsPath: string,
        options: { out: string; markdown?: string },
      ) => {
        // Loaded on demand: the validator and the renderer are of no use to `thaw invoke`.
        const { writeReport } = await import("../../report/write-report.js");
        const written = await writeReport(resultsPath, {
          out: options.out,
          markdown: options.markdown,
        });
        process.stdout.write(written.summary);
        process.stderr.write(
          `thaw: report written to ${options.out} (${Math.round(written.htmlBytes / 1024)} KiB)${
            options.markdown === undefined
              ? ""
              : `, summary to ${options.markdown}`
          }\n`,
        );
      },
    );
}
