/**
 * The report's charts as Chart.js configurations: plain JSON built from a results file, which the
 * page hands to the inlined Chart.js. Pure: a scenario without results gives a chart section with
 * the reason it is missing instead of a configuration.
 */
import type {
  Contestant,
  Language,
  ScenarioId,
  WarResults,
} from "../bench/war/war-results.js";
import { LAMBDA_PERF } from "./cloud-reference.js";
import { burstPerStart, coldP50ByLanguage, whyMissing } from "./verdicts.js";

/** A Chart.js configuration, as JSON (no functions, so it can be inlined as data). */
export interface ChartSpec {
  readonly type: string;
  readonly data: {
    readonly labels?: readonly (string | number)[];
    readonly datasets: readonly Readonly<Record<string, unknown>>[];
  };
  readonly options: Readonly<Record<string, unknown>>;
}

/** One chart of the page: drawn from `spec`, or `missing` says why it is not. */
export interface ChartSection {
  /** Stable id, also the canvas id (`chart-<id>`). */
  readonly id: string;
  readonly title: string;
  /** What the chart shows and how to read it, one or two sentences. */
  readonly caption: string;
  readonly scenario: ScenarioId;
  readonly spec: ChartSpec | undefined;
  readonly missing: string | undefined;
}

/** A colour per language, the same in every chart. */
export const LANGUAGE_COLOURS: Readonly<Record<Language, string>> = {
  c: "#6b7280",
  rust: "#c2410c",
  go: "#0891b2",
  nodejs: "#16a34a",
  python: "#ca8a04",
  java: "#7c3aed",
};

const PHASES = [
  ["packageMs", "package", "#94a3b8"],
  ["sandboxMs", "sandbox", "#60a5fa"],
  ["runtimeInitMs", "runtime init", "#f59e0b"],
  ["invokeMs", "invoke", "#10b981"],
] as const;

const PALETTE = [
  "#2563eb",
  "#dc2626",
  "#059669",
  "#d97706",
  "#7c3aed",
  "#db2777",
  "#0891b2",
  "#65a30d",
];

/** Nearest-rank quantile of unsorted `values` (NaN when empty). */
function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  return (
    sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ??
    Number.NaN
  );
}

const median = (values: readonly number[]): number => quantile(values, 0.5);

const round = (value: number): number => Math.round(value * 1000) / 1000;

const axis = (title: string, extra: Record<string, unknown> = {}) => ({
  title: { display: true, text: title },
  ...extra,
});

/** Deterministic jitter in [-0.2, 0.2] for sample `index`, so a strip of samples is readable. */
const jitter = (index: number): number => ((index * 0.618034) % 1) * 0.4 - 0.2;

function section(
  results: WarResults,
  base: Omit<ChartSection, "spec" | "missing">,
  build: () => ChartSpec | undefined,
): ChartSection {
  const spec = build();
  return {
    ...base,
    spec,
    missing: spec ? undefined : whyMissing(results, base.scenario),
  };
}

/** Every chart of the report, in page order. */
export function buildCharts(results: WarResults): readonly ChartSection[] {
  const byId = new Map<string, Contestant>(
    results.contestants.map((c) => [c.id, c]),
  );
  const colourOf = (id: string): string => {
    const language = byId.get(id)?.language;
    return language ? LANGUAGE_COLOURS[language] : "#334155";
  };
  const scatterLine = (
    label: string,
    points: readonly { x: number; y: number }[],
    colour: string,
  ) => ({
    label,
    data: points.map((p) => ({ x: round(p.x), y: round(p.y) })),
    borderColor: colour,
    backgroundColor: colour,
    showLine: true,
  });

  return [
    section(
      results,
      {
        id: "cold-distribution",
        title: "Cold starts per contestant",
        caption:
          "Every cold start (dots), the middle half (box, p25–p75), min–max (thin bar) and the median (line). Logarithmic scale.",
        scenario: "cold",
      },
      () => {
        const cold = results.cold.filter((c) => c.samples.length > 0);
        if (cold.length === 0) return undefined;
        const labels = cold.map((c) => c.contestantId);
        const totals = cold.map((c) => c.samples.map((s) => s.totalMs));
        const colours = labels.map(colourOf);
        return {
          type: "bar",
          data: {
            labels,
            datasets: [
              {
                type: "bar",
                label: "p25–p75",
                data: totals.map((t) => [
                  round(quantile(t, 0.25)),
                  round(quantile(t, 0.75)),
                ]),
                backgroundColor: colours.map((c) => `${c}66`),
                borderColor: colours,
                borderWidth: 1,
                grouped: false,
                barPercentage: 0.6,
              },
              {
                type: "bar",
                label: "min–max",
                data: totals.map((t) => [
                  round(Math.min(...t)),
                  round(Math.max(...t)),
                ]),
                backgroundColor: colours,
                grouped: false,
                barPercentage: 0.05,
              },
              {
                type: "scatter",
                label: "median",
                data: totals.map((t, i) => ({ x: i, y: round(median(t)) })),
                xAxisID: "xSamples",
                pointStyle: "line",
                pointRadius: 14,
                borderWidth: 3,
                borderColor: "#111827",
              },
              {
                type: "scatter",
                label: "samples",
                data: totals.flatMap((t, i) =>
                  t.map((y, k) => ({ x: round(i + jitter(k)), y: round(y) })),
                ),
                xAxisID: "xSamples",
                pointRadius: 2,
                backgroundColor: "#1f293799",
              },
            ],
          },
          options: {
            scales: {
              x: { type: "category", labels },
              // A category scale rounds x to a whole index, so the jittered samples and the
              // medians sit on a hidden linear scale aligned with the categories' centres.
              xSamples: {
                type: "linear",
                axis: "x",
                // A bar chart's defaults give every x scale an offset; this one must not have it.
                offset: false,
                display: false,
                min: -0.5,
                max: labels.length - 0.5,
              },
              y: axis("cold start, ms (log)", { type: "logarithmic" }),
            },
          },
        };
      },
    ),
    section(
      results,
      {
        id: "phase-waterfall",
        title: "Where a cold start goes",
        caption:
          "Median of each phase of a cold start: package (extract or cache), sandbox, runtime init (to the first /next), invoke.",
        scenario: "cold",
      },
      () => {
        const cold = results.cold.filter((c) => c.samples.length > 0);
        if (cold.length === 0) return undefined;
        return {
          type: "bar",
          data: {
            labels: cold.map((c) => c.contestantId),
            datasets: PHASES.map(([key, label, colour]) => ({
              label,
              data: cold.map((c) =>
                round(median(c.samples.map((s) => s[key]))),
              ),
              backgroundColor: colour,
            })),
          },
          options: {
            indexAxis: "y",
            scales: {
              x: axis("ms (median per phase)", { stacked: true }),
              y: { stacked: true },
            },
          },
        };
      },
    ),
    section(
      results,
      {
        id: "burst-timeline",
        title: "Burst: answers over time",
        caption:
          "Parallel cold starts launched at once: how many had answered by each moment since the burst began.",
        scenario: "burst",
      },
      () => {
        if (results.burst.length === 0) return undefined;
        return {
          type: "scatter",
          data: {
            datasets: results.burst.map((b) => ({
              ...scatterLine(
                `${b.contestantId} (${b.parallel})`,
                [...b.latenciesMs]
                  .sort((x, y) => x - y)
                  .map((x, i) => ({ x, y: i + 1 })),
                colourOf(b.contestantId),
              ),
              stepped: true,
              pointRadius: 0,
            })),
          },
          options: {
            scales: {
              x: axis("ms since the burst began"),
              y: axis("answered"),
            },
          },
        };
      },
    ),
    section(
      results,
      {
        id: "burst-resources",
        title: "Burst: CPU and memory per start",
        caption:
          "CPU time (user + system) and peak memory of every sandbox in the burst, divided by the number of starts.",
        scenario: "burst",
      },
      () => {
        if (results.burst.length === 0) return undefined;
        const per = results.burst.map(burstPerStart);
        return {
          type: "bar",
          data: {
            labels: results.burst.map((b) => b.contestantId),
            datasets: [
              {
                label: "CPU ms per start",
                data: per.map((p) => round(p.cpuMs)),
                backgroundColor: "#2563eb",
                yAxisID: "y",
              },
              {
                label: "peak MiB per start",
                data: per.map((p) => round(p.memoryMiB)),
                backgroundColor: "#f97316",
                yAxisID: "memory",
              },
            ],
          },
          options: {
            scales: {
              y: axis("CPU ms"),
              memory: axis("MiB", {
                position: "right",
                grid: { drawOnChartArea: false },
              }),
            },
          },
        };
      },
    ),
    section(
      results,
      {
        id: "package-size",
        title: "Package size → cold start",
        caption:
          "The Rust hello function padded to each size: cold start p50 on first deploy (extraction included) and from the cache.",
        scenario: "package-size",
      },
      () => {
        if (results.packageSize.length === 0) return undefined;
        const rows = [...results.packageSize].sort(
          (a, b) => a.paddedMiB - b.paddedMiB,
        );
        return {
          type: "scatter",
          data: {
            datasets: [
              scatterLine(
                "first deploy p50",
                rows.map((r) => ({ x: r.paddedMiB, y: r.firstDeploy.p50 })),
                "#dc2626",
              ),
              scatterLine(
                "cached p50",
                rows.map((r) => ({ x: r.paddedMiB, y: r.cached.p50 })),
                "#2563eb",
              ),
            ],
          },
          options: {
            scales: { x: axis("package, MiB"), y: axis("cold start p50, ms") },
          },
        };
      },
    ),
    section(
      results,
      {
        id: "code-size",
        title: "Code size → init",
        caption:
          "Generated Go and Rust programs with more modules doing init-time work: Init Duration p50. Logarithmic module axis.",
        scenario: "code-size",
      },
      () => {
        if (results.codeSize.length === 0) return undefined;
        return {
          type: "scatter",
          data: {
            datasets: (["go", "rust"] as const)
              .map((language) =>
                scatterLine(
                  language,
                  results.codeSize
                    .filter((r) => r.language === language)
                    .sort((a, b) => a.modules - b.modules)
                    .map((r) => ({ x: r.modules, y: r.initDuration.p50 })),
                  LANGUAGE_COLOURS[language],
                ),
              )
              .filter((d) => d.data.length > 0),
          },
          options: {
            scales: {
              x: axis("modules (log)", { type: "logarithmic" }),
              y: axis("Init Duration p50, ms"),
            },
          },
        };
      },
    ),
    section(
      results,
      {
        id: "memory",
        title: "Memory size → init",
        caption:
          "Init Duration p50 at each memory size, CPU in proportion to memory as on Lambda.",
        scenario: "memory",
      },
      () => {
        if (results.memory.length === 0) return undefined;
        const ids = [...new Set(results.memory.map((m) => m.contestantId))];
        return {
          type: "scatter",
          data: {
            datasets: ids.map((id) =>
              scatterLine(
                id,
                results.memory
                  .filter((m) => m.contestantId === id)
                  .sort((a, b) => a.memoryMB - b.memoryMB)
                  .map((m) => ({ x: m.memoryMB, y: m.initDuration.p50 })),
                colourOf(id),
              ),
            ),
          },
          options: {
            scales: {
              x: axis("memory, MB"),
              y: axis("Init Duration p50, ms (log)", { type: "logarithmic" }),
            },
          },
        };
      },
    ),
    section(
      results,
      {
        id: "snapstart",
        title: "SnapStart: restore against plain init",
        caption:
          "Median plain init and median restore from a snapshot, per contestant.",
        scenario: "snapstart",
      },
      () => {
        if (results.snapStart.length === 0) return undefined;
        return {
          type: "bar",
          data: {
            labels: results.snapStart.map((s) => s.contestantId),
            datasets: [
              {
                label: "plain init p50",
                data: results.snapStart.map((s) => round(s.plainInit.p50)),
                backgroundColor: "#64748b",
              },
              {
                label: "restore p50",
                data: results.snapStart.map((s) => round(s.restore.p50)),
                backgroundColor: "#0ea5e9",
              },
            ],
          },
          options: { scales: { y: axis("ms") } },
        };
      },
    ),
    section(
      results,
      {
        id: "backends",
        title: "Sandbox backends",
        caption: "Cold start p50 of each contestant on each sandbox backend.",
        scenario: "backends",
      },
      () => {
        if (results.backends.length === 0) return undefined;
        const labels = [
          ...new Set(results.backends.map((b) => b.contestantId)),
        ];
        const backends = [...new Set(results.backends.map((b) => b.backend))];
        return {
          type: "bar",
          data: {
            labels,
            datasets: backends.map((backend, index) => ({
              label: backend,
              data: labels.map((id) => {
                const row = results.backends.find(
                  (b) => b.contestantId === id && b.backend === backend,
                );
                return row ? round(row.totalMs.p50) : null;
              }),
              backgroundColor: PALETTE[index % PALETTE.length],
            })),
          },
          options: {
            scales: {
              y: axis("cold start p50, ms (log)", { type: "logarithmic" }),
            },
          },
        };
      },
    ),
    section(
      results,
      {
        id: "warm",
        title: "First invoke and warm invokes",
        caption:
          "The first invoke after init (JIT runtimes pay here) and warm invokes on the same environment, medians. Logarithmic scale.",
        scenario: "warm",
      },
      () => {
        if (results.warm.length === 0) return undefined;
        return {
          type: "bar",
          data: {
            labels: results.warm.map((w) => w.contestantId),
            datasets: [
              {
                label: "first invoke p50, ms",
                data: results.warm.map((w) => round(w.firstInvoke.p50)),
                backgroundColor: "#a855f7",
              },
              {
                label: "warm invoke p50, ms",
                data: results.warm.map((w) => round(w.warmInvoke.p50 / 1000)),
                backgroundColor: "#22c55e",
              },
            ],
          },
          options: { scales: { y: axis("ms (log)", { type: "logarithmic" }) } },
        };
      },
    ),
    section(
      results,
      {
        id: "cloud",
        title: "Beside AWS Lambda (lambda-perf)",
        caption: `Init Duration p50 of each language's fastest hello contestant here, beside lambda-perf's published Init Duration p50 on AWS (${LAMBDA_PERF.period}). Logarithmic scale.`,
        scenario: "cold",
      },
      () => {
        const best = coldP50ByLanguage(results);
        if (best.size === 0) return undefined;
        const languages = [...best.keys()];
        const cloud = (language: Language, pick: "arm64P50Ms" | "x86P50Ms") =>
          LAMBDA_PERF.coldStarts.find((c) => c.language === language)?.[pick] ??
          null;
        return {
          type: "bar",
          data: {
            labels: languages,
            datasets: [
              {
                label: "thaw, this machine: Init Duration p50",
                data: languages.map((language) => {
                  const id = best.get(language)?.contestantId;
                  const cold = results.cold.find((c) => c.contestantId === id);
                  return cold ? round(cold.initDurationMs.p50) : null;
                }),
                backgroundColor: "#0f766e",
              },
              {
                label: "lambda-perf arm64 p50",
                data: languages.map((l) => cloud(l, "arm64P50Ms")),
                backgroundColor: "#f59e0b",
              },
              {
                label: "lambda-perf x86_64 p50",
                data: languages.map((l) => cloud(l, "x86P50Ms")),
                backgroundColor: "#fbbf24",
              },
            ],
          },
          options: { scales: { y: axis("ms (log)", { type: "logarithmic" }) } },
        };
      },
    ),
  ];
}
