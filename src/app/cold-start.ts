/**
 * A cold start as Lambda runs it for an on-demand Invocation: start an ExecutionEnvironment and run
 * its init; when init fails, start a fresh one and retry init once inside the Invocation, under the
 * function's timeout (Lambda's suppressed init, spec §1.7). When the retry fails too, the Invocation
 * answers with the init failure, which {@link answerInitFailure} turns into Lambda's lines and document.
 * A Runtime program that cannot be executed at all is such a failure too (`Runtime.InvalidEntrypoint`),
 * not an error of thaw: it is not retried, since a second exec would fail the same way.
 */
import type { FunctionConfig } from "../config/function-config.js";
import {
  exitErrorDocument,
  invalidEntrypointDocument,
  timeoutErrorDocument,
} from "../errors/function-errors.js";
import { SandboxStartError } from "../errors/sandbox-errors.js";
import {
  billedDurationMs,
  endLine,
  initReportLine,
  reportLine,
  startLine,
} from "../protocol/log-lines.js";
import {
  ExecutionEnvironment,
  type ExecutionEnvironmentOptions,
  type InitOutcome,
  type LogSource,
} from "./execution-environment.js";

/** Options of {@link coldStart}. */
export interface ColdStartOptions {
  /**
   * Retry a failed init once in a fresh environment (on-demand Invocations); provisioned
   * environments are not retried.
   * @default true
   */
  readonly retry?: boolean;
}

/** An init that did not succeed. */
export type InitFailure = Exclude<InitOutcome, { status: "success" }>;

/**
 * The environment a cold start produced, and how its init went: an environment that is `ready`
 * when `init` succeeded (otherwise `failed`, and already stopped), or none at all when the Runtime's
 * program could not be executed (`init` is then `Runtime.InvalidEntrypoint`, `entrypointError` why).
 */
export type ColdStartResult =
  | {
      readonly environment: ExecutionEnvironment;
      readonly entrypointError: undefined;
      /** The first init's outcome. */
      readonly firstInit: InitOutcome;
      /** The outcome that counts: the retry's when there was one, else the first. */
      readonly init: InitOutcome;
      /** True for a SnapStart clone: `init` is its restore (snap-start.ts). */
      readonly restored?: true;
    }
  | {
      readonly environment: undefined;
      /** Why the program could not be executed; undefined for a SnapStart template's failed init. */
      readonly entrypointError: SandboxStartError | undefined;
      readonly firstInit: InitFailure;
      readonly init: InitFailure;
    };

/**
 * Starts an environment and runs init, retrying once on failure.
 * @throws {SandboxStartError} when the Runtime cannot be started for a reason other than its
 *   program (cgroups, spawn).
 */
export async function coldStart(
  environmentOptions: Omit<ExecutionEnvironmentOptions, "phase">,
  options: ColdStartOptions = {},
): Promise<ColdStartResult> {
  const requestedAt = performance.now();
  let first: ExecutionEnvironment;
  try {
    first = await ExecutionEnvironment.start(environmentOptions);
  } catch (error) {
    if (!(error instanceof SandboxStartError) || !error.entrypoint) throw error;
    const init: InitFailure = {
      status: "error",
      durationMs: performance.now() - requestedAt,
      maxMemoryUsedMB: 0,
      errorType: "Runtime.InvalidEntrypoint",
      report: undefined,
      exit: undefined,
    };
    environmentOptions.onLog(
      initReportLine({
        initDurationMs: init.durationMs,
        phase: "init",
        status: "error",
        errorType: init.errorType,
      }),
      "platform",
    );
    return {
      environment: undefined,
      entrypointError: error,
      firstInit: init,
      init,
    };
  }
  const firstInit = await first.init();
  if (firstInit.status === "success" || options.retry === false) {
    return {
      environment: first,
      entrypointError: undefined,
      firstInit,
      init: firstInit,
    };
  }
  await first.destroy("init failed");
  const retried = await ExecutionEnvironment.start({
    ...environmentOptions,
    phase: "invoke",
    // The retried init runs inside the Invocation, under the function's timeout (spec §1.7).
    initTimeoutMs: environmentOptions.config.timeout * 1000,
  });
  return {
    environment: retried,
    entrypointError: undefined,
    firstInit,
    init: await retried.init(),
  };
}

/** The Invoke-side view of a cold start's init: what goes on the REPORT line. */
export function initDurations(
  start: ColdStartResult,
):
  | { initDurationMs: number }
  | { suppressedInitDurationMs: number }
  | { restoreDurationMs: number } {
  if ("restored" in start) return { restoreDurationMs: start.init.durationMs };
  // Only a first, successful init is reported as Init Duration; a retried one is folded into the
  // Invocation's Duration (spec §1.7).
  return start.firstInit.status === "success"
    ? { initDurationMs: start.init.durationMs }
    : { suppressedInitDurationMs: start.init.durationMs };
}

/** Options of {@link answerInitFailure}. */
export interface AnswerInitFailureOptions {
  readonly onLog: (line: string, source: LogSource) => void;
  readonly requestId: string;
  /** The cold start's {@link ColdStartResult.entrypointError}. */
  readonly entrypointError: SandboxStartError | undefined;
}

/**
 * Prints START, END and REPORT for an Invocation whose cold start failed (init failed twice, or the
 * program could not be executed), and returns the caller's document: the Runtime's own report, else
 * `Runtime.InvalidEntrypoint`, `Runtime.ExitError` or `Sandbox.Timedout`.
 */
export function answerInitFailure(
  init: InitFailure,
  config: FunctionConfig,
  options: AnswerInitFailureOptions,
): { body: Buffer; errorType: string } {
  const { onLog, requestId, entrypointError } = options;
  onLog(startLine(requestId, config.version), "platform");
  onLog(endLine(requestId), "platform");
  onLog(
    reportLine({
      requestId,
      durationMs: init.durationMs,
      billedDurationMs: billedDurationMs(init.durationMs),
      memorySizeMB: config.memorySize,
      maxMemoryUsedMB: init.maxMemoryUsedMB,
      status: init.status === "timeout" ? "timeout" : "error",
      ...(init.status === "error" ? { errorType: init.errorType } : {}),
    }),
    "platform",
  );
  if (init.status === "timeout") {
    return {
      body: Buffer.from(
        JSON.stringify(timeoutErrorDocument(requestId, config.timeout)),
      ),
      errorType: "Sandbox.Timedout",
    };
  }
  if (init.report !== undefined) {
    return { body: init.report.body, errorType: init.errorType };
  }
  if (entrypointError !== undefined) {
    const document = invalidEntrypointDocument(
      requestId,
      entrypointError.message,
    );
    return {
      body: Buffer.from(JSON.stringify(document)),
      errorType: document.errorType,
    };
  }
  const exit = init.exit;
  return {
    body: Buffer.from(
      JSON.stringify(
        exitErrorDocument(requestId, exit?.code ?? null, exit?.signal ?? null),
      ),
    ),
    errorType: init.errorType,
  };
}
