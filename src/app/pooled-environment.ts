/**
 * An ExecutionEnvironment as a pool holds it: started and initialised by {@link
 * PooledFunctionEnvironment.start}, then invoked many times, one Invocation at a time, frozen in
 * between. It routes the environment's log lines to one sink, and to the current Invocation's
 * capture when the caller asked for its log (`X-Amz-Log-Type: Tail`).
 *
 * An on-demand environment whose init failed twice (the cold start's retry included), or whose
 * program could not be executed at all, is still handed over: its first Invocation answers with the init failure, as Lambda's does, and the
 * environment is then not reusable.
 */
import { randomUUID } from "node:crypto";
import type { FunctionConfig } from "../config/function-config.js";
import type { RuntimeLaunch } from "../runtimes/resolve-runtime.js";
import type { EnvironmentKind } from "../pool/pool-policy.js";
import type { PooledEnvironment } from "../pool/environment-pool.js";
import type { SandboxBackend } from "../sandbox/sandbox.js";
import {
  answerInitFailure,
  coldStart,
  initDurations,
  type ColdStartResult,
  type InitFailure,
} from "./cold-start.js";
import type {
  InvokeAnswer,
  InvokeRequest,
  LogSource,
} from "./execution-environment.js";
import { EnvironmentInitError } from "../errors/sandbox-errors.js";
import type { SnapStart } from "./snap-start.js";

/** Receives every log line of an environment, with the function it belongs to. */
export type LogSink = (
  line: string,
  source: LogSource,
  config: FunctionConfig,
) => void;

/** Options of {@link PooledFunctionEnvironment.start}. */
export interface PooledEnvironmentOptions {
  readonly config: FunctionConfig;
  readonly launch: RuntimeLaunch;
  readonly taskRoot: string;
  readonly runtimeDir: string;
  readonly backend: SandboxBackend;
  readonly kind: EnvironmentKind;
  /** Where log lines go; without it only `Tail` captures see them, and REPORT is skipped otherwise. */
  readonly onLog: LogSink | undefined;
  /**
   * The time limit of the first init; a retried init runs under the function's timeout.
   * @default 10000 (Lambda's on-demand limit, spec §1.7)
   */
  readonly initTimeoutMs?: number;
  /**
   * SnapStart: an on-demand environment is a clone restored from the function's snapshot (taken by
   * the first one that needs it), not a fresh init. Provisioned environments never are, as on Lambda.
   */
  readonly snapStart?: {
    readonly snapStart: SnapStart;
    /** Identifies the package's content: its CodeSha256. */
    readonly packageFingerprint: string;
  };
}

/** The caller's answer to one Invocation on a pooled environment. */
export interface PooledAnswer extends InvokeAnswer {
  /** The Invocation's text log, when it was asked for. */
  readonly log: string | undefined;
}

/** What one Invocation on a pooled environment produced, once it has ended. */
export interface PooledInvocation extends PooledAnswer {
  /** False when the environment must not serve again (its Runtime failed, timed out or exited). */
  readonly reusable: boolean;
}

/** Options of one {@link PooledFunctionEnvironment.invoke}. */
export interface PooledInvokeOptions {
  /** Capture the Invocation's log (`X-Amz-Log-Type: Tail`); the answer then waits for REPORT. */
  readonly tail: boolean;
  /** Has the caller's answer as soon as it is known, before the Invocation ends (see `InvokeRequest`). */
  readonly onAnswer?: (answer: PooledAnswer) => void;
}

/** One pooled ExecutionEnvironment. */
export class PooledFunctionEnvironment implements PooledEnvironment {
  readonly id: string;
  readonly #start: ColdStartResult;
  readonly #config: FunctionConfig;
  readonly #kind: EnvironmentKind;
  /** Lines since creation, kept for the first Invocation's log (its cold start shows in it). */
  #initLines: string[] | undefined;
  #capture: string[] | undefined;
  #invocations = 0;
  readonly #sink: (line: string, source: LogSource) => void;
  readonly #logged: boolean;

  private constructor(
    start: ColdStartResult,
    options: PooledEnvironmentOptions,
    initLines: string[] | undefined,
    router: { target: PooledFunctionEnvironment | undefined },
  ) {
    this.id = start.environment?.id ?? randomUUID();
    this.#start = start;
    this.#config = options.config;
    this.#kind = options.kind;
    this.#initLines = initLines;
    this.#sink = (line, source) => {
      options.onLog?.(line, source, options.config);
    };
    this.#logged = options.onLog !== undefined;
    router.target = this;
  }

  /**
   * Starts an environment and runs its init. An on-demand init that fails is retried once; a
   * provisioned one that fails rejects, leaving nothing behind.
   * @throws {SandboxStartError} when the Runtime cannot be started at all.
   * @throws {EnvironmentInitError} when a provisioned environment's init fails.
   */
  static async start(
    options: PooledEnvironmentOptions,
  ): Promise<PooledFunctionEnvironment> {
    const { config } = options;
    const initLines: string[] = [];
    const router: { target: PooledFunctionEnvironment | undefined } = {
      target: undefined,
    };
    const onLog = (line: string, source: LogSource): void => {
      const target = router.target;
      if (target === undefined) initLines.push(line);
      else target.#capture?.push(line);
      options.onLog?.(line, source, config);
    };
    const provisioned = options.kind === "provisioned-concurrency";
    const snap = provisioned ? undefined : options.snapStart;
    const start =
      snap === undefined
        ? await PooledFunctionEnvironment.#coldStart(options, onLog)
        : await snap.snapStart.coldStart(
            {
              config: options.config,
              launch: options.launch,
              taskRoot: options.taskRoot,
              runtimeDir: options.runtimeDir,
              packageFingerprint: snap.packageFingerprint,
            },
            onLog,
          );
    if (provisioned && start.init.status !== "success") {
      await start.environment?.destroy("provisioned init failed");
      throw new EnvironmentInitError(
        `Provisioned environment of ${config.functionName}:${config.version} failed to initialise (${start.init.status === "error" ? start.init.errorType : "init timed out"}).`,
      );
    }
    return new PooledFunctionEnvironment(
      start,
      options,
      provisioned ? undefined : initLines,
      router,
    );
  }

  static #coldStart(
    options: PooledEnvironmentOptions,
    onLog: (line: string, source: LogSource) => void,
  ): Promise<ColdStartResult> {
    const provisioned = options.kind === "provisioned-concurrency";
    return coldStart(
      {
        config: options.config,
        launch: options.launch,
        taskRoot: options.taskRoot,
        runtimeDir: options.runtimeDir,
        backend: options.backend,
        onLog,
        initializationType: provisioned
          ? "provisioned-concurrency"
          : "on-demand",
        ...(options.initTimeoutMs === undefined
          ? {}
          : { initTimeoutMs: options.initTimeoutMs }),
      },
      { retry: !provisioned },
    );
  }

  /** Runs one Invocation; resolves when it has ended and the environment is free again. */
  async invoke(
    request: Omit<
      InvokeRequest,
      | "initDurationMs"
      | "suppressedInitDurationMs"
      | "onAnswer"
      | "platformLines"
    >,
    options: PooledInvokeOptions,
  ): Promise<PooledInvocation> {
    const first = this.#invocations === 0;
    this.#invocations += 1;
    const initLines = this.#initLines;
    this.#initLines = undefined;
    const capture = options.tail ? (initLines ?? []) : undefined;
    this.#capture = capture;
    try {
      const start = this.#start;
      if (start.environment === undefined)
        return this.#answerFailure(start.init, request.requestId, capture);
      if (start.init.status !== "success")
        return this.#answerFailure(start.init, request.requestId, capture);
      const environment = start.environment;
      const onAnswer = options.onAnswer;
      const outcome = await environment.invoke({
        ...request,
        // The cold start shows on the first on-demand Invocation's REPORT line only.
        ...(first && this.#kind === "on-demand" ? initDurations(start) : {}),
        // A captured log ends with REPORT, so that answer waits for the Invocation's end.
        ...(onAnswer !== undefined && capture === undefined
          ? {
              onAnswer: (answer: InvokeAnswer) => {
                onAnswer({ ...answer, log: undefined });
              },
            }
          : {}),
        platformLines: this.#logged || capture !== undefined,
      });
      return {
        requestId: outcome.requestId,
        body: outcome.body,
        contentType: outcome.contentType,
        functionError: outcome.functionError,
        errorType: outcome.errorType,
        log: capture?.join("\n"),
        reusable: environment.state === "ready",
      };
    } finally {
      this.#capture = undefined;
    }
  }

  /** The Invocation's answer when the cold start failed; the environment cannot serve again. */
  #answerFailure(
    init: InitFailure,
    givenRequestId: string | undefined,
    capture: string[] | undefined,
  ): PooledInvocation {
    const requestId = givenRequestId ?? randomUUID();
    const failure = answerInitFailure(init, this.#config, {
      onLog: (line, source) => {
        capture?.push(line);
        this.#sink(line, source);
      },
      requestId,
      entrypointError: this.#start.entrypointError,
    });
    return {
      requestId,
      body: failure.body,
      contentType: "application/json",
      functionError: true,
      errorType: failure.errorType,
      log: capture?.join("\n"),
      reusable: false,
    };
  }

  // Without an environment (the program could not be executed) there is nothing to stop.
  async freeze(): Promise<void> {
    await this.#start.environment?.freeze();
  }

  async thaw(): Promise<void> {
    await this.#start.environment?.thaw();
  }

  async destroy(reason: string): Promise<void> {
    await this.#start.environment?.destroy(reason);
  }
}
