/**
 * The results file of `thaw bench` (the cold-start war): one versioned JSON document with every raw
 * sample, its aggregates and the facts of the machine, which `thaw report` turns into the report.
 * Keys carry their unit (`Ms` milliseconds, `Us` microseconds, `Bytes`, `MiB`, `Seconds`). Bump
 * {@link WAR_RESULTS_VERSION} when a field changes meaning; docs/war-results.md describes it.
 */
import type { MachineFacts } from "../serve-results.js";
import type { SampleSummary } from "../serve-stats.js";

/** Version of the {@link WarResults} layout. */
export const WAR_RESULTS_VERSION = 1;

/** The languages of the war, in the order they are listed; `c` is the native control. */
export const LANGUAGES = [
  "c",
  "rust",
  "go",
  "nodejs",
  "python",
  "java",
] as const;

/** A language of the war. */
export type Language = (typeof LANGUAGES)[number];

/** The scenarios of issue 5, by letter, in the order they run. */
export const SCENARIO_IDS = [
  "cold", // (a) cold starts, phase by phase
  "warm", // (b) first invoke after init, then warm invokes
  "burst", // (c) 100 parallel cold starts
  "package-size", // (d) the same Rust function padded to 1, 10, 50, 100 MB
  "code-size", // (e) generated Go and Rust programs with 10, 100, 1,000 modules
  "memory", // (f) memory size 128–3,008 MB, CPU in proportion
  "snapstart", // (g) SnapStart on and off
  "backends", // (h) sandbox backend comparison
] as const;

/** A scenario of the war. */
export type ScenarioId = (typeof SCENARIO_IDS)[number];

/** One function that competes: a language, a variant and how it was built. */
export interface Contestant {
  /** Unique and stable, e.g. `rust-hello`, `java-realistic-appcds`, `nodejs-hello-bundled`. */
  readonly id: string;
  readonly language: Language;
  /** `hello` returns its input; `realistic` parses JSON, hashes and builds clients at init. */
  readonly variant: "hello" | "realistic";
  /** How it was built, beyond the variant (`appcds`, `bundled`, `unbundled`…), or none. */
  readonly build: string | undefined;
  readonly runtime: string;
  readonly handler: string;
  /** The package folder (or zip) thaw runs. */
  readonly packagePath: string;
  /**
   * Environment variables the function runs with, when its build needs some (e.g. the AppCDS
   * contestants' `JAVA_TOOL_OPTIONS=-XX:SharedArchiveFile=app.jsa`); absent when none.
   */
  readonly environment?: Readonly<Record<string, string>>;
  /** Bytes of the package on disk (every file, unzipped) and its file count. */
  readonly packageBytes: number;
  readonly packageFiles: number;
  /** The language's version, as its toolchain reports it (e.g. `rustc 1.95.0`). */
  readonly toolchain: string;
}

/** Phases of one cold start, in milliseconds (see `ColdStartPhases` in app/invoke-once.ts). */
export interface ColdPhasesMs {
  readonly packageMs: number;
  readonly sandboxMs: number;
  /** Process start until the Runtime's first `/next` (its Init Duration, less the sandbox). */
  readonly runtimeInitMs: number;
  readonly invokeMs: number;
  readonly totalMs: number;
  /** Init Duration as REPORT prints it. */
  readonly initDurationMs: number;
  /** Max Memory Used as REPORT prints it, in MB. */
  readonly maxMemoryUsedMB: number;
}

/** Scenario (a): n cold starts of one contestant, each on a fresh environment. */
export interface ColdSeriesResult {
  readonly contestantId: string;
  readonly samples: readonly ColdPhasesMs[];
  readonly totalMs: SampleSummary;
  readonly initDurationMs: SampleSummary;
}

/** Scenario (b): the first invoke after init, then warm invokes on the same environment. */
export interface WarmSeriesResult {
  readonly contestantId: string;
  readonly firstInvokeMs: readonly number[];
  readonly warmInvokeUs: readonly number[];
  readonly firstInvoke: SampleSummary;
  readonly warmInvoke: SampleSummary;
}

/** Scenario (c): parallel cold starts of one contestant, all at once. */
export interface BurstResult {
  readonly contestantId: string;
  readonly parallel: number;
  readonly errors: number;
  readonly wallMs: number;
  /** Each start: when it was answered, from the burst's start. */
  readonly latenciesMs: readonly number[];
  readonly latency: SampleSummary;
  /** CPU time (user + system) of every sandbox, summed, in seconds. */
  readonly cpuSeconds: number;
  /** Peak memory of every sandbox, summed, in MiB. */
  readonly summedPeakMemoryMiB: number;
  /** The first few failed starts' messages (optional; added by the runner, absent in older files). */
  readonly firstErrors?: readonly string[];
}

/** Scenario (d): the Rust hello function padded to a size; extracted (first deploy) and cached. */
export interface PackageSizeResult {
  readonly paddedMiB: number;
  readonly zipBytes: number;
  readonly firstDeploy: SampleSummary;
  readonly cached: SampleSummary;
  readonly firstDeployMs: readonly number[];
  readonly cachedMs: readonly number[];
}

/** Scenario (e): a generated program with `modules` modules or packages doing init-time work. */
export interface CodeSizeResult {
  readonly language: "go" | "rust";
  readonly modules: number;
  readonly binaryBytes: number;
  readonly initDuration: SampleSummary;
  readonly initDurationMs: readonly number[];
}

/** Scenario (f): one contestant at one memory size. */
export interface MemorySizeResult {
  readonly contestantId: string;
  readonly memoryMB: number;
  readonly cpu: "shares" | "quota";
  readonly initDuration: SampleSummary;
  readonly initDurationMs: readonly number[];
}

/**
 * Scenario (g): clones restored from a snapshot against plain on-demand cold starts, both in the
 * process backend's sandboxes (a clone's is the same plus thaw-init's pid and network namespaces).
 */
export interface SnapStartResult {
  readonly contestantId: string;
  /** Summary of `plainInitMs`. */
  readonly plainInit: SampleSummary;
  /** Summary of `restoreMs`. */
  readonly restore: SampleSummary;
  /** Init Duration of each plain on-demand cold start. */
  readonly plainInitMs: readonly number[];
  /** Restore Duration of each clone, restored one at a time from one snapshot. */
  readonly restoreMs: readonly number[];
  /** Size of the snapshot's CRIU image (optional; added with the snapshot backend). */
  readonly imageBytes?: number;
  /** How long `criu dump` took to write it (optional; added with the snapshot backend). */
  readonly dumpMs?: number;
}

/** Scenario (h): one contestant's cold starts on one backend. */
export interface BackendResult {
  readonly contestantId: string;
  readonly backend: string;
  readonly isolateNetwork: boolean;
  readonly totalMs: SampleSummary;
  readonly samplesMs: readonly number[];
}

/** Why a scenario has no results. */
export interface Skipped {
  readonly scenario: ScenarioId;
  readonly reason: string;
}

/** The whole results file. */
export interface WarResults {
  readonly version: typeof WAR_RESULTS_VERSION;
  readonly tool: "thaw bench";
  readonly generatedAt: string;
  readonly mode: "full" | "quick" | "function";
  /** How long the run took. */
  readonly durationSeconds: number;
  readonly machine: MachineFacts & {
    readonly kernel: string;
    readonly cgroup: string;
    readonly backend: string;
  };
  readonly settings: {
    readonly runs: number;
    readonly scenarios: readonly ScenarioId[];
    readonly memoryMB: number;
  };
  readonly contestants: readonly Contestant[];
  readonly cold: readonly ColdSeriesResult[];
  readonly warm: readonly WarmSeriesResult[];
  readonly burst: readonly BurstResult[];
  readonly packageSize: readonly PackageSizeResult[];
  readonly codeSize: readonly CodeSizeResult[];
  readonly memory: readonly MemorySizeResult[];
  readonly snapStart: readonly SnapStartResult[];
  readonly backends: readonly BackendResult[];
  /** Scenarios asked for that did not run, and why. */
  readonly skipped: readonly Skipped[];
  /** Remarks on the run, e.g. contestants that could not be built (optional; added by the runner). */
  readonly notes?: readonly string[];
}

/** The keys of the result arrays of a {@link WarResults} file that scenarios fill. */
export type ResultSection =
  | "cold"
  | "warm"
  | "burst"
  | "packageSize"
  | "codeSize"
  | "memory"
  | "snapStart"
  | "backends";
