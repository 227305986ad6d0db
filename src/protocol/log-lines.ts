/**
 * Lambda's platform log lines in the Text format (spec §4.1), fields separated by TAB. This is the one
 * module that writes them; everything that prints INIT_START, START, END, REPORT, INIT_REPORT or the
 * SnapStart lines RESTORE_START and RESTORE_REPORT calls it.
 */

/** Statuses of the new-style REPORT and INIT_REPORT suffixes. */
export type ReportStatus = "timeout" | "error";

/** `INIT_START Runtime Version: …	Runtime Version ARN: …` */
export function initStartLine(
  runtimeVersion: string,
  runtimeVersionArn: string,
): string {
  return `INIT_START Runtime Version: ${runtimeVersion}\tRuntime Version ARN: ${runtimeVersionArn}`;
}

/** `RESTORE_START Runtime Version: …	Runtime Version ARN: …`: a SnapStart clone is being restored. */
export function restoreStartLine(
  runtimeVersion: string,
  runtimeVersionArn: string,
): string {
  return `RESTORE_START Runtime Version: ${runtimeVersion}\tRuntime Version ARN: ${runtimeVersionArn}`;
}

/**
 * `RESTORE_REPORT Restore Duration: … ms`, then `Status: …` and `Error Type: …` when the restore
 * failed (spec §4.1).
 */
export function restoreReportLine(fields: {
  readonly restoreDurationMs: number;
  readonly status?: ReportStatus;
  readonly errorType?: string;
}): string {
  let line = `RESTORE_REPORT Restore Duration: ${fields.restoreDurationMs.toFixed(2)} ms`;
  if (fields.status !== undefined) line += `\tStatus: ${fields.status}`;
  if (fields.errorType !== undefined)
    line += `\tError Type: ${fields.errorType}`;
  return line;
}

/** `START RequestId: … Version: …` (single spaces, as Lambda prints it). */
export function startLine(requestId: string, version: string): string {
  return `START RequestId: ${requestId} Version: ${version}`;
}

/** `END RequestId: …` */
export function endLine(requestId: string): string {
  return `END RequestId: ${requestId}`;
}

/** The figures of one REPORT line. */
export interface ReportFields {
  readonly requestId: string;
  readonly durationMs: number;
  readonly billedDurationMs: number;
  readonly memorySizeMB: number;
  readonly maxMemoryUsedMB: number;
  /** Present on the first Invocation after an on-demand init. */
  readonly initDurationMs?: number;
  /** Present on an Invocation of a restored Snapshot. */
  readonly restoreDurationMs?: number;
  readonly billedRestoreDurationMs?: number;
  readonly status?: ReportStatus;
  readonly errorType?: string;
}

/** `REPORT RequestId: …	Duration: … ms	…`, in the field order AWS prints today. */
export function reportLine(fields: ReportFields): string {
  let line =
    `REPORT RequestId: ${fields.requestId}\tDuration: ${fields.durationMs.toFixed(2)} ms\t` +
    `Billed Duration: ${fields.billedDurationMs} ms\tMemory Size: ${fields.memorySizeMB} MB\t` +
    `Max Memory Used: ${fields.maxMemoryUsedMB} MB\t`;
  if (fields.initDurationMs !== undefined)
    line += `Init Duration: ${fields.initDurationMs.toFixed(2)} ms\t`;
  if (fields.restoreDurationMs !== undefined) {
    line += `Restore Duration: ${fields.restoreDurationMs.toFixed(2)} ms\t`;
    line += `Billed Restore Duration: ${fields.billedRestoreDurationMs ?? Math.ceil(fields.restoreDurationMs)} ms\t`;
  }
  if (fields.status !== undefined) {
    line += `Status: ${fields.status}`;
    if (fields.errorType !== undefined)
      line += `\tError Type: ${fields.errorType}`;
  }
  return line;
}

/**
 * `INIT_REPORT Init Duration: … ms	Phase: init	Status: error	Error Type: …`; for an init that
 * succeeded (a SnapStart snapshot's), without a status: `INIT_REPORT Init Duration: … ms`.
 */
export function initReportLine(fields: {
  readonly initDurationMs: number;
  readonly phase: "init" | "invoke";
  readonly status: ReportStatus | undefined;
  readonly errorType?: string;
}): string {
  let line = `INIT_REPORT Init Duration: ${fields.initDurationMs.toFixed(2)} ms`;
  if (fields.status === undefined) return line;
  line += `\tPhase: ${fields.phase}\tStatus: ${fields.status}`;
  if (fields.errorType !== undefined)
    line += `\tError Type: ${fields.errorType}`;
  return line;
}

/** The old-style timeout line Lambda still prints between START and END. */
export function taskTimedOutLine(
  requestId: string,
  timeoutSeconds: number,
  at: Date,
): string {
  return `${at.toISOString()} ${requestId} Task timed out after ${timeoutSeconds.toFixed(2)} seconds`;
}

/**
 * Billed Duration from the documented examples (spec §4.1): the Invocation's duration plus the init
 * that preceded it, rounded up to the millisecond.
 */
export function billedDurationMs(
  durationMs: number,
  initDurationMs = 0,
): number {
  return Math.ceil(durationMs + initDurationMs);
}
