/**
 * What every scenario of the war shares: the context it runs in (its plan, its contestants, where it
 * reports progress), what it returns (its part of the results file), and the cold Invocation it is
 * made of — started the way `thaw invoke` starts one, on a backend whose fork server an idle sandbox
 * keeps running (`withWarmBackend` in ../warm-backend.ts), so that every sample is a cold start and
 * none pays for the fork server.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { SandboxSettings } from "../../app/backends.js";
import { coldStart, initDurations } from "../../app/cold-start.js";
import type { ExecutionEnvironment } from "../../app/execution-environment.js";
import { invokeOnce, type InvokeOnceResult } from "../../app/invoke-once.js";
import {
  createFunctionConfig,
  type FunctionConfigInput,
} from "../../config/function-config.js";
import { RUNTIME_DIRS, THAW_PATHS, THAW_ROOT } from "../../config/paths.js";
import { prepareFunctionPackage } from "../../packaging/function-artifact.js";
import { resolveRuntime } from "../../runtimes/resolve-runtime.js";
import type { SandboxBackend } from "../../sandbox/sandbox.js";
import type { WarPlan } from "./war-plan.js";
import type {
  ColdPhasesMs,
  Contestant,
  ResultSection,
  ScenarioId,
  Skipped,
  WarResults,
} from "./war-results.js";

/** Where the war keeps what it builds and extracts (generated programs, padded packages, caches). */
export const WAR_WORK_DIR = join(THAW_ROOT, ".thaw", "war");

/** The event every contestant gets: a small JSON object, echoed by the hello variants. */
export const WAR_PAYLOAD = Buffer.from('{"war":"cold-start","n":1}');

/** Progress of a scenario: `done` of `total` steps of the part named `label`. */
export type ProgressReporter = (
  label: string,
  done: number,
  total: number,
) => void;

/** What a scenario is given. */
export interface ScenarioContext {
  readonly plan: WarPlan;
  readonly contestants: readonly Contestant[];
  readonly progress: ProgressReporter;
}

/** The results a scenario adds to the file (only its own arrays), and what it could not do. */
export type ScenarioOutput = Partial<Pick<WarResults, ResultSection>> & {
  readonly skipped: readonly Skipped[];
};

/** A scenario: runs in its own child process and returns its part of the results. */
export type Scenario = (context: ScenarioContext) => Promise<ScenarioOutput>;

/** A contestant's cold start that did not answer with success. */
export class ColdStartFailure extends Error {
  override readonly name = "ColdStartFailure";
}

/** The sandbox settings of the plan, as `createBackend` takes them. */
export function planSettings(
  plan: WarPlan,
  overrides: SandboxSettings = {},
): SandboxSettings {
  return { ...plan.sandbox, ...overrides };
}

/** The Function a contestant runs as, with `memoryMB` of memory. */
export function functionOf(
  contestant: Contestant,
  memoryMB: number,
): FunctionConfigInput {
  return {
    functionName: `war-${contestant.id}`,
    runtime: contestant.runtime,
    handler: contestant.handler,
    memorySize: memoryMB,
    ...(contestant.environment === undefined
      ? {}
      : { environment: contestant.environment }),
  };
}

/** Options of {@link coldInvoke}. */
export interface ColdInvokeOptions {
  /** @default the plan's memory size */
  readonly memoryMB: number;
  /** Receives every log line (the REPORT line among them). */
  readonly onLog?: (line: string) => void;
}

/**
 * One cold Invocation of `contestant` with `invokeOnce` (a fresh environment, torn down after).
 * @throws {ColdStartFailure} when init failed or the function answered with an error.
 */
export async function coldInvoke(
  contestant: Contestant,
  backend: SandboxBackend,
  options: ColdInvokeOptions,
): Promise<InvokeOnceResult> {
  const log: string[] = [];
  const result = await invokeOnce(
    {
      packagePath: contestant.packagePath,
      function: functionOf(contestant, options.memoryMB),
      payload: WAR_PAYLOAD,
    },
    {
      backend,
      onLog: (line) => {
        if (log.length < 20) log.push(line);
        options.onLog?.(line);
      },
    },
  );
  if (result.functionError || result.init.status !== "success") {
    throw new ColdStartFailure(
      `${contestant.id}: ${result.errorType ?? "error"}: ${result.body.toString("utf8").slice(0, 300)} — log: ${log.join(" | ").slice(0, 600)}`,
    );
  }
  return result;
}

/** The phases of a successful cold Invocation, as the results file keeps them. */
export function phasesOf(result: InvokeOnceResult): ColdPhasesMs {
  return {
    packageMs: result.phases.packageMs,
    sandboxMs: result.phases.sandboxMs,
    runtimeInitMs: result.phases.runtimeInitMs,
    invokeMs: result.phases.invokeMs,
    totalMs: result.phases.totalMs,
    initDurationMs: result.init.durationMs,
    maxMemoryUsedMB: result.invocation?.maxMemoryUsedMB ?? 0,
  };
}

/** Options of {@link startEnvironment}. */
export interface StartEnvironmentOptions {
  readonly memoryMB: number;
  /**
   * Cache of extracted zip packages.
   * @default thaw's own (`.thaw/packages`)
   */
  readonly cacheDir?: string;
}

/** A started, initialised environment and how long its package took to prepare. */
export interface StartedEnvironment {
  readonly environment: ExecutionEnvironment;
  readonly packageMs: number;
  readonly extracted: boolean;
  readonly initDurationMs: number;
  /** `performance.now()` when package preparation began. */
  readonly startedAt: number;
  /** What the first Invocation passes on to its REPORT line. */
  readonly initReport: ReturnType<typeof initDurations>;
}

/**
 * Prepares `contestant`'s package and starts an initialised environment for it, the steps
 * `invokeOnce` takes, but keeping the environment for more Invocations; the caller destroys it.
 * @throws {ColdStartFailure} when init failed.
 */
export async function startEnvironment(
  contestant: Contestant,
  backend: SandboxBackend,
  options: StartEnvironmentOptions,
): Promise<StartedEnvironment> {
  const config = createFunctionConfig(functionOf(contestant, options.memoryMB));
  const startedAt = performance.now();
  const cacheDir = options.cacheDir ?? THAW_PATHS.packages;
  mkdirSync(cacheDir, { recursive: true });
  const prepared = await prepareFunctionPackage(contestant.packagePath, {
    cacheDir,
  });
  const launch = resolveRuntime(config, prepared.taskRoot, RUNTIME_DIRS);
  const log: string[] = [];
  const cold = await coldStart({
    config,
    launch,
    taskRoot: prepared.taskRoot,
    runtimeDir: THAW_PATHS.runtimes,
    backend,
    onLog: (line) => {
      if (log.length < 20) log.push(line);
    },
  });
  if (cold.environment === undefined || cold.init.status !== "success") {
    await cold.environment?.destroy("init failed");
    throw new ColdStartFailure(
      `${contestant.id}: init ${cold.init.status}${cold.init.status === "error" ? ` (${cold.init.errorType})` : ""} — log: ${log.join(" | ").slice(0, 600)}`,
    );
  }
  return {
    environment: cold.environment,
    packageMs: prepared.durationMs,
    extracted: prepared.extracted,
    initDurationMs: cold.init.durationMs,
    startedAt,
    initReport: initDurations(cold),
  };
}

/** The message of anything thrown, for a `skipped` reason. */
export function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A `skipped` entry for one contestant (or part) of a scenario that failed. */
export function skippedPart(
  scenario: ScenarioId,
  part: string,
  error: unknown,
): Skipped {
  return { scenario, reason: `${part} did not run: ${reasonOf(error)}` };
}
