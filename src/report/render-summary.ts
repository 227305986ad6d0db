/**
 * The Markdown summary of a report, for terminals and pull requests: the verdicts, the headline
 * table and the scenarios that did not run. Pure, like the HTML page.
 */
import type { WarResults } from "../bench/war/war-results.js";
import { formatFigure, headlineRows } from "./headline.js";
import { decideVerdicts } from "./verdicts.js";

/** Table cells must not break the row. */
const cell = (text: string): string =>
  text.replaceAll("|", "\\|").replaceAll("\n", " ");

/** The summary of `results` as GitHub-flavoured Markdown. */
export function renderSummary(results: WarResults): string {
  const machine = results.machine;
  const lines: string[] = [
    "# The cold-start war",
    "",
    `${results.mode} run, ${results.generatedAt}, ${formatFigure(results.durationSeconds, 0)} s on ${machine.cpuModel} × ${machine.cores} (${machine.os}, backend ${machine.backend}).`,
    "",
    "## Verdicts",
    "",
    "| # | Claim | Verdict | Why |",
    "|---|---|---|---|",
    ...decideVerdicts(results).map(
      (v) =>
        `| ${v.claim} | ${cell(v.title)} | **${v.verdict}** | ${cell(v.reason)} |`,
    ),
    "",
    "## Headline",
    "",
    "| Language | Contestant | Cold p50 ms | Cold p99 ms | Init p50 ms | AWS arm64 Init p50 ms | Burst wall ms | Snapshot speed-up |",
    "|---|---|---:|---:|---:|---:|---:|---:|",
    ...headlineRows(results).map(
      (r) =>
        `| ${r.language} | ${cell(r.contestantId)} | ${formatFigure(r.coldP50Ms, 2)} | ${formatFigure(r.coldP99Ms, 2)} | ${formatFigure(r.initP50Ms, 2)} | ${formatFigure(r.cloudArm64P50Ms)} | ${formatFigure(r.burstWallMs)} | ${r.snapshotSpeedUp === undefined ? "–" : `${formatFigure(r.snapshotSpeedUp, 2)}×`} |`,
    ),
  ];
  if (results.skipped.length > 0)
    lines.push(
      "",
      "## Did not run",
      "",
      ...results.skipped.map((s) => `- **${s.scenario}**: ${s.reason}`),
    );
  lines.push(
    "",
    "AWS figures: maxday/lambda-perf (see the HTML report for the source and period). Verdict rules: docs/report.md.",
    "",
  );
  return lines.join("\n");
}
