/**
 * The JSON file the SnapStart benchmark writes (`--json FILE`, else
 * `.thaw/bench/snapstart-<timestamp>.json`): per function, its plain on-demand cold starts, its
 * snapshot, its clones restored one at a time and its batches of clones restored at once, every raw
 * sample beside its summary, with the machine they were measured on. Keys are spelled out and carry
 * their unit (`Ms` milliseconds, `Bytes`, `MB` Lambda's megabytes). Bump
 * {@link SNAPSTART_RESULTS_VERSION} when a field changes meaning.
 *
 * The CPU figures (`hostCpuMs…`) are the whole machine's busy time (`/proc/stat`: user, nice, system,
 * irq, softirq, steal) while the samples ran, divided by their count: the kernel's work for
 * namespaces, cgroups and memory, criu, the Runtime, thaw itself, and anything else that ran.
 */
import type { MachineFacts } from "./serve-results.js";
import type { SampleSummary } from "./serve-stats.js";

/** Version of the {@link SnapStartBenchResults} layout. */
export const SNAPSTART_RESULTS_VERSION = 1;

/** One function measured. */
export interface SnapStartSubjectResult {
  /** e.g. `rust-fixture`, `nodejs-heavy-aws-sdk`. */
  readonly id: string;
  readonly language: string;
  /** `fixture`: the language's small function; `heavy`: a heavy init, measured against the goal. */
  readonly kind: "fixture" | "heavy";
  /** What the function is and does at init, in words. */
  readonly description: string;
  readonly runtime: string;
  readonly memoryMB: number;
  /** Plain on-demand cold starts on the process backend (its fork server kept running). */
  readonly plain: {
    readonly initDurationMs: readonly number[];
    readonly firstInvokeMs: readonly number[];
    readonly initDuration: SampleSummary;
    readonly firstInvoke: SampleSummary;
    /** The machine's busy CPU time over the samples, per cold start . */
    readonly hostCpuMsPerStart: number;
  };
  /** The snapshot, taken once. */
  readonly snapshot: {
    /** The template's Init Duration: under thaw-init, in its own pid and network namespaces. */
    readonly templateInitMs: number;
    /** `criu dump`. */
    readonly dumpMs: number;
    readonly imageBytes: number;
    /** From asking for the snapshot to having it: template start, init, dump. */
    readonly takenMs: number;
  };
  /** Clones restored one at a time, each alone (another clone kept idle holds the fork server). */
  readonly restore: {
    readonly restoreDurationMs: readonly number[];
    readonly criuRestoreMs: readonly number[];
    readonly firstInvokeMs: readonly number[];
    readonly maxMemoryUsedMB: readonly number[];
    readonly restoreDuration: SampleSummary;
    readonly criuRestore: SampleSummary;
    readonly firstInvoke: SampleSummary;
    /** The machine's busy CPU time over the restores, per restore. */
    readonly hostCpuMsPerRestore: number;
  };
  /** restore p50 ÷ plain init p50. */
  readonly restoreOverInit: number;
  /** Batches of clones restored at once from the one snapshot. */
  readonly parallel: readonly ParallelRestoreResult[];
  /** Batch sizes not run, and why (they would not fit in memory). */
  readonly parallelSkipped: readonly { parallel: number; reason: string }[];
}

/** One batch of clones restored at once, each kept running until every one had answered. */
export interface ParallelRestoreResult {
  readonly parallel: number;
  readonly errors: number;
  readonly firstErrors: readonly string[];
  /** From the batch's start to the last answer. */
  readonly wallMs: number;
  /** Restore Duration of each clone that answered correctly. */
  readonly restoreDurationMs: readonly number[];
  readonly restoreDuration: SampleSummary;
  /** From the batch's start to each clone's answer. */
  readonly answeredMs: readonly number[];
  /** The machine's busy CPU time over the batch, per clone. */
  readonly hostCpuMsPerClone: number;
  /** The batch's p50 Restore Duration ÷ the p50 of the clones restored one at a time. */
  readonly p50OverAlone: number;
}

/** A goal printed next to its figure; never asserted. */
export interface SnapStartGoal {
  readonly goal: string;
  readonly subject: string;
  readonly value: number;
  readonly met: boolean;
}

/** The whole file. */
export interface SnapStartBenchResults {
  readonly version: typeof SNAPSTART_RESULTS_VERSION;
  readonly tool: "bench:snapstart";
  readonly generatedAt: string;
  readonly mode: "full" | "quick";
  readonly machine: MachineFacts & {
    readonly kernel: string;
    readonly cgroup: string;
    readonly criu: string;
  };
  readonly settings: {
    readonly runs: number;
    readonly parallel: readonly number[];
    readonly cpu: "shares" | "quota";
  };
  readonly subjects: readonly SnapStartSubjectResult[];
  readonly goals: readonly SnapStartGoal[];
  /** Subjects that could not be measured, and why. */
  readonly skipped: readonly { subject: string; reason: string }[];
  /** What was left after the run: nothing (zero, empty, true) when clean. */
  readonly leftovers: {
    /** Processes below the benchmark's. */
    readonly processes: number;
    /** Its cgroups (`thaw-<pid>-<n>`). */
    readonly cgroups: number;
    /** New entries of the snapshot backend's socket folder (`/run/thaw`). */
    readonly sockets: readonly string[];
    readonly snapshotDirRemoved: boolean;
  };
  readonly durationSeconds: number;
}
