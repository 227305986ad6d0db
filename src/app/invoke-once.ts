/**
 * One cold Invocation of a function package, as `thaw invoke` runs it: prepare the package, resolve
 * the runtime, start a fresh ExecutionEnvironment, init, invoke, tear down. A failed init is retried
 * once inside the Invocation (Lambda's suppressed init, spec §1.7); when that fails too, the caller
 * gets the init error as the Invocation's function error.
 */
import { randomUUID } from "node:crypto";
import {
  createFunctionConfig,
  type FunctionConfig,
  type FunctionConfigInput,
} from "../config/function-config.js";
import { RUNTIME_DIRS, THAW_PATHS } from "../config/paths.js";
import { prepareFunctionPackage } from "../packaging/function-artifact.js";
import {
  resolveRuntime,
  type RuntimeLaunch,
} from "../runtimes/resolve-runtime.js";
import type { SandboxBackend } from "../sandbox/sandbox.js";
import { directoryFingerprint } from "../packaging/package-fingerprint.js";
import {
  answerInitFailure,
  coldStart,
  initDurations,
  type ColdStartResult,
  type InitFailure,
} from "./cold-start.js";
import { openSnapStart, type SnapStartFunction } from "./snap-start.js";
import {
  type ExecutionEnvironment,
  type InitOutcome,
  type InvokeOutcome,
  type LogSource,
} from "./execution-environment.js";
import { createBackend, type SandboxSettings } from "./backends.js";

/** What to invoke. */
export interface InvokeOnceRequest {
  /** A function package: a folder or a deployment `.zip`. */
  readonly packagePath: string;
  readonly function: FunctionConfigInput;
  readonly payload: Buffer;
  /** Client context JSON (already decoded). */
  readonly clientContext?: string;
}

/** Options of {@link invokeOnce}. */
export interface InvokeOnceOptions {
  /** Receives every log line in order. */
  readonly onLog: (line: string, source: LogSource) => void;
  /** Receives thaw's own remarks before the function starts, e.g. which interpreter replaced a missing one. */
  readonly onNote?: (note: string) => void;
  /**
   * The on-demand init's time limit; tests shorten it.
   * @default 10000 (Lambda's)
   */
  readonly initTimeoutMs?: number;
  /**
   * The sandbox backend.
   * @default one made from `sandbox`
   */
  readonly backend?: SandboxBackend;
  /**
   * Which backend to make, and its settings, when `backend` is not given.
   * @default the `namespace` backend
   */
  readonly sandbox?: SandboxSettings;
  /**
   * SnapStart: restore a clone of the function's snapshot (taken first when the cache has none)
   * instead of running its init; a restore that fails falls back to a normal init.
   * @default false
   */
  readonly snapStart?: boolean;
  /**
   * Where SnapStart snapshots are cached.
   * @default `.thaw/snapshots`
   */
  readonly snapshotDir?: string;
}

/** The cold start of one Invocation, phase by phase, in milliseconds. */
export interface ColdStartPhases {
  /** Hashing and, on first use, extracting the package. */
  readonly packageMs: number;
  /** True when this Invocation extracted the package (a first deploy); false when cached. */
  readonly packageExtracted: boolean;
  /** Resolving the runtime and starting the sandbox (Runtime API server, cgroup, spawn). */
  readonly sandboxMs: number;
  /** From the spawned process to its first `/next`: runtime start plus the function's init. */
  readonly runtimeInitMs: number;
  /** From handing over the Invocation to the Runtime's answer. */
  readonly invokeMs: number;
  /** From the start of package preparation to the answer. */
  readonly totalMs: number;
}

/** The result of {@link invokeOnce}. */
export interface InvokeOnceResult {
  readonly config: FunctionConfig;
  readonly launch: RuntimeLaunch;
  readonly init: InitOutcome;
  readonly requestId: string;
  readonly body: Buffer;
  readonly functionError: boolean;
  readonly errorType: string | undefined;
  /** Present when the Invocation ran (init succeeded, possibly on the retry). */
  readonly invocation: InvokeOutcome | undefined;
  readonly phases: ColdStartPhases;
}

/**
 * Runs one cold Invocation and tears everything down.
 * @throws {InvalidParameterValueError} for a bad configuration.
 * @throws {InvalidPackageError} for a package that cannot be used.
 * @throws {RuntimeUnavailableError} when the runtime has no interpreter here.
 */
export async function invokeOnce(
  request: InvokeOnceRequest,
  options: InvokeOnceOptions,
): Promise<InvokeOnceResult> {
  const config = createFunctionConfig(request.function);
  const startedAt = performance.now();
  // Loading starts first: the backend's dynamic import runs while the package is hashed.
  const backendReady =
    options.backend === undefined
      ? createBackend(options.sandbox ?? {})
      : Promise.resolve(options.backend);
  // Awaited below, after the package: until then a failure must not count as unhandled.
  backendReady.catch(() => undefined);
  const prepared = await prepareFunctionPackage(request.packagePath, {
    cacheDir: THAW_PATHS.packages,
  });
  const packageDoneAt = performance.now();
  const launch = resolveRuntime(config, prepared.taskRoot, RUNTIME_DIRS);
  if (launch.note !== undefined) options.onNote?.(launch.note);
  const backend = await backendReady;
  const requestId = randomUUID();
  const cold =
    options.snapStart === true
      ? await snapStartCold({
          config,
          launch,
          taskRoot: prepared.taskRoot,
          runtimeDir: THAW_PATHS.runtimes,
          packageFingerprint:
            prepared.codeSha256 ?? directoryFingerprint(prepared.taskRoot),
        })
      : await coldStart({
          config,
          launch,
          taskRoot: prepared.taskRoot,
          runtimeDir: THAW_PATHS.runtimes,
          backend,
          onLog: options.onLog,
          ...(options.initTimeoutMs === undefined
            ? {}
            : { initTimeoutMs: options.initTimeoutMs }),
        });
  if (cold.environment === undefined) {
    // The program could not be executed: nothing was spawned.
    const failedAt = performance.now();
    return answerFailed(cold.init, {
      requestedAt: failedAt,
      spawnedAt: failedAt,
    });
  }
  const environment = cold.environment;
  let result: InvokeOnceResult;
  try {
    result = await invokeStarted(environment);
  } catch (error) {
    await environment.destroy("invocation failed").catch(() => undefined);
    throw error;
  }
  await environment.destroy("invocation finished");
  return result;

  /** A SnapStart cold start: the snapshot (taken if need be), then a restored clone. */
  async function snapStartCold(
    fn: SnapStartFunction,
  ): Promise<ColdStartResult> {
    const cpu = options.sandbox?.cpu;
    const snapStart = await openSnapStart({
      snapshotDir: options.snapshotDir ?? THAW_PATHS.snapshots,
      fallbackBackend: backend,
      ...(cpu === undefined ? {} : { cpu }),
      ...(options.onNote === undefined ? {} : { onNote: options.onNote }),
    });
    return snapStart.coldStart(fn, options.onLog);
  }

  /** The answer of an Invocation whose cold start failed. */
  function answerFailed(
    init: InitFailure,
    timings: { readonly requestedAt: number; readonly spawnedAt: number },
  ): InvokeOnceResult {
    const readyAt = performance.now();
    const { spawnedAt } = timings;
    const failure = answerInitFailure(init, config, {
      onLog: options.onLog,
      requestId,
      entrypointError: cold.entrypointError,
    });
    return {
      config,
      launch,
      init,
      requestId,
      body: failure.body,
      functionError: true,
      errorType: failure.errorType,
      invocation: undefined,
      phases: {
        packageMs: prepared.durationMs,
        packageExtracted: prepared.extracted,
        sandboxMs: spawnedAt - packageDoneAt,
        runtimeInitMs: readyAt - spawnedAt,
        invokeMs: 0,
        totalMs: readyAt - startedAt,
      },
    };
  }

  async function invokeStarted(
    environment: ExecutionEnvironment,
  ): Promise<InvokeOnceResult> {
    const init = cold.init;
    if (init.status !== "success")
      return answerFailed(init, environment.sandboxTimings);
    const readyAt = performance.now();
    const { requestedAt, spawnedAt } = environment.sandboxTimings;
    const invocation = await environment.invoke({
      requestId,
      payload: request.payload,
      ...initDurations(cold),
      ...(request.clientContext === undefined
        ? {}
        : { clientContext: request.clientContext }),
    });
    return {
      config,
      launch,
      init,
      requestId,
      body: invocation.body,
      functionError: invocation.functionError,
      errorType: invocation.errorType,
      invocation,
      phases: {
        packageMs: prepared.durationMs,
        packageExtracted: prepared.extracted,
        sandboxMs: spawnedAt - requestedAt + (requestedAt - packageDoneAt),
        runtimeInitMs: readyAt - spawnedAt,
        invokeMs:
          invocation.timings.answeredAt - invocation.timings.dispatchedAt,
        totalMs: invocation.timings.answeredAt - startedAt,
      },
    };
  }
}
