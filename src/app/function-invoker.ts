/**
 * Invocations of registered functions: admission by the scheduler, one environment pool per
 * function version (and code revision), the async `Event` queue, and the registry's changes carried
 * out on the pools (retire on update, provisioned concurrency, reserved concurrency).
 *
 * The synchronous path: resolve → admit (429 beyond the limits) → acquire an environment (warm and
 * thawed, or cold: created for this Invocation) → invoke → release (reusable, or destroyed when its
 * Runtime failed) → give the admission back.
 */
import { randomUUID } from "node:crypto";
import type { FunctionRegistry } from "../control-plane/function-registry.js";
import type {
  RegistryChange,
  ResolvedFunction,
} from "../control-plane/registry-change.js";
import { ServiceException } from "../errors/service-exceptions.js";
import type { FunctionRef } from "../protocol/control-plane.js";
import {
  EnvironmentPool,
  type PoolEnvironmentState,
} from "../pool/environment-pool.js";
import type { EnvironmentKind } from "../pool/pool-policy.js";
import {
  resolveRuntime,
  type RuntimeLaunch,
} from "../runtimes/resolve-runtime.js";
import type { SandboxBackend } from "../sandbox/sandbox.js";
import {
  InvocationQueue,
  type RunOutcome,
} from "../scheduler/invocation-queue.js";
import type { Scheduler } from "../scheduler/scheduler.js";
import type { SnapStart } from "./snap-start.js";
import {
  PooledFunctionEnvironment,
  type LogSink,
  type PooledAnswer,
} from "./pooled-environment.js";
import { deferred } from "../util/deferred.js";

/** Where runtimes and toolchains live (from `THAW_PATHS`). */
export interface RuntimeDirs {
  readonly runtimesDir: string;
  readonly javaClientDir: string;
  readonly toolchainsDir: string;
}

/** Options of {@link FunctionInvoker}. */
export interface FunctionInvokerOptions {
  readonly registry: FunctionRegistry;
  readonly scheduler: Scheduler;
  readonly backend: SandboxBackend;
  readonly dirs: RuntimeDirs;
  /** Where the functions' log lines go; none when nobody reads them. */
  readonly onLog: LogSink | undefined;
  /** Receives thaw's own remarks (a substituted interpreter, a failed freeze, a dropped event). */
  readonly onNote: (note: string) => void;
  /**
   * How long an idle environment lives.
   * @default 600000 (10 min, spec §7)
   */
  readonly keepAliveMs?: number;
  /**
   * Delays before the 1st and 2nd retry of a failed `Event` Invocation.
   * @default [60000, 120000] (Lambda's)
   */
  readonly eventRetryDelaysMs?: readonly [number, number];
  /**
   * The time limit of an environment's first init; a retried init runs under the function's timeout.
   * Tests shorten it to reach an init timeout quickly.
   * @default 10000 (Lambda's on-demand limit, spec §1.7)
   */
  readonly initTimeoutMs?: number;
  /**
   * SnapStart (snap-start.ts): on-demand environments of published versions whose `SnapStart.ApplyOn`
   * is `PublishedVersions` (of every function and version, with `everyFunction`) are restored from
   * the function's snapshot. `open` gives SnapStart, or undefined where snapshots cannot work (those
   * functions then initialise as usual, and a note says so once).
   */
  readonly snapStart?: {
    readonly open: () => Promise<SnapStart | undefined>;
    readonly everyFunction: boolean;
  };
}

/** One synchronous Invocation's input. */
export interface InvocationInput {
  readonly payload: Buffer;
  readonly tail: boolean;
  readonly clientContext: string | undefined;
  readonly invokedFunctionArn: string;
}

/** An `Event` waiting in the queue. */
interface QueuedEvent {
  readonly ref: FunctionRef;
  readonly requestId: string;
  readonly payload: Buffer;
}

/** The pool of one function version, with what its environments are started from. */
interface PoolEntry {
  readonly pool: EnvironmentPool<PooledFunctionEnvironment>;
  readonly resolved: ResolvedFunction;
}

/** Runs Invocations of the functions in a registry. */
export class FunctionInvoker {
  readonly #options: FunctionInvokerOptions;
  readonly #pools = new Map<string, PoolEntry>();
  readonly #queue: InvocationQueue<QueuedEvent>;
  readonly #unsubscribe: () => void;

  constructor(options: FunctionInvokerOptions) {
    this.#options = options;
    this.#queue = new InvocationQueue<QueuedEvent>({
      run: (event) => this.#runEvent(event),
      onDiscard: (event, details) => {
        options.onNote(
          `Event ${event.requestId} for ${event.ref.functionName} discarded: ${details.reason} after ${String(details.attempts)} attempt(s).`,
        );
      },
      ...(options.eventRetryDelaysMs === undefined
        ? {}
        : { retryDelaysMs: options.eventRetryDelaysMs }),
    });
    this.#unsubscribe = options.registry.onChange((change) => {
      this.#apply(change);
    });
  }

  /**
   * Runs one synchronous Invocation of `resolved`. Resolves with the caller's answer as soon as the
   * Runtime has posted it; the environment and the admission are given back when the Invocation
   * ends (the Runtime is back in `/next`), as Lambda counts concurrency.
   * @throws {ServiceException} `TooManyRequestsException` beyond the concurrency limits.
   */
  async invoke(
    resolved: ResolvedFunction,
    input: InvocationInput,
  ): Promise<PooledAnswer> {
    const admission = this.#options.scheduler.admit(
      resolved.functionName,
      resolved.reservedConcurrency,
    );
    let pool: EnvironmentPool<PooledFunctionEnvironment>;
    let environment: PooledFunctionEnvironment;
    try {
      pool = this.#poolFor(resolved).pool;
      ({ environment } = await pool.acquire());
    } catch (error) {
      admission.release();
      throw error;
    }
    const answer = deferred<PooledAnswer>();
    const run = environment.invoke(
      {
        payload: input.payload,
        invokedFunctionArn: input.invokedFunctionArn,
        ...(input.clientContext === undefined
          ? {}
          : { clientContext: input.clientContext }),
      },
      {
        tail: input.tail,
        onAnswer: (early) => {
          answer.resolve(early);
        },
      },
    );
    const ended = run.then(
      (result) => {
        pool.release(environment, result.reusable ? "reusable" : "broken");
        admission.release();
        return result;
      },
      (error: unknown) => {
        pool.release(environment, "broken");
        admission.release();
        throw error;
      },
    );
    // Whichever comes first: the early answer, or the end (a failure, a Tail log, an error).
    return Promise.race([answer.promise, ended]);
  }

  /** Queues an `Event` Invocation; the caller has its 202 at once. Returns its request id. */
  enqueue(ref: FunctionRef, payload: Buffer): string {
    const requestId = randomUUID();
    this.#queue.enqueue({ ref, requestId, payload });
    return requestId;
  }

  /**
   * SnapStart's optimization of a published version (FunctionRegistry's `optimizeVersion`): takes
   * the version's snapshot now, as Lambda does at PublishVersion, so that its first cold start is
   * already a restore. Does nothing where snapshots cannot work here (its environments then
   * initialise as usual).
   * @throws {Error} when the version's init fails, so that the version becomes `Failed`.
   */
  async optimizeVersion(resolved: ResolvedFunction): Promise<void> {
    const snapStart = await this.#options.snapStart?.open();
    if (snapStart === undefined) return;
    const { config, taskRoot } = resolved;
    const launch = resolveRuntime(config, taskRoot, this.#options.dirs);
    const onLog = this.#options.onLog;
    const outcome = await snapStart.snapshot(
      {
        config,
        launch,
        taskRoot,
        runtimeDir: this.#options.dirs.runtimesDir,
        packageFingerprint: resolved.codeSha256,
      },
      (line, source) => {
        onLog?.(line, source, config);
      },
    );
    if (outcome.kind === "init-failed") {
      const init = outcome.cold.init;
      throw new Error(
        `SnapStart could not take the snapshot of version ${resolved.version}: its init ${init.status === "timeout" ? "timed out" : `failed with ${init.status === "error" ? init.errorType : init.status}`}.`,
      );
    }
  }

  /** Environment counts by state for each pool, for the status page. */
  environments(): Map<string, Record<PoolEnvironmentState, number>> {
    const counts = new Map<string, Record<PoolEnvironmentState, number>>();
    for (const [key, entry] of this.#pools)
      counts.set(key, entry.pool.counts());
    return counts;
  }

  /** Stops taking Events, lets running Invocations finish, then stops every environment. */
  async close(): Promise<void> {
    this.#unsubscribe();
    await this.#queue.close();
    await Promise.all([...this.#pools.values()].map((e) => e.pool.close()));
    this.#pools.clear();
  }

  /** Stops everything now. */
  async destroy(reason: string): Promise<void> {
    this.#unsubscribe();
    await this.#queue.destroy();
    await Promise.all(
      [...this.#pools.values()].map((e) => e.pool.destroy(reason)),
    );
    this.#pools.clear();
  }

  #poolFor(resolved: ResolvedFunction): PoolEntry {
    const existing = this.#pools.get(resolved.key);
    if (existing !== undefined) return existing;
    const options = this.#options;
    const { config, taskRoot } = resolved;
    let launch: RuntimeLaunch | undefined;
    const snap = options.snapStart;
    const snapStart =
      snap !== undefined &&
      (snap.everyFunction ||
        (resolved.settings.snapStartApplyOn === "PublishedVersions" &&
          resolved.version !== "$LATEST"))
        ? snap.open()
        : undefined;
    const pool = new EnvironmentPool<PooledFunctionEnvironment>({
      name: resolved.key,
      create: async (kind: EnvironmentKind) => {
        options.scheduler.scaleUp(resolved.functionName);
        if (launch === undefined) {
          launch = resolveRuntime(config, taskRoot, options.dirs);
          if (launch.note !== undefined) options.onNote(launch.note);
        }
        const opened = await snapStart;
        return PooledFunctionEnvironment.start({
          ...(opened === undefined
            ? {}
            : {
                snapStart: {
                  snapStart: opened,
                  packageFingerprint: resolved.codeSha256,
                },
              }),
          config,
          launch,
          taskRoot,
          runtimeDir: options.dirs.runtimesDir,
          backend: options.backend,
          kind,
          onLog: options.onLog,
          ...(options.initTimeoutMs === undefined
            ? {}
            : { initTimeoutMs: options.initTimeoutMs }),
        });
      },
      ...(options.keepAliveMs === undefined
        ? {}
        : { keepAliveMs: options.keepAliveMs }),
      onProvisionedStatus: (status) => {
        options.registry.reportProvisionedStatus(resolved.key, status);
      },
      onError: (error, operation, environmentId) => {
        options.onNote(
          `${resolved.key}: ${operation} of environment ${environmentId ?? "-"} failed: ${error instanceof Error ? error.message : String(error)}`,
        );
      },
    });
    const entry = { pool, resolved };
    this.#pools.set(resolved.key, entry);
    return entry;
  }

  #apply(change: RegistryChange): void {
    switch (change.kind) {
      case "retired": {
        const entry = this.#pools.get(change.key);
        if (entry === undefined) return;
        this.#pools.delete(change.key);
        // In-flight Invocations finish on their environments; then the pool is gone.
        void entry.pool.close();
        return;
      }
      case "provisioned":
        this.#poolFor(change.function).pool.setProvisioned(change.requested);
        return;
      case "reserved":
        this.#options.scheduler.setReserved(
          change.functionName,
          change.reserved,
        );
        return;
    }
  }

  async #runEvent(event: QueuedEvent): Promise<RunOutcome> {
    let resolved: ResolvedFunction;
    try {
      resolved = this.#options.registry.resolve(event.ref);
    } catch {
      return "platform-error";
    }
    try {
      const result = await this.invoke(resolved, {
        payload: event.payload,
        tail: false,
        clientContext: undefined,
        invokedFunctionArn: resolved.config.functionArn,
      });
      return result.functionError ? "function-error" : "success";
    } catch (error) {
      if (
        error instanceof ServiceException &&
        error.name === "TooManyRequestsException"
      ) {
        return "throttled";
      }
      return "platform-error";
    }
  }
}
