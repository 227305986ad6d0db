/**
 * From raw samples to the results file's records: every record keeps its raw samples beside their
 * {@link summarize | summary}, so a reader can recompute any figure. Pure functions, unit-tested.
 */
import { summarize } from "../serve-stats.js";
import type {
  BurstResult,
  ColdPhasesMs,
  ColdSeriesResult,
  ResultSection,
  SnapStartResult,
  WarmSeriesResult,
  WarResults,
} from "./war-results.js";
import type { ScenarioOutput } from "./war-scenario.js";

/** Scenario (a)'s record of one contestant. */
export function coldSeries(
  contestantId: string,
  samples: readonly ColdPhasesMs[],
): ColdSeriesResult {
  return {
    contestantId,
    samples,
    totalMs: summarize(samples.map((s) => s.totalMs)),
    initDurationMs: summarize(samples.map((s) => s.initDurationMs)),
  };
}

/** Scenario (b)'s record of one contestant. */
export function warmSeries(
  contestantId: string,
  firstInvokeMs: readonly number[],
  warmInvokeUs: readonly number[],
): WarmSeriesResult {
  return {
    contestantId,
    firstInvokeMs,
    warmInvokeUs,
    firstInvoke: summarize(firstInvokeMs),
    warmInvoke: summarize(warmInvokeUs),
  };
}

/**
 * Scenario (g)'s record of one contestant: its plain inits and its restores, each with its summary,
 * and its snapshot's image size and dump time.
 */
export function snapStartSeries(
  contestantId: string,
  plainInitMs: readonly number[],
  restoreMs: readonly number[],
  snapshot: { readonly imageBytes: number; readonly dumpMs: number },
): SnapStartResult {
  return {
    contestantId,
    plainInit: summarize(plainInitMs),
    restore: summarize(restoreMs),
    plainInitMs,
    restoreMs,
    imageBytes: snapshot.imageBytes,
    dumpMs: snapshot.dumpMs,
  };
}

/** How many failed starts' messages a burst keeps. */
const MAX_FIRST_ERRORS = 5;

/** One start of a burst: when it was answered (from the burst's start), or why it failed. */
export type BurstStart =
  | {
      readonly ok: true;
      readonly latencyMs: number;
      readonly maxMemoryUsedMB: number;
    }
  | { readonly ok: false; readonly error: string };

/**
 * Scenario (c)'s record of one contestant. The wall time is the latest answer's latency: from the
 * burst's start until every start that succeeded was answered.
 */
export function burstResult(
  contestantId: string,
  starts: readonly BurstStart[],
  cpuSeconds: number,
): BurstResult {
  const latenciesMs: number[] = [];
  let summedPeakMemoryMiB = 0;
  let errors = 0;
  const firstErrors: string[] = [];
  for (const start of starts) {
    if (start.ok) {
      latenciesMs.push(start.latencyMs);
      summedPeakMemoryMiB += start.maxMemoryUsedMB;
    } else {
      errors += 1;
      if (firstErrors.length < MAX_FIRST_ERRORS) firstErrors.push(start.error);
    }
  }
  return {
    contestantId,
    parallel: starts.length,
    errors,
    wallMs: latenciesMs.reduce((a, b) => Math.max(a, b), 0),
    latenciesMs,
    latency: summarize(latenciesMs),
    cpuSeconds,
    summedPeakMemoryMiB,
    ...(firstErrors.length === 0 ? {} : { firstErrors }),
  };
}

/** The result arrays of a {@link WarResults} file, as scenarios fill them. */
export type WarSections = {
  -readonly [K in ResultSection | "skipped"]: WarResults[K][number][];
};

/** Empty sections, to merge scenario outputs into. */
export function emptySections(): WarSections {
  return {
    cold: [],
    warm: [],
    burst: [],
    packageSize: [],
    codeSize: [],
    memory: [],
    snapStart: [],
    backends: [],
    skipped: [],
  };
}

/** Adds a scenario's output to `sections` (in place) and returns them. */
export function mergeScenarioOutput(
  sections: WarSections,
  output: ScenarioOutput,
): WarSections {
  sections.cold.push(...(output.cold ?? []));
  sections.warm.push(...(output.warm ?? []));
  sections.burst.push(...(output.burst ?? []));
  sections.packageSize.push(...(output.packageSize ?? []));
  sections.codeSize.push(...(output.codeSize ?? []));
  sections.memory.push(...(output.memory ?? []));
  sections.snapStart.push(...(output.snapStart ?? []));
  sections.backends.push(...(output.backends ?? []));
  sections.skipped.push(...output.skipped);
  return sections;
}
