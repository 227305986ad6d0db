/**
 * The composition root of `thaw serve`: a function registry (filled from a SAM template and the
 * control plane), the scheduler, the process backend, the function invoker and the Invoke API
 * server, wired together. `close()` drains: the server stops taking calls, in-flight Invocations
 * and running Events finish, then every environment stops. `destroy()` stops everything at once.
 */
import { loadSamTemplate } from "../config/sam-template.js";
import { RUNTIME_DIRS, THAW_PATHS } from "../config/paths.js";
import { FunctionRegistry } from "../control-plane/function-registry.js";
import { registerTemplateFunctions } from "../control-plane/register-template.js";
import { InvokeApiServer } from "../invoke-api/server.js";
import { Scheduler } from "../scheduler/scheduler.js";
import { createBackend, type SandboxSettings } from "./backends.js";
import { FunctionInvoker } from "./function-invoker.js";
import { openSnapStartIfAvailable, type SnapStart } from "./snap-start.js";
import type { LogSink } from "./pooled-environment.js";
import { ThawService } from "./thaw-service.js";

/** Options of {@link ThawApp.start}. */
export interface ThawAppOptions {
  /** A SAM or CloudFormation template whose functions are registered at start. */
  readonly template?: string;
  /** @default "127.0.0.1" (loopback only) */
  readonly host?: string;
  /** @default 9001; 0 picks a free port */
  readonly port?: number;
  /**
   * How long an idle environment lives before it is reaped.
   * @default 600000 (10 min)
   */
  readonly keepAliveMs?: number;
  /**
   * The account's concurrency limit.
   * @default 1000
   */
  readonly accountConcurrency?: number;
  /**
   * Which sandbox backend runs the functions, and its settings.
   * @default the `namespace` backend
   */
  readonly sandbox?: SandboxSettings;
  /**
   * SnapStart for every function and version (`--snapstart`); without it, only published versions
   * whose `SnapStart.ApplyOn` is `PublishedVersions`, as on Lambda.
   * @default false
   */
  readonly snapStart?: boolean;
  /** Receives every function's log lines. @default discard */
  readonly onLog?: LogSink;
  /** Receives thaw's own remarks. @default discard */
  readonly onNote?: (note: string) => void;
}

/** One running `thaw serve`. */
export class ThawApp {
  readonly url: string;
  /** How many functions the template registered. */
  readonly templateFunctions: number;
  readonly #server: InvokeApiServer;
  readonly #invoker: FunctionInvoker;
  readonly #registry: FunctionRegistry;
  readonly #scheduler: Scheduler;
  #closed: Promise<void> | undefined;

  private constructor(parts: {
    server: InvokeApiServer;
    invoker: FunctionInvoker;
    registry: FunctionRegistry;
    scheduler: Scheduler;
    templateFunctions: number;
  }) {
    this.#server = parts.server;
    this.#invoker = parts.invoker;
    this.#registry = parts.registry;
    this.#scheduler = parts.scheduler;
    this.url = parts.server.url;
    this.templateFunctions = parts.templateFunctions;
  }

  /**
   * Starts serving: loads the template (every function `Active`), then listens.
   * @throws {InvalidParameterValueError} for a template that cannot be used.
   */
  static async start(options: ThawAppOptions = {}): Promise<ThawApp> {
    const onNote = options.onNote ?? (() => undefined);
    const template =
      options.template === undefined
        ? undefined
        : await loadSamTemplate(options.template);
    for (const warning of template?.warnings ?? []) onNote(warning);
    // The registry asks the invoker (made below) to take a published version's SnapStart snapshot.
    const optimizer: { invoker: FunctionInvoker | undefined } = {
      invoker: undefined,
    };
    const registry = new FunctionRegistry({
      ...(options.accountConcurrency === undefined
        ? {}
        : { accountConcurrency: options.accountConcurrency }),
      optimizeVersion: (version) =>
        optimizer.invoker?.optimizeVersion(version) ?? Promise.resolve(),
    });
    const scheduler = new Scheduler(
      options.accountConcurrency === undefined
        ? {}
        : { accountLimit: options.accountConcurrency },
    );
    const backend = await createBackend(options.sandbox ?? {});
    const cpu = options.sandbox?.cpu;
    let snapStart: Promise<SnapStart | undefined> | undefined;
    const invoker = new FunctionInvoker({
      registry,
      scheduler,
      backend,
      dirs: RUNTIME_DIRS,
      onLog: options.onLog,
      onNote,
      snapStart: {
        everyFunction: options.snapStart === true,
        // Opened by the first function that asks for it, once.
        open: () =>
          (snapStart ??= openSnapStartIfAvailable({
            snapshotDir: THAW_PATHS.snapshots,
            fallbackBackend: backend,
            ...(cpu === undefined ? {} : { cpu }),
            onNote,
          })),
      },
      ...(options.keepAliveMs === undefined
        ? {}
        : { keepAliveMs: options.keepAliveMs }),
    });
    optimizer.invoker = invoker;
    try {
      if (template !== undefined)
        await registerTemplateFunctions(registry, template.functions);
      const server = await InvokeApiServer.start(
        new ThawService(registry, invoker),
        { host: options.host ?? "127.0.0.1", port: options.port ?? 9001 },
      );
      return new ThawApp({
        server,
        invoker,
        registry,
        scheduler,
        templateFunctions: template?.functions.length ?? 0,
      });
    } catch (error) {
      await invoker.destroy("thaw serve failed to start");
      await registry.close();
      throw error;
    }
  }

  /** Drains: no new calls, in-flight ones finish, then every environment stops. Idempotent. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      await this.#server.close();
      await this.#invoker.close();
      await this.#scheduler.close();
      await this.#registry.close();
    })();
    return this.#closed;
  }

  /** Stops everything now. Idempotent. */
  async destroy(reason: string): Promise<void> {
    await this.#server.destroy();
    await this.#invoker.destroy(reason);
    await this.#scheduler.destroy();
    await this.#registry.close();
  }
}
