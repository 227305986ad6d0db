/**
 * The trend of a series of samples: the slope of the least-squares line through them, which says
 * whether a quantity (a server's resident memory) keeps growing, without letting one high sample
 * (a garbage collection that came late) decide.
 */

/** One sample: `x` (e.g. seconds) and `y` (e.g. KiB). */
export interface TrendPoint {
  readonly x: number;
  readonly y: number;
}

/**
 * Slope of the least-squares line through `points`, in units of y per unit of x; `NaN` with fewer
 * than two distinct x values.
 */
export function leastSquaresSlope(points: readonly TrendPoint[]): number {
  const n = points.length;
  if (n < 2) return Number.NaN;
  let sumX = 0;
  let sumY = 0;
  for (const { x, y } of points) {
    sumX += x;
    sumY += y;
  }
  const meanX = sumX / n;
  const meanY = sumY / n;
  let covariance = 0;
  let variance = 0;
  for (const { x, y } of points) {
    covariance += (x - meanX) * (y - meanY);
    variance += (x - meanX) ** 2;
  }
  return variance === 0 ? Number.NaN : covariance / variance;
}
