/**
 * A cold start as Lambda runs it for an on-demand Invocation: start an ExecutionEnvironment and run
 * its init; when init fails, start a fresh one and retry init once inside the Invocation, under the
 * function's timeout (Lambda's suppressed init, spec §1.7). When the retry fails too, the Invocation
 * answers with the init failure, which {@link answerInitFailure} turns into Lambda's lines and document.
 */
import { randomUUID } from "node:crypto";
import type { FunctionConfig } from "../config/function-config.js";
import {
  exitErrorDocument,
  timeoutErrorDocument,
} from "../errors/function-errors.js";
import {
  billedDurationMs,
  endLine,
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

/** The environment a cold start produced, and how its init went. */
export interface ColdStartResult {
  /** `ready` when `init` succeeded; otherwise `failed`, and already stopped. */
  readonly environment: ExecutionEnvironment;
  /** The first init's outcome. */
  readonly firstInit: InitOutcome;
  /** The outcome that counts: the retry's when there was one, else the first. */
  readonly init: InitOutcome;
}

/**
 * Starts an environment and runs init, retrying once on failure.
 * @throws {SandboxStartError} when the Runtime cannot be started at all.
 */
export async function coldStart(
  environmentOptions: Omit<ExecutionEnvironmentOptions, "phase">,
  options: ColdStartOptions = {},
): Promise<ColdStartResult> {
  const first = await ExecutionEnvironment.start(environmentOptions);
  const firstInit = await first.init();
  if (firstInit.status === "success" || options.retry === false) {
    return { environment: first, firstInit, init: firstInit };
  }
  await first.destroy("init failed");
  const retried = await ExecutionEnvironment.start({
    ...environmentOptions,
    phase: "invoke",
    // The retried init runs inside the Invocation, under the function's timeout (spec §1.7).
    initTimeoutMs: environmentOptions.config.timeout * 1000,
  });
  return { environment: retried, firstInit, init: await retried.init() };
}

/** The Invoke-side view of a cold start's init: what goes on the REPORT line. */
export function initDurations(
  start: ColdStartResult,
): { initDurationMs: number } | { suppressedInitDurationMs: number } {
  // Only a first, successful init is reported as Init Duration; a retried one is folded into the
  // Invocation's Duration (spec §1.7).
  return start.firstInit.status === "success"
    ? { initDurationMs: start.init.durationMs }
    : { suppressedInitDurationMs: start.init.durationMs };
}

/**
 * Prints START, END and REPORT for an Invocation whose init failed twice, and returns the caller's
 * document: the Runtime's own report, else `Runtime.ExitError`, or `Sandbox.Timedout`.
 */
export function answerInitFailure(
  init: Exclude<InitOutcome, { status: "success" }>,
  config: FunctionConfig,
  onLog: (line: string, source: LogSource) => void,
  requestId: string = randomUUID(),
): { body: Buffer; errorType: string } {
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
