/**
 * One ExecutionEnvironment: a sandboxed Runtime process, its own Runtime API server and the
 * protocol state between them, with Lambda's lifecycle and log lines.
 *
 * States: `initializing → ready ⇄ invoking`, and from any of them `failed` (the Runtime died, timed
 * out or failed init: the environment cannot serve again) or `destroyed` (terminal, resources gone).
 * `init()` may run once; `invoke()` only when `ready`. Timing semantics:
 * - Init Duration runs from the request to create the sandbox until the Runtime first calls `/next`.
 * - An Invocation's timeout starts when it is handed to the Runtime API (the `/next` answer may
 *   follow later if the Runtime is slow to poll); its Duration ends when the Runtime is back in
 *   `/next`, as on Lambda (spec §2.3), or at the failure that ended it.
 */
import { randomUUID } from "node:crypto";
import type { FunctionConfig } from "../config/function-config.js";
import { INIT_TIMEOUT_MS } from "../config/defaults.js";
import {
  exitErrorDocument,
  invalidResponseModeDocument,
  outOfMemoryDocument,
  responseTooLargeDocument,
  timeoutErrorDocument,
  type PlatformErrorDocument,
} from "../errors/function-errors.js";
import { IllegalStateError } from "../errors/sandbox-errors.js";
import {
  billedDurationMs,
  endLine,
  initReportLine,
  initStartLine,
  reportLine,
  restoreReportLine,
  restoreStartLine,
  startLine,
  taskTimedOutLine,
} from "../protocol/log-lines.js";
import {
  lambdaEnvironment,
  newLogStreamName,
  type InitializationType,
} from "../runtimes/lambda-environment.js";
import type { RuntimeLaunch } from "../runtimes/resolve-runtime.js";
import { RuntimeApiServer } from "../runtime-api/server.js";
import {
  RuntimeChannel,
  type InitErrorReport,
  type RuntimeAnswer,
  type SnapStartPhase,
} from "../runtime-api/runtime-channel.js";
import type { RestoredClone } from "../snapshot/snapshot-backend.js";
import type {
  Sandbox,
  SandboxBackend,
  SandboxExit,
} from "../sandbox/sandbox.js";
import { deferred, delay, type Deferred } from "../util/deferred.js";

/** States of an {@link ExecutionEnvironment}. */
export type EnvironmentState =
  "initializing" | "ready" | "invoking" | "failed" | "destroyed";

/** Where a log line came from: the function's own output, or Lambda's platform lines. */
export type LogSource = "function" | "platform";

/** Options of {@link ExecutionEnvironment.start}. */
export interface ExecutionEnvironmentOptions {
  readonly config: FunctionConfig;
  readonly launch: RuntimeLaunch;
  readonly taskRoot: string;
  readonly runtimeDir: string;
  readonly backend: SandboxBackend;
  /** Receives every log line in order: function output and platform lines. */
  readonly onLog: (line: string, source: LogSource) => void;
  /** @default "on-demand" */
  readonly initializationType?: InitializationType;
  /**
   * `init` for a normal init; `invoke` for the suppressed init Lambda runs inside an Invocation after
   * a failed one (no INIT_START line; INIT_REPORT says `Phase: invoke`); `restore` for a SnapStart
   * clone (RESTORE_START and RESTORE_REPORT instead), set by {@link ExecutionEnvironment.restore}.
   * @default "init"
   */
  readonly phase?: "init" | "invoke" | "restore";
  /**
   * The init phase's time limit.
   * @default 10000 (Lambda's on-demand limit)
   */
  readonly initTimeoutMs?: number;
  /**
   * A SnapStart template: its Runtime API listens on this Unix socket (the snapshot backend's
   * thaw-init relays to it), `/restore/next` ends its init, and the Runtime is told
   * `AWS_LAMBDA_INITIALIZATION_TYPE=snap-start`. `backend` must be the snapshot backend's template.
   */
  readonly snapshotTemplate?: { readonly runtimeApiPath: string };
}

/**
 * Lambda's limit on a SnapStart restore: the Runtime's restore and after-restore hooks must finish
 * in 10 s (spec §1.8).
 */
export const RESTORE_TIMEOUT_MS = 10_000;

/** How init ended. */
export type InitOutcome =
  | { readonly status: "success"; readonly durationMs: number }
  | {
      readonly status: "error";
      readonly durationMs: number;
      /** Peak memory of the failed init, in MB. */
      readonly maxMemoryUsedMB: number;
      readonly errorType: string;
      /** The Runtime's `/init/error` document, when it sent one. */
      readonly report: InitErrorReport | undefined;
      /** How the Runtime process ended, when it ended before reporting. */
      readonly exit: SandboxExit | undefined;
    }
  | {
      readonly status: "timeout";
      readonly durationMs: number;
      readonly maxMemoryUsedMB: number;
    };

/** What the caller of one Invocation gets. */
export interface InvokeRequest {
  readonly payload: Buffer;
  /** @default a new UUID */
  readonly requestId?: string;
  /** @default the unqualified function ARN */
  readonly invokedFunctionArn?: string;
  readonly clientContext?: string;
  readonly cognitoIdentity?: string;
  /** Printed as `Init Duration` on this Invocation's REPORT line (and billed with it). */
  readonly initDurationMs?: number;
  /**
   * Printed as `Restore Duration` and `Billed Restore Duration` on this Invocation's REPORT line:
   * the first Invocation of a SnapStart clone.
   */
  readonly restoreDurationMs?: number;
  /**
   * A suppressed init that ran inside this Invocation (after a failed one): folded into its Duration,
   * with no separate Init Duration (spec §1.7).
   */
  readonly suppressedInitDurationMs?: number;
  /**
   * Called once, as soon as the caller's answer is known: when the Runtime posts its `/response` or
   * `/error`, or at the failure that ended the Invocation. On Lambda the caller has its answer then;
   * the Invocation itself (its Duration, the environment's busy time) ends when the Runtime is back
   * in `/next`, which is when `invoke()` resolves.
   */
  readonly onAnswer?: (answer: InvokeAnswer) => void;
  /**
   * Whether START, END and REPORT are printed. Without them, the peak memory is not read either.
   * @default true
   */
  readonly platformLines?: boolean;
}

/** What the caller of an Invocation is answered with. */
export interface InvokeAnswer {
  readonly requestId: string;
  readonly body: Buffer;
  readonly contentType: string;
  /** True when the caller must see `X-Amz-Function-Error: Unhandled`. */
  readonly functionError: boolean;
  /** The error type (the Runtime's or the platform's), when the Invocation failed. */
  readonly errorType: string | undefined;
}

/** The result of one Invocation. */
export interface InvokeOutcome extends InvokeAnswer {
  /** REPORT's new-style status, for platform-detected failures. */
  readonly status: "success" | "error" | "timeout";
  readonly durationMs: number;
  /** REPORT's Max Memory Used; undefined when no platform lines were printed. */
  readonly maxMemoryUsedMB: number | undefined;
  /** Phase timestamps (ms, `performance.now()`): handed over, answered, back in `/next`. */
  readonly timings: {
    readonly dispatchedAt: number;
    readonly answeredAt: number;
    readonly endedAt: number;
  };
}

/** How the Runtime API channel's events reach the environment. */
interface ChannelSignals {
  readonly ready: Deferred<undefined>;
  readonly initError: Deferred<InitErrorReport>;
  readonly restoreError: Deferred<InitErrorReport>;
  onIdle: (() => void) | undefined;
}

/** A channel and the signals its events resolve. */
function newChannel(snapStart: SnapStartPhase | undefined): {
  channel: RuntimeChannel;
  signals: ChannelSignals;
} {
  const signals: ChannelSignals = {
    ready: deferred<undefined>(),
    initError: deferred<InitErrorReport>(),
    restoreError: deferred<InitErrorReport>(),
    onIdle: undefined,
  };
  const channel = new RuntimeChannel(
    {
      onReady: () => {
        signals.ready.resolve(undefined);
      },
      onInitError: (report) => {
        signals.initError.resolve(report);
      },
      onRestoreError: (report) => {
        signals.restoreError.resolve(report);
      },
      onIdle: () => signals.onIdle?.(),
    },
    snapStart,
  );
  return { channel, signals };
}

/**
 * How long a Runtime may take to exit after SIGTERM when its environment is shut down: Lambda's
 * budget for a function without extensions is 0 ms (spec §7, "Shutdown"), so SIGKILL follows at once.
 */
const SHUTDOWN_GRACE_MS = 0;

/** Grace period after `/init/error` for the Runtime to exit by itself before it is killed. */
const INIT_ERROR_EXIT_GRACE_MS = 1_000;

/** One Lambda execution environment. */
export class ExecutionEnvironment {
  readonly id = randomUUID();
  readonly config: FunctionConfig;
  readonly #options: Omit<ExecutionEnvironmentOptions, "backend">;
  readonly #channel: RuntimeChannel;
  readonly #server: RuntimeApiServer;
  readonly #sandbox: Sandbox;
  readonly #createdAt: number;
  /** When the sandbox was requested and when it was running: the phase breakdown. */
  readonly sandboxTimings: {
    readonly requestedAt: number;
    readonly spawnedAt: number;
  };
  #state: EnvironmentState = "initializing";
  readonly #signals: ChannelSignals;
  #initOutcome: Promise<InitOutcome> | undefined;
  #peakBeforeKill: number | undefined;
  /** How the Runtime ended, once it has; and who wants to know (the current Invocation). */
  #exit: SandboxExit | undefined;
  #onExit: ((exit: SandboxExit) => void) | undefined;
  #destroyed: Promise<void> | undefined;

  private constructor(
    options: Omit<ExecutionEnvironmentOptions, "backend">,
    channel: RuntimeChannel,
    server: RuntimeApiServer,
    sandbox: Sandbox,
    signals: ChannelSignals,
    timings: { requestedAt: number; spawnedAt: number },
  ) {
    this.#options = options;
    this.config = options.config;
    this.#channel = channel;
    this.#server = server;
    this.#sandbox = sandbox;
    this.#signals = signals;
    this.#createdAt = timings.requestedAt;
    this.sandboxTimings = timings;
    void sandbox.exited.then((exit) => {
      this.#exit = exit;
      this.#onExit?.(exit);
    });
  }

  /**
   * Starts the Runtime API and the Runtime; init runs from here on. Prints `INIT_START`.
   * @throws {SandboxStartError} when the Runtime cannot be started at all.
   */
  static async start(
    options: ExecutionEnvironmentOptions,
  ): Promise<ExecutionEnvironment> {
    const requestedAt = performance.now();
    const template = options.snapshotTemplate;
    const { channel, signals } = newChannel(
      template === undefined ? undefined : "snapshot",
    );
    // Only this environment's Runtime may use its Runtime API; the check waits for the sandbox,
    // which the Runtime may connect from before create() has returned. A template's is a Unix
    // socket, reached only through its thaw-init.
    const started = deferred<Sandbox | undefined>();
    const server = await RuntimeApiServer.start(
      channel,
      template === undefined
        ? {
            admit: async (connection) => {
              const sandbox = await started.promise;
              return sandbox?.ownsConnection(connection) ?? false;
            },
          }
        : { path: template.runtimeApiPath },
    );
    const { config, launch } = options;
    if (options.phase !== "invoke") {
      options.onLog(
        initStartLine(
          launch.runtimeVersion,
          runtimeVersionArn(config.region, launch.runtimeVersion),
        ),
        "platform",
      );
    }
    const env = lambdaEnvironment(config, launch, {
      runtimeApi: server.address,
      taskRoot: options.taskRoot,
      runtimeDir: options.runtimeDir,
      logStreamName: newLogStreamName(config.version),
      ...(template !== undefined
        ? { initializationType: "snap-start" as const }
        : options.initializationType === undefined
          ? {}
          : { initializationType: options.initializationType }),
    });
    let sandbox: Sandbox;
    try {
      sandbox = await options.backend.create({
        command: launch.command,
        args: launch.args,
        cwd: options.taskRoot,
        env,
        memoryMB: config.memorySize,
        tmpMB: config.ephemeralStorage,
        readOnlyPaths: launch.readOnlyPaths,
        onLog: (line) => {
          options.onLog(line, "function");
        },
      });
    } catch (error) {
      started.resolve(undefined);
      await server.close();
      throw error;
    }
    started.resolve(sandbox);
    return new ExecutionEnvironment(
      options,
      channel,
      server,
      sandbox,
      signals,
      { requestedAt, spawnedAt: performance.now() },
    );
  }

  /**
   * Starts an environment from a SnapStart snapshot: `restoreClone` restores a clone (paused), its
   * Runtime API is started where the clone looks for it, and the clone resumes. `init()` then waits
   * for the restore to end (the Runtime's first `/next`) and prints `RESTORE_REPORT` when it fails;
   * its `durationMs` is the Restore Duration. Prints nothing when it succeeds (REPORT carries it).
   * @throws {SandboxStartError} when the clone cannot be restored.
   */
  static async restore(
    options: Omit<ExecutionEnvironmentOptions, "backend" | "snapshotTemplate">,
    restoreClone: () => Promise<RestoredClone>,
  ): Promise<ExecutionEnvironment> {
    const requestedAt = performance.now();
    const { channel, signals } = newChannel("restore");
    const { config, launch } = options;
    options.onLog(
      restoreStartLine(
        launch.runtimeVersion,
        runtimeVersionArn(config.region, launch.runtimeVersion),
      ),
      "platform",
    );
    let clone: RestoredClone;
    try {
      clone = await restoreClone();
    } catch (error) {
      options.onLog(
        restoreReportLine({
          restoreDurationMs: performance.now() - requestedAt,
          status: "error",
        }),
        "platform",
      );
      throw error;
    }
    let server: RuntimeApiServer;
    try {
      server = await RuntimeApiServer.start(channel, {
        path: clone.upstreamPath,
      });
      clone.resume();
    } catch (error) {
      await clone.sandbox.destroy("its Runtime API could not start");
      throw error;
    }
    return new ExecutionEnvironment(
      { ...options, phase: "restore", initTimeoutMs: RESTORE_TIMEOUT_MS },
      channel,
      server,
      clone.sandbox,
      signals,
      { requestedAt, spawnedAt: performance.now() },
    );
  }

  get state(): EnvironmentState {
    return this.#state;
  }

  /**
   * Waits for init to end: the Runtime's first `/next` (success), its `/init/error` or its exit
   * (error), or the init time limit (timeout). On error or timeout the environment is `failed` and
   * its Runtime is gone; `INIT_REPORT` is printed for them. Calling it again returns the same outcome.
   */
  init(): Promise<InitOutcome> {
    this.#initOutcome ??= this.#runInit();
    return this.#initOutcome;
  }

  async #runInit(): Promise<InitOutcome> {
    const limit = this.#options.initTimeoutMs ?? INIT_TIMEOUT_MS;
    const timeout = delay(limit, "timeout" as const);
    const winner = await Promise.race([
      this.#signals.ready.promise.then(() => "ready" as const),
      this.#signals.initError.promise.then((report) => ({ report })),
      this.#signals.restoreError.promise.then((report) => ({ report })),
      this.#sandbox.exited.then((exit) => ({ exit })),
      timeout.promise,
    ]);
    timeout.cancel();
    const durationMs = performance.now() - this.#createdAt;
    const phase = this.#options.phase ?? "init";
    const reportLineOf = (
      status: "timeout" | "error" | undefined,
      errorType?: string,
    ): string =>
      phase === "restore"
        ? restoreReportLine({
            restoreDurationMs: durationMs,
            ...(status === undefined ? {} : { status }),
            ...(errorType === undefined ? {} : { errorType }),
          })
        : initReportLine({
            initDurationMs: durationMs,
            phase,
            status,
            ...(errorType === undefined ? {} : { errorType }),
          });
    if (winner === "ready") {
      this.#transition("initializing", "ready");
      // A SnapStart template and a clone report their init (restore) even when it succeeds.
      if (phase === "restore" || this.#options.snapshotTemplate !== undefined)
        this.#options.onLog(reportLineOf(undefined), "platform");
      return { status: "success", durationMs };
    }
    this.#fail();
    if (winner === "timeout") {
      await this.#kill(`${phase} timed out`);
      const maxMemoryUsedMB = await this.#maxMemoryUsedMB();
      this.#options.onLog(reportLineOf("timeout"), "platform");
      return { status: "timeout", durationMs, maxMemoryUsedMB };
    }
    let report: InitErrorReport | undefined;
    let exit: SandboxExit | undefined;
    if ("report" in winner) {
      report = winner.report;
      // The Runtime exits after reporting (spec §1.7); give it a moment, then make sure.
      const grace = delay(INIT_ERROR_EXIT_GRACE_MS, undefined);
      exit = await Promise.race([this.#sandbox.exited, grace.promise]);
      grace.cancel();
    } else {
      exit = winner.exit;
    }
    await this.#kill("init failed");
    const maxMemoryUsedMB = await this.#maxMemoryUsedMB();
    const errorType =
      report !== undefined
        ? reportedErrorType(report)
        : exit?.oomKilled === true
          ? "Runtime.OutOfMemory"
          : "Runtime.ExitError";
    this.#options.onLog(reportLineOf("error", errorType), "platform");
    return {
      status: "error",
      durationMs,
      maxMemoryUsedMB,
      errorType,
      report,
      exit: report === undefined ? exit : undefined,
    };
  }

  /**
   * Runs one Invocation, printing START, END and REPORT around it. Resolves when the Invocation has
   * ended (the Runtime is back in `/next`, or failed); `request.onAnswer` has the caller's answer
   * before that.
   * @throws {IllegalStateError} unless the environment is `ready`.
   */
  async invoke(request: InvokeRequest): Promise<InvokeOutcome> {
    this.#transition("ready", "invoking");
    const config = this.config;
    const requestId = request.requestId ?? randomUUID();
    const platformLines = request.platformLines ?? true;
    const log = this.#options.onLog;
    if (platformLines) log(startLine(requestId, config.version), "platform");
    const dispatchedAt = performance.now();
    const timeoutMs = config.timeout * 1000;
    const idle = deferred<"idle">();
    this.#signals.onIdle = () => {
      idle.resolve("idle");
    };
    const deadline = delay(timeoutMs, "timeout" as const);
    const answer = this.#channel.dispatch({
      requestId,
      payload: request.payload,
      deadlineMs: Date.now() + timeoutMs,
      invokedFunctionArn: request.invokedFunctionArn ?? config.functionArn,
      traceId: newTraceId(),
      ...(request.clientContext === undefined
        ? {}
        : { clientContext: request.clientContext }),
      ...(request.cognitoIdentity === undefined
        ? {}
        : { cognitoIdentity: request.cognitoIdentity }),
    });
    // A per-Invocation deferred, not a `.then()` of the sandbox's `exited`: that promise stays
    // pending for the environment's life, and every race on it would keep this Invocation's
    // result reachable until then (a leak of one response per warm Invocation).
    const exited = deferred<{ exit: SandboxExit }>();
    if (this.#exit !== undefined) exited.resolve({ exit: this.#exit });
    else
      this.#onExit = (exit) => {
        exited.resolve({ exit });
      };
    const first = await Promise.race([
      answer.then((a) => ({ answer: a })),
      exited.promise,
      deadline.promise,
    ]);
    const answeredAt = performance.now();

    let document: {
      body: Buffer;
      contentType: string;
      functionError: boolean;
      errorType: string | undefined;
    };
    let status: InvokeOutcome["status"] = "success";
    let reportErrorType: string | undefined;
    if (first === "timeout") {
      log(taskTimedOutLine(requestId, config.timeout, new Date()), "platform");
      document = platformDocument(
        timeoutErrorDocument(requestId, config.timeout),
      );
      status = "timeout";
      this.#fail();
      await this.#kill("invocation timed out");
    } else if ("exit" in first) {
      const platform = first.exit.oomKilled
        ? outOfMemoryDocument(requestId)
        : exitErrorDocument(requestId, first.exit.code, first.exit.signal);
      log(`${platform.errorMessage}\n${platform.errorType}`, "platform");
      document = platformDocument(platform);
      status = "error";
      reportErrorType = platform.errorType;
      this.#fail();
    } else {
      document = answerDocument(requestId, first.answer);
      if (
        first.answer.kind === "oversize" ||
        first.answer.kind === "invalid-response-mode"
      ) {
        status = "error";
        reportErrorType = document.errorType;
      }
      request.onAnswer?.({ requestId, ...document });
      // The Invocation ends when the Runtime is back in /next, exits, or reaches the deadline.
      const end = await Promise.race([
        idle.promise,
        exited.promise,
        deadline.promise,
      ]);
      if (end === "timeout") {
        status = "timeout";
        this.#fail();
        await this.#kill("did not return to /next before the deadline");
      } else if (end !== "idle") {
        const exit = end.exit;
        status = "error";
        reportErrorType = exit.oomKilled
          ? "Runtime.OutOfMemory"
          : "Runtime.ExitError";
        this.#fail();
      }
    }
    deadline.cancel();
    this.#signals.onIdle = undefined;
    this.#onExit = undefined;
    const endedAt = performance.now();
    if (first === "timeout" || "exit" in first)
      request.onAnswer?.({ requestId, ...document });
    if (this.#state === "invoking") this.#transition("invoking", "ready");
    const durationMs =
      endedAt - dispatchedAt + (request.suppressedInitDurationMs ?? 0);
    let maxMemoryUsedMB: number | undefined;
    if (platformLines) {
      maxMemoryUsedMB = await this.#maxMemoryUsedMB();
      log(endLine(requestId), "platform");
      log(
        reportLine({
          requestId,
          durationMs,
          billedDurationMs: billedDurationMs(
            durationMs,
            request.initDurationMs,
          ),
          memorySizeMB: config.memorySize,
          maxMemoryUsedMB,
          ...(request.initDurationMs === undefined
            ? {}
            : { initDurationMs: request.initDurationMs }),
          ...(request.restoreDurationMs === undefined
            ? {}
            : { restoreDurationMs: request.restoreDurationMs }),
          ...(status === "success" ? {} : { status }),
          ...(status === "error" && reportErrorType !== undefined
            ? { errorType: reportErrorType }
            : {}),
        }),
        "platform",
      );
    }
    return {
      requestId,
      ...document,
      status,
      durationMs,
      maxMemoryUsedMB,
      timings: { dispatchedAt, answeredAt, endedAt },
    };
  }

  /**
   * Stops the Runtime's processes between Invocations, as Lambda freezes an idle environment
   * (spec §7). @throws {IllegalStateError} unless the environment is `ready`.
   */
  async freeze(): Promise<void> {
    if (this.#state !== "ready") {
      throw new IllegalStateError(
        `ExecutionEnvironment ${this.id} is ${this.#state}; only a ready one can be frozen.`,
      );
    }
    await this.#sandbox.freeze();
  }

  /** Lets a frozen Runtime run again; resolves at once when it is not frozen. */
  thaw(): Promise<void> {
    return this.#sandbox.thaw();
  }

  /** Kills the Runtime and closes the Runtime API. Idempotent. */
  destroy(reason: string): Promise<void> {
    this.#destroyed ??= (async () => {
      this.#state = "destroyed";
      await this.#sandbox.destroy(reason, { graceMs: SHUTDOWN_GRACE_MS });
      await this.#server.close();
    })();
    return this.#destroyed;
  }

  /** Max Memory Used as Lambda prints it: the sandbox's peak, in whole MB rounded up. */
  async #maxMemoryUsedMB(): Promise<number> {
    const peak =
      this.#peakBeforeKill ?? (await this.#sandbox.peakMemoryBytes());
    return peak === undefined ? 0 : Math.ceil(peak / (1024 * 1024));
  }

  /** Ends the Runtime after a failure, keeping its peak memory (the backend's cgroup goes with it). */
  async #kill(reason: string): Promise<void> {
    this.#peakBeforeKill = await this.#sandbox.peakMemoryBytes();
    await this.#sandbox.destroy(reason);
  }

  /** A failure ends the environment's usefulness, unless it is already destroyed (terminal). */
  #fail(): void {
    if (this.#state !== "destroyed") this.#state = "failed";
  }

  #transition(from: EnvironmentState, to: EnvironmentState): void {
    if (this.#state !== from) {
      throw new IllegalStateError(
        `ExecutionEnvironment ${this.id} is ${this.#state}, not ${from}; cannot become ${to}.`,
      );
    }
    this.#state = to;
  }
}

function answerDocument(
  requestId: string,
  answer: RuntimeAnswer,
): {
  body: Buffer;
  contentType: string;
  functionError: boolean;
  errorType: string | undefined;
} {
  switch (answer.kind) {
    case "response":
      return {
        body: answer.body,
        contentType: answer.contentType ?? "application/json",
        functionError: false,
        errorType: undefined,
      };
    case "error":
      return {
        body: answer.body,
        contentType: "application/json",
        functionError: true,
        errorType: answer.errorType ?? errorTypeOf(answer.body),
      };
    case "oversize":
      return platformDocument(responseTooLargeDocument(answer.limitBytes));
    case "invalid-response-mode":
      return platformDocument(
        invalidResponseModeDocument(requestId, answer.mode),
      );
  }
}

function platformDocument(document: PlatformErrorDocument): {
  body: Buffer;
  contentType: string;
  functionError: boolean;
  errorType: string;
} {
  return {
    body: Buffer.from(JSON.stringify(document)),
    contentType: "application/json",
    functionError: true,
    errorType: document.errorType,
  };
}

/**
 * The shape of an error type Lambda keeps in its init reports; any other is replaced (RIE
 * `fatalerror.GetValidRuntimeOrFunctionErrorType`, which matches anywhere in the value).
 */
const LAMBDA_ERROR_TYPE = /(Runtime|Function)\.[A-Z][a-zA-Z]+/;

/**
 * The error type a Runtime reported at init, as INIT_REPORT shows it: its header, else its
 * document's `errorType`, kept when it has Lambda's shape (`Runtime.ImportModuleError`); anything
 * else (a Node.js `Error` thrown at module load, none at all) is `Runtime.Unknown`, or
 * `Function.Unknown` for a malformed `Function.` type.
 */
function reportedErrorType(report: InitErrorReport): string {
  const reported = report.errorType ?? errorTypeOf(report.body);
  if (reported !== undefined && LAMBDA_ERROR_TYPE.test(reported))
    return reported;
  return reported?.startsWith("Function.") === true
    ? "Function.Unknown"
    : "Runtime.Unknown";
}

function errorTypeOf(body: Buffer): string | undefined {
  try {
    const parsed: unknown = JSON.parse(body.toString("utf8"));
    if (
      typeof parsed === "object" &&
      parsed !== null &&
      "errorType" in parsed &&
      typeof parsed.errorType === "string"
    ) {
      return parsed.errorType;
    }
  } catch {
    // A Runtime may send any bytes; the body is forwarded verbatim either way.
  }
  return undefined;
}

/** An X-Ray trace header as Lambda passes it: `Root=1-{epoch hex}-{96 bits};Parent={64 bits};Sampled=0`. */
function newTraceId(): string {
  const epoch = Math.floor(Date.now() / 1000)
    .toString(16)
    .padStart(8, "0");
  const root = randomUUID().replaceAll("-", "").slice(0, 24);
  const parent = randomUUID().replaceAll("-", "").slice(0, 16);
  return `Root=1-${epoch}-${root};Parent=${parent};Sampled=0`;
}

function runtimeVersionArn(region: string, runtimeVersion: string): string {
  let hash = 0;
  for (const char of runtimeVersion)
    hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return `arn:aws:lambda:${region}::runtime:${hash.toString(16).padStart(8, "0")}`;
}
