/**
 * Order statistics of the serve benchmark's samples: nearest-rank quantiles over a sorted copy,
 * the way the cold-invoke benchmark reads its medians, so both benchmarks' figures compare.
 */

/** What the serve benchmark reports of one set of samples (same unit as the samples). */
export interface SampleSummary {
  readonly count: number;
  readonly min: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

/**
 * Summarises `samples` (any unit): nearest-rank quantiles (`sorted[floor(q·n)]`, clamped to the
 * last sample), so p50 of an even count is the upper median. Every field is `NaN` when there are no
 * samples. The input is not modified.
 */
export function summarize(samples: readonly number[]): SampleSummary {
  const sorted = Float64Array.from(samples).sort();
  const n = sorted.length;
  const at = (q: number): number =>
    n === 0 ? Number.NaN : (sorted[Math.min(n - 1, Math.floor(q * n))] ?? 0);
  let sum = 0;
  for (const value of sorted) sum += value;
  return {
    count: n,
    min: at(0),
    p50: at(0.5),
    p90: at(0.9),
    p99: at(0.99),
    max: n === 0 ? Number.NaN : (sorted[n - 1] ?? 0),
    mean: n === 0 ? Number.NaN : sum / n,
  };
}
