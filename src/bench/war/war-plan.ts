/**
 * The plan of one `thaw bench` run (the cold-start war): which scenarios run, with how many samples
 * each, decided in full from the command line before anything is measured. Pure: the runner carries
 * the plan out, and the plan's tests pin every figure of the quick and the full war.
 */
import { SCENARIO_IDS, type ScenarioId } from "./war-results.js";

/** Scenarios that only make sense for the war's own contestants, not for `--function`. */
const WAR_ONLY: ReadonlySet<ScenarioId> = new Set([
  "package-size",
  "code-size",
]);

/** The sandbox settings every scenario but `memory` and `backends` uses. */
export interface PlanSandbox {
  readonly backend: "process" | "namespace";
  readonly cpu: "shares" | "quota";
  readonly isolateNetwork: boolean;
}

/** Everything a run does, with every count spelled out. */
export interface WarPlan {
  readonly mode: "full" | "quick" | "function";
  readonly scenarios: readonly ScenarioId[];
  /**
   * Scenarios asked for that will not run, and why (decided before the run). Whether snapshots work
   * on this machine is found out by scenario (g) itself, which probes the snapshot backend.
   */
  readonly skipped: readonly { scenario: ScenarioId; reason: string }[];
  /** (a) cold starts per contestant. */
  readonly coldRuns: number;
  /** (b) warm invokes after the first one, on one environment per contestant. */
  readonly warmInvokes: number;
  /** (c) parallel cold starts per contestant. */
  readonly burstParallel: number;
  /** (d) padded sizes of the Rust package, in MiB. */
  readonly paddedMiB: readonly number[];
  /** (d) samples of each padded size, first deploy and cached each. */
  readonly packageRuns: number;
  /** (e) modules or packages of the generated programs. */
  readonly codeModules: readonly number[];
  /** (e) cold starts of each generated program. */
  readonly codeRuns: number;
  /** (f) memory sizes, in MB. */
  readonly memorySizesMB: readonly number[];
  /** (f) cold starts of each contestant at each size. */
  readonly memoryRuns: number;
  /** (g) plain cold starts, and restores from its snapshot, of each contestant. */
  readonly snapStartRuns: number;
  /** (h) cold starts of each hello contestant on each backend. */
  readonly backendRuns: number;
  /** Memory size of every function outside scenario (f), in MB. */
  readonly memoryMB: number;
  readonly sandbox: PlanSandbox;
}

/** What the command line asked for. */
export interface PlanRequest {
  /** Scenario ids named on the command line; none means all. */
  readonly scenarios: readonly string[];
  readonly quick: boolean;
  /** `--runs N`: the sample count of every sequential scenario (a, d, e, f, g, h). */
  readonly runs: number | undefined;
  /** True for `--function`: the user's own function. */
  readonly userFunction: boolean;
  /** @default 128 */
  readonly memoryMB?: number;
  /** @default { backend: "namespace", cpu: "shares", isolateNetwork: false } */
  readonly sandbox?: PlanSandbox;
}

/**
 * Makes the plan of a run.
 * @throws {Error} naming the known scenarios when an unknown one is asked for, or for runs < 1.
 */
export function planWar(request: PlanRequest): WarPlan {
  const unknown = request.scenarios.filter(
    (id) => !(SCENARIO_IDS as readonly string[]).includes(id),
  );
  if (unknown.length > 0) {
    throw new Error(
      `Unknown scenario ${unknown.map((id) => `'${id}'`).join(", ")}: choose from ${SCENARIO_IDS.join(", ")}.`,
    );
  }
  if (request.runs !== undefined && !(request.runs >= 1)) {
    throw new Error(`--runs must be at least 1, got ${String(request.runs)}.`);
  }
  const asked =
    request.scenarios.length === 0
      ? SCENARIO_IDS
      : SCENARIO_IDS.filter((id) => request.scenarios.includes(id));
  const skipped: { scenario: ScenarioId; reason: string }[] = [];
  const scenarios = asked.filter((id) => {
    if (request.userFunction && WAR_ONLY.has(id)) {
      skipped.push({
        scenario: id,
        reason:
          id === "package-size"
            ? "Not for --function: the scenario pads the war's Rust function, not yours."
            : "Not for --function: the scenario measures generated Go and Rust programs, not yours.",
      });
      return false;
    }
    return true;
  });
  const quick = request.quick;
  const runs = request.runs;
  return {
    mode: request.userFunction ? "function" : quick ? "quick" : "full",
    scenarios,
    skipped,
    coldRuns: runs ?? (quick ? 5 : 30),
    warmInvokes: quick ? 50 : 200,
    burstParallel: quick ? 20 : 100,
    paddedMiB: quick ? [1, 10] : [1, 10, 50, 100],
    packageRuns: runs ?? (quick ? 3 : 10),
    codeModules: quick ? [10, 100] : [10, 100, 1000],
    codeRuns: runs ?? (quick ? 3 : 10),
    memorySizesMB: quick ? [128, 1769] : [128, 512, 1769, 3008],
    memoryRuns: runs ?? (quick ? 3 : 10),
    snapStartRuns: runs ?? (quick ? 5 : 10),
    backendRuns: runs ?? (quick ? 5 : 30),
    memoryMB: request.memoryMB ?? 128,
    sandbox: request.sandbox ?? {
      backend: "namespace",
      cpu: "shares",
      isolateNetwork: false,
    },
  };
}
