/**
 * The report of the cold-start war as one self-contained HTML page: the verdict on each claim with
 * its figures, the headline table, every chart (Chart.js, inlined), lambda-perf's cloud figures and
 * the machine. A pure function of the results and the library source; a Content-Security-Policy
 * forbids the page any request, so it reads the same offline, attached to a mail, or years later.
 */
import type { WarResults } from "../bench/war/war-results.js";
import type { ChartLibrary } from "./chart-library.js";
import { buildCharts } from "./charts.js";
import { LAMBDA_PERF } from "./cloud-reference.js";
import { formatFigure, headlineRows } from "./headline.js";
import { decideVerdicts, type Verdict } from "./verdicts.js";

/** Options of {@link renderReport}. */
export interface RenderReportOptions {
  /** The charting library to inline (see `loadChartLibrary`). */
  readonly chartLibrary: ChartLibrary;
  /** Where the results came from, printed under the title. @default none */
  readonly sourceName?: string;
}

/** Escapes text for HTML content and attribute values. */
function escapeHtml(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

/** JSON safe inside a `<script>` element: no `<` can close it. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replaceAll("<", "\\u003c");
}

const VERDICT_COLOURS: Readonly<Record<Verdict, string>> = {
  supported: "#15803d",
  refuted: "#b91c1c",
  mixed: "#b45309",
  inconclusive: "#475569",
};

const STYLE = `
:root { color-scheme: light; font-family: system-ui, -apple-system, "Segoe UI", sans-serif; }
body { margin: 0 auto; max-width: 1200px; padding: 24px; color: #0f172a; background: #f8fafc; }
h1 { margin-bottom: 4px; } .sub { color: #475569; margin-top: 0; }
table { border-collapse: collapse; width: 100%; background: #fff; margin: 8px 0 24px; }
th, td { border: 1px solid #e2e8f0; padding: 6px 8px; text-align: left; vertical-align: top; font-size: 14px; }
th { background: #f1f5f9; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.verdict { display: inline-block; padding: 2px 8px; border-radius: 10px; color: #fff; font-weight: 600; font-size: 13px; }
.figures { color: #334155; font-size: 12px; margin: 4px 0 0; padding: 0; list-style: none; }
.figures li { display: inline; } .figures li + li::before { content: " · "; color: #94a3b8; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(540px, 1fr)); gap: 16px; }
figure.chart { margin: 0; background: #fff; border: 1px solid #e2e8f0; border-radius: 8px; padding: 12px; }
figure.chart h3 { margin: 0 0 4px; font-size: 16px; } figcaption { color: #475569; font-size: 13px; margin-bottom: 8px; }
.canvas-box { position: relative; height: 320px; }
.missing { color: #92400e; background: #fffbeb; border: 1px dashed #f59e0b; padding: 12px; border-radius: 6px; }
footer { color: #64748b; font-size: 12px; margin-top: 32px; }
`;

const BOOT = `
(function () {
  var specs = JSON.parse(document.getElementById("thaw-chart-data").textContent);
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  window.thawCharts = {};
  specs.forEach(function (entry) {
    var canvas = document.getElementById("chart-" + entry.id);
    window.thawCharts[entry.id] = new Chart(canvas, entry.spec);
  });
})();
`;

/**
 * The whole page for `results`. Charts without results show the reason instead (a skipped
 * scenario's own reason, from the results file).
 */
export function renderReport(
  results: WarResults,
  options: RenderReportOptions,
): string {
  const verdicts = decideVerdicts(results);
  const charts = buildCharts(results);
  const rows = headlineRows(results);
  const machine = results.machine;

  const verdictRows = verdicts
    .map(
      (v) => `<tr data-claim="${v.claim}">
  <td class="num">${v.claim}</td>
  <td>${escapeHtml(v.title)}</td>
  <td><span class="verdict" style="background:${VERDICT_COLOURS[v.verdict]}">${v.verdict}</span></td>
  <td>${escapeHtml(v.reason)}${
    v.figures.length > 0
      ? `<ul class="figures">${v.figures
          .map(
            (f) =>
              `<li>${escapeHtml(f.label)}: <b>${escapeHtml(formatFigure(f.value, 2))}</b> ${escapeHtml(f.unit)}</li>`,
          )
          .join("")}</ul>`
      : ""
  }</td>
</tr>`,
    )
    .join("\n");

  const headline = rows
    .map(
      (r) => `<tr>
  <td>${escapeHtml(r.language)}</td><td>${escapeHtml(r.contestantId)}</td>
  <td class="num">${formatFigure(r.coldP50Ms, 2)}</td><td class="num">${formatFigure(r.coldP99Ms, 2)}</td>
  <td class="num">${formatFigure(r.initP50Ms, 2)}</td><td class="num">${formatFigure(r.cloudArm64P50Ms)}</td>
  <td class="num">${formatFigure(r.burstWallMs)}${r.burstParallel === undefined ? "" : ` (${r.burstParallel})`}</td>
  <td class="num">${r.snapshotSpeedUp === undefined ? "–" : `${formatFigure(r.snapshotSpeedUp, 2)}×`}</td>
</tr>`,
    )
    .join("\n");

  const chartFigures = charts
    .map(
      (c) => `<figure class="chart" data-chart="${c.id}">
  <h3>${escapeHtml(c.title)}</h3>
  <figcaption>${escapeHtml(c.caption)}</figcaption>
  ${
    c.spec
      ? `<div class="canvas-box"><canvas id="chart-${c.id}" role="img" aria-label="${escapeHtml(c.title)}"></canvas></div>`
      : `<p class="missing" data-missing="${c.id}">Not drawn: ${escapeHtml(c.missing ?? "no results")}.</p>`
  }
</figure>`,
    )
    .join("\n");

  const chartData = charts.flatMap((c) =>
    c.spec ? [{ id: c.id, spec: c.spec }] : [],
  );

  const skipped =
    results.skipped.length === 0
      ? ""
      : `<h2>Scenarios that did not run</h2><ul>${results.skipped
          .map(
            (s) =>
              `<li><b>${escapeHtml(s.scenario)}</b>: ${escapeHtml(s.reason)}</li>`,
          )
          .join("")}</ul>`;

  const cloudRows = LAMBDA_PERF.coldStarts
    .map(
      (c) =>
        `<tr><td>${c.language}</td><td>${escapeHtml(c.runtime)}</td><td class="num">${c.arm64P50Ms}</td><td class="num">${c.arm64P90Ms}</td><td class="num">${c.x86P50Ms}</td><td class="num">${c.x86P90Ms}</td><td class="num">${c.maxMemoryUsedMB}</td></tr>`,
    )
    .join("");
  const snapRows = LAMBDA_PERF.snapStart
    .map(
      (s) =>
        `<tr><td>${escapeHtml(s.runtime)}</td><td class="num">${s.plainInitP50Ms}</td><td class="num">${s.restoreP50Ms}</td></tr>`,
    )
    .join("");

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>thaw — the cold-start war</title>
<style>${STYLE}</style>
</head>
<body>
<h1>The cold-start war</h1>
<p class="sub">${escapeHtml(results.mode)} run of ${escapeHtml(results.tool)}, ${escapeHtml(results.generatedAt)}, ${formatFigure(results.durationSeconds, 0)} s${
    options.sourceName ? ` — ${escapeHtml(options.sourceName)}` : ""
  }<br>
${escapeHtml(machine.cpuModel)} × ${machine.cores}, ${formatFigure(machine.totalMemoryMiB, 0)} MiB, ${escapeHtml(machine.os)} (${escapeHtml(machine.kernel)}), cgroup ${escapeHtml(machine.cgroup)}, backend ${escapeHtml(machine.backend)}, Node ${escapeHtml(machine.node)}; ${results.settings.runs} runs per series, ${results.settings.memoryMB} MB.</p>

<h2>Verdicts</h2>
<table id="verdicts">
<thead><tr><th>#</th><th>Claim</th><th>Verdict</th><th>Why, and the figures that decide it</th></tr></thead>
<tbody>
${verdictRows}
</tbody>
</table>

<h2>Headline</h2>
<table id="headline">
<thead><tr><th>Language</th><th>Fastest hello contestant</th><th>Cold start p50, ms</th><th>p99, ms</th><th>Init Duration p50, ms</th><th>AWS (lambda-perf) arm64 Init p50, ms</th><th>Burst wall time, ms (parallel)</th><th>Snapshot speed-up</th></tr></thead>
<tbody>
${headline}
</tbody>
</table>

<h2>Charts</h2>
<div class="charts">
${chartFigures}
</div>

${skipped}

<h2>Reference: AWS Lambda, as lambda-perf publishes it</h2>
<p class="sub">${escapeHtml(LAMBDA_PERF.method)}; ${escapeHtml(LAMBDA_PERF.period)}. Source: ${escapeHtml(LAMBDA_PERF.source)}.</p>
<table id="cloud">
<thead><tr><th>Language</th><th>Runtime</th><th>arm64 p50</th><th>arm64 p90</th><th>x86_64 p50</th><th>x86_64 p90</th><th>Max Memory Used, MB</th></tr></thead>
<tbody>${cloudRows}</tbody>
</table>
<p class="sub">SnapStart, ${escapeHtml(LAMBDA_PERF.snapStartPeriod)}: ${escapeHtml(LAMBDA_PERF.snapStartSource)}.</p>
<table id="cloud-snapstart">
<thead><tr><th>Runtime</th><th>Plain init p50, ms</th><th>Restore p50, ms</th></tr></thead>
<tbody>${snapRows}</tbody>
</table>

<footer>Made by thaw report from a results file of version ${results.version}. Charts: ${options.chartLibrary.name} ${escapeHtml(options.chartLibrary.version)} (MIT), inlined. How verdicts are decided: docs/report.md.</footer>
<script>${options.chartLibrary.source}</script>
<script type="application/json" id="thaw-chart-data">${scriptJson(chartData)}</script>
<script>${BOOT}</script>
</body>
</html>
`;
}
