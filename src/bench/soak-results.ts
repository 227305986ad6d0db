/**
 * The JSON file the soak benchmark writes to `.thaw/bench/soak-<timestamp>.json`: every call with
 * its verdict, the aggregates printed in the table, the serve process's memory over time and what
 * the leak checks found. Keys are spelled out and carry their unit (`Ms` milliseconds, `KiB`).
 * Bump {@link SOAK_RESULTS_VERSION} when a field changes meaning.
 */
import type { ListeningSocket, ProcessRecord } from "./process-leaks.js";
import type { NoteGroup } from "./note-tally.js";
import type { MachineFacts } from "./serve-results.js";
import type { SampleSummary } from "./serve-stats.js";
import type { ExpectedOutcome, ObservedOutcome } from "./soak-classify.js";
import type { FaultKind, SoakMix } from "./soak-plan.js";

/** Version of the {@link SoakBenchResults} layout. */
export const SOAK_RESULTS_VERSION = 1;

/** One Invocation as sent and judged. */
export interface SoakCallRecord {
  readonly index: number;
  readonly functionName: string;
  readonly fault: FaultKind;
  /** Set when the client was to destroy its socket this long after writing the request. */
  readonly disconnectAfterMs: number | undefined;
  readonly expected: ExpectedOutcome;
  readonly observed: ObservedOutcome;
  readonly matched: boolean;
  readonly lost: boolean;
  /** Milliseconds after the load started that the call was sent. */
  readonly sentAtMs: number;
  readonly latencyMs: number;
  /** Why it did not match; empty when it did. */
  readonly detail: string;
}

/** The serve process's memory and what it holds, at one moment. */
export interface SoakRssSample {
  /** `start`, `after warm-up`, `load`, `after load`, `end`. */
  readonly at: string;
  /** Milliseconds after the serve process printed that it was listening. */
  readonly elapsedMs: number;
  readonly rssKiB: number;
  /** Invocations ended by then. */
  readonly invocations: number;
  /** Environments by state over every function, from `GET /`. */
  readonly environments: Readonly<Record<string, number>>;
  readonly environmentsTotal: number;
  /** Distinct sandbox cgroups (`thaw-<pid>-<n>`) of the serve process. */
  readonly sandboxCgroups: number;
  /** Processes below the serve process. */
  readonly processes: number;
}

/** Calls of one kind: how many, and their latency. */
export interface OutcomeFigures {
  readonly count: number;
  readonly latencyMs: SampleSummary;
}

/** A goal printed next to a figure; never asserted. */
export interface SoakGoal {
  readonly goal: string;
  readonly value: number;
  readonly met: boolean;
}

/** The whole file. */
export interface SoakBenchResults {
  readonly version: typeof SOAK_RESULTS_VERSION;
  readonly benchmark: "soak";
  readonly generatedAt: string;
  readonly mode: "full" | "quick";
  readonly machine: MachineFacts;
  readonly settings: Readonly<Record<string, number | string | boolean>>;
  readonly seed: string;
  readonly mix: SoakMix;
  readonly functions: readonly {
    readonly name: string;
    readonly runtime: string;
    readonly handler: string;
    readonly timeoutSeconds: number;
    readonly memoryMB: number;
  }[];
  readonly serve: {
    readonly command: readonly string[];
    readonly pid: number;
    readonly startupMs: number;
  };
  readonly totals: {
    readonly planned: number;
    readonly sent: number;
    /** Planned but not sent because the run reached its time bound. */
    readonly notSent: number;
    readonly matched: number;
    readonly mismatched: number;
    /** Calls without an answer they did not ask to lose (network error, client timeout). */
    readonly lost: number;
    readonly disconnected: number;
    /** Planned disconnects whose answer was read in full before the socket was destroyed. */
    readonly disconnectsAnsweredFirst: number;
    readonly wallMs: number;
    readonly callsPerSecond: number;
  };
  readonly byExpected: Readonly<Record<string, OutcomeFigures>>;
  readonly byObserved: Readonly<Record<string, OutcomeFigures>>;
  readonly byFunction: Readonly<
    Record<string, { readonly sent: number; readonly mismatched: number }>
  >;
  readonly calls: readonly SoakCallRecord[];
  readonly rss: {
    readonly samples: readonly SoakRssSample[];
    readonly startKiB: number;
    readonly afterWarmUpKiB: number;
    readonly maxKiB: number;
    readonly endKiB: number;
    /** Least-squares slope of the load samples in the second half of the load, in KiB per minute. */
    readonly secondHalfSlopeKiBPerMinute: number;
    /** The same against Invocations ended, in KiB per 10,000 Invocations. */
    readonly secondHalfSlopeKiBPer10kInvocations: number;
    readonly goal: SoakGoal;
  };
  /** Status page and sandboxes once the load ended and nothing was busy any more. */
  readonly afterLoad: {
    /** True when no environment was `busy`, `creating` or `destroying` within the deadline. */
    readonly quiescent: boolean;
    readonly environments: Readonly<Record<string, number>>;
    readonly environmentsTotal: number;
    readonly sandboxCgroups: number;
    /** Processes below the serve process, by command name. */
    readonly processesByCommand: Readonly<Record<string, number>>;
    /** One echo per function after the load: the service still answers. */
    readonly probes: readonly {
      readonly functionName: string;
      readonly ok: boolean;
      readonly detail: string;
    }[];
  };
  readonly shutdown: {
    readonly exitCode: number | null;
    readonly signal: string | null;
    readonly drainMs: number;
    readonly killed: boolean;
    /** What was alive just before SIGTERM and had to go with the server. */
    readonly before: {
      readonly processes: readonly ProcessRecord[];
      readonly listening: readonly ListeningSocket[];
      readonly cgroups: number;
    };
    /** What was left after the exit (all three empty when nothing leaked). */
    readonly left: {
      readonly processes: readonly ProcessRecord[];
      readonly cgroups: readonly string[];
      readonly listening: readonly ListeningSocket[];
    };
  };
  /** `thaw: note:` lines of the serve process's stderr, grouped by shape. */
  readonly notes: readonly NoteGroup[];
  /** Why the run failed (lost, mismatched or leaked); empty when it did not. */
  readonly failures: readonly string[];
}
