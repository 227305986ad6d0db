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
import { THAW_PATHS } from "../config/paths.js";
import {
  exitErrorDocument,
  timeoutErrorDocument,
} from "../errors/function-errors.js";
import { prepareFunctionPackage } from "../packaging/function-artifact.js";
import {
  billedDurationMs,
  endLine,
  reportLine,
  startLine,
} from "../protocol/log-lines.js";
import {
  resolveRuntime,
  type RuntimeLaunch,
} from "../runtimes/resolve-runtime.js";
import type { SandboxBackend } from "../sandbox/sandbox.js";
import {
  ExecutionEnvironment,
  type InitOutcome,
  type InvokeOutcome,
  type LogSource,
} from "./execution-environment.js";
import { createBackend } from "./backends.js";

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
   * @default the `process` backend
   */
  readonly backend?: SandboxBackend;
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
  // Made first so that its start-up work (cgroup detection) overlaps package preparation.
  const backendReady =
    options.backend === undefined
      ? createBackend("process")
      : Promise.resolve(options.backend);
  const prepared = await prepareFunctionPackage(request.packagePath, {
    cacheDir: THAW_PATHS.packages,
  });
  const packageDoneAt = performance.now();
  const launch = resolveRuntime(config, prepared.taskRoot, {
    runtimesDir: THAW_PATHS.runtimes,
    javaClientDir: THAW_PATHS.javaRuntimeClient,
    toolchainsDir: THAW_PATHS.toolchains,
  });
  if (launch.note !== undefined) options.onNote?.(launch.note);
  const backend = await backendReady;
  const requestId = randomUUID();
  const start = (phase: "init" | "invoke"): Promise<ExecutionEnvironment> =>
    ExecutionEnvironment.start({
      config,
      launch,
      taskRoot: prepared.taskRoot,
      runtimeDir: THAW_PATHS.runtimes,
      backend,
      onLog: options.onLog,
      phase,
      // The retried init runs inside the Invocation, under the function's timeout (spec §1.7).
      ...(phase === "invoke"
        ? { initTimeoutMs: config.timeout * 1000 }
        : options.initTimeoutMs === undefined
          ? {}
          : { initTimeoutMs: options.initTimeoutMs }),
    });

  let environment = await start("init");
  try {
    let init = await environment.init();
    const firstInit = init;
    if (init.status !== "success") {
      await environment.destroy("init failed");
      environment = await start("invoke");
      init = await environment.init();
    }
    const readyAt = performance.now();
    const { requestedAt, spawnedAt } = environment.sandboxTimings;
    if (init.status !== "success") {
      const failure = initFailureDocument(requestId, init, config.timeout);
      const durationMs = init.durationMs;
      options.onLog(startLine(requestId, config.version), "platform");
      options.onLog(endLine(requestId), "platform");
      options.onLog(
        reportLine({
          requestId,
          durationMs,
          billedDurationMs: billedDurationMs(durationMs),
          memorySizeMB: config.memorySize,
          maxMemoryUsedMB: init.maxMemoryUsedMB,
          status: init.status === "timeout" ? "timeout" : "error",
          ...(init.status === "error" ? { errorType: init.errorType } : {}),
        }),
        "platform",
      );
      return {
        config,
        launch,
        init,
        requestId,
        body: failure,
        functionError: true,
        errorType:
          init.status === "error" ? init.errorType : "Sandbox.Timedout",
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
    const invocation = await environment.invoke({
      requestId,
      payload: request.payload,
      // A retried init is folded into the Invocation's Duration; only a first, successful init is
      // reported as Init Duration (spec §1.7).
      ...(firstInit.status === "success"
        ? { initDurationMs: init.durationMs }
        : {}),
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
  } finally {
    await environment.destroy("invocation finished");
  }
}

/** The caller's document after init failed twice: the Runtime's own report, else ExitError. */
function initFailureDocument(
  requestId: string,
  init: Exclude<InitOutcome, { status: "success" }>,
  timeoutSeconds: number,
): Buffer {
  if (init.status === "timeout") {
    return Buffer.from(
      JSON.stringify(timeoutErrorDocument(requestId, timeoutSeconds)),
    );
  }
  if (init.report !== undefined) return init.report.body;
  return Buffer.from(
    JSON.stringify(
      exitErrorDocument(
        requestId,
        init.exit?.code ?? null,
        init.exit?.signal ?? null,
      ),
    ),
  );
}
