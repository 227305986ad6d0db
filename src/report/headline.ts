/**
 * The headline table of a report, one row per language: its fastest hello contestant's cold start
 * (p50, p99, Init Duration p50), lambda-perf's cloud figure beside it, the burst's wall time and the
 * snapshot speed-up. Shared by the HTML page and the Markdown summary.
 */
import type { Language, WarResults } from "../bench/war/war-results.js";
import { LAMBDA_PERF } from "./cloud-reference.js";
import { coldP50ByLanguage } from "./verdicts.js";

/** One language's row; `undefined` where the scenario has no figure for it. */
export interface HeadlineRow {
  readonly language: Language;
  readonly contestantId: string;
  readonly coldP50Ms: number;
  readonly coldP99Ms: number;
  readonly initP50Ms: number;
  readonly cloudArm64P50Ms: number | undefined;
  readonly burstWallMs: number | undefined;
  readonly burstParallel: number | undefined;
  /** Plain init p50 ÷ restore p50. */
  readonly snapshotSpeedUp: number | undefined;
}

/** Rows in the order of cold-start p50, fastest first. */
export function headlineRows(results: WarResults): readonly HeadlineRow[] {
  const best = coldP50ByLanguage(results);
  const rows: HeadlineRow[] = [];
  for (const [language, { contestantId }] of best) {
    const cold = results.cold.find((c) => c.contestantId === contestantId);
    if (!cold) continue;
    const burst = results.burst.find((b) => b.contestantId === contestantId);
    const snap = results.snapStart.find((s) => s.contestantId === contestantId);
    rows.push({
      language,
      contestantId,
      coldP50Ms: cold.totalMs.p50,
      coldP99Ms: cold.totalMs.p99,
      initP50Ms: cold.initDurationMs.p50,
      cloudArm64P50Ms: LAMBDA_PERF.coldStarts.find(
        (c) => c.language === language,
      )?.arm64P50Ms,
      burstWallMs: burst?.wallMs,
      burstParallel: burst?.parallel,
      snapshotSpeedUp: snap ? snap.plainInit.p50 / snap.restore.p50 : undefined,
    });
  }
  return rows.sort((a, b) => a.coldP50Ms - b.coldP50Ms);
}

/** A figure for a table: `–` when missing or not finite, else at most `digits` decimals. */
export function formatFigure(value: number | undefined, digits = 1): string {
  if (value === undefined || !Number.isFinite(value)) return "–";
  return value >= 100 ? value.toFixed(0) : value.toFixed(digits);
}
