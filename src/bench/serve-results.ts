/**
 * The JSON file the serve benchmark writes to `.thaw/bench/serve-<timestamp>.json`: raw samples
 * and their aggregates, with the machine they were measured on. Keys are spelled out and carry
 * their unit (`Us` microseconds, `Ms` milliseconds, `KiB`). Bump {@link SERVE_RESULTS_VERSION}
 * when a field changes meaning.
 */
import type { SampleSummary } from "./serve-stats.js";

/** Version of the {@link ServeBenchResults} layout. */
export const SERVE_RESULTS_VERSION = 1;

/** Where and how a run was measured. */
export interface MachineFacts {
  readonly node: string;
  /** `os.type() os.release()`, e.g. `Linux 6.8.0`. */
  readonly os: string;
  readonly arch: string;
  readonly cpuModel: string;
  readonly cores: number;
  readonly totalMemoryMiB: number;
}

/** A closed-loop load run (see `runClosedLoop`): every latency kept. */
export interface LoadRun {
  readonly clients: number;
  readonly durationMs: number;
  readonly calls: number;
  readonly errors: number;
  readonly firstError: string | undefined;
  readonly callsPerSecond: number;
  readonly latencyUs: SampleSummary;
  readonly latenciesUs: readonly number[];
}

/** A burst of cold Invocations: every latency kept, in milliseconds. */
export interface ColdBurst {
  readonly invocations: number;
  readonly concurrency: number;
  readonly errors: number;
  readonly firstErrors: readonly string[];
  readonly wallMs: number;
  readonly latencyMs: SampleSummary;
  readonly latenciesMs: readonly number[];
}

/** Sequential cold Invocations, one per fresh function (all created first, deleted afterwards). */
export interface ColdSeries {
  /** Functions registered while they were measured, the fresh ones included. */
  readonly registeredFunctions: number;
  readonly errors: number;
  readonly latencyMs: SampleSummary;
  readonly latenciesMs: readonly number[];
}

/** Resident memory of the serve process at one moment, with the environments then alive. */
export interface RssSample {
  readonly at: string;
  readonly rssKiB: number;
  readonly registeredFunctions: number;
  /** Environments by state (`idle`, `frozen`, `busy`, …) over every function, from `GET /`. */
  readonly environments: Readonly<Record<string, number>>;
  readonly environmentsTotal: number;
}

/** A goal printed next to a figure; never asserted. */
export interface GoalCheck {
  readonly goal: string;
  readonly value: number;
  readonly met: boolean;
}

/** The whole file. */
export interface ServeBenchResults {
  readonly version: typeof SERVE_RESULTS_VERSION;
  readonly benchmark: "serve";
  readonly generatedAt: string;
  readonly mode: "full" | "quick";
  readonly machine: MachineFacts;
  readonly settings: Readonly<Record<string, number | string | boolean>>;
  readonly serve: {
    readonly command: readonly string[];
    readonly startupMs: number;
  };
  readonly floors: {
    readonly httpRoundTrip: {
      readonly oneClient: LoadRun;
      readonly twoClients: LoadRun;
    };
    /** The warm path's two hops to the same Rust Runtime through a bare relay (1 and 2 Runtimes). */
    readonly relay: {
      readonly oneClient: LoadRun;
      readonly twoClients: LoadRun;
    };
    readonly spawnToExit: {
      readonly binary: string;
      readonly latencyMs: SampleSummary;
      readonly latenciesMs: readonly number[];
    };
  };
  readonly warmInvoke: {
    readonly functionName: string;
    readonly oneClient: LoadRun;
    readonly twoClients: LoadRun;
    /** p50 of thaw (1 client) − p50 of the relay floor (1 client): the goal's overhead. */
    readonly overheadP50Us: number;
    /** p50 of thaw (1 client) ÷ p50 of the relay floor (1 client). */
    readonly ratioP50: number;
    /** p99 of thaw (1 client) − p99 of the relay floor (1 client). */
    readonly overheadP99Us: number;
    /** p50 of thaw (1 client) − p50 of the one-hop HTTP floor (1 client). */
    readonly overOneHopP50Us: number;
    /** 2 × p50 of the HTTP floor: what the warm path's two hops cost with nothing else in the way. */
    readonly twoHopFloorP50Us: number;
    readonly goals: {
      readonly overhead: GoalCheck;
      readonly throughput: GoalCheck;
    };
  };
  readonly parallelColdStarts: ColdBurst & {
    readonly functionName: string;
    /** Distinct `logStreamName`s seen by the function: one per ExecutionEnvironment. */
    readonly distinctEnvironments: number;
    /** The function's environments on the status page right after the burst. */
    readonly statusPageEnvironments: number;
  };
  readonly coldStartsAtConcurrency: ColdBurst & {
    readonly functions: number;
    readonly registrationMs: number;
    readonly registrationsPerSecond: number;
    readonly environmentsPerSecond: number;
    readonly statusPageEnvironments: number;
  };
  readonly coldStartVsRegistrySize: {
    /** Only the template's function and the fresh ones registered. */
    readonly small: ColdSeries;
    /** After registering the 1,000 functions of the fleet scenario, before invoking them. */
    readonly manyFunctions: ColdSeries;
    /** After the fleet's cold starts: its 1,000 functions and every environment alive (frozen). */
    readonly manyFunctionsAndEnvironments: ColdSeries;
    /** p50 of `manyFunctions` ÷ p50 of `small`. */
    readonly ratioP50: number;
    /** p50 of `manyFunctionsAndEnvironments` ÷ p50 of `small`. */
    readonly ratioP50WithEnvironments: number;
  };
  readonly rss: readonly RssSample[];
  readonly shutdown: {
    readonly exitCode: number | null;
    readonly signal: string | null;
    readonly drainMs: number;
    readonly killed: boolean;
  };
}
