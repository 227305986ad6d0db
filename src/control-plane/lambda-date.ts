/** Lambda's timestamps, as `LastModified` carries them. */

/**
 * Formats `date` as Lambda does: `2024-05-01T12:34:56.789+0000` (UTC, milliseconds, an offset
 * without a colon).
 */
export function formatLambdaDate(date: Date): string {
  return `${date.toISOString().slice(0, 23)}+0000`;
}
