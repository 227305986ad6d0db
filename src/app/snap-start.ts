/**
 * SnapStart (spec §1.8, issue 6): the cold start of a function whose environments are restored from
 * a snapshot of one that already ran its init.
 *
 * {@link SnapStart.coldStart} finds the function's snapshot in the cache, or takes it: a template
 * environment on the snapshot backend, `AWS_LAMBDA_INITIALIZATION_TYPE=snap-start`, runs its init
 * (INIT_START … INIT_REPORT) until its Runtime waits in `/restore/next` (thaw's Python and Node.js
 * runtimes, after their before-snapshot hooks) or in its first `/next` (Rust, Go, C++), and is
 * checkpointed. It then restores a clone (RESTORE_START … RESTORE_REPORT), whose Restore Duration
 * the first Invocation's REPORT carries. A restore that fails removes the snapshot (it is taken again
 * next time) and falls back to a normal on-demand init, and says so.
 */
import { mkdirSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import type { FunctionConfig } from "../config/function-config.js";
import type { RuntimeLaunch } from "../runtimes/resolve-runtime.js";
import {
  SOCKET_DIR,
  type SnapshotBackend,
} from "../snapshot/snapshot-backend.js";
import { SandboxStartError } from "../errors/sandbox-errors.js";
import { locateCriu } from "../snapshot/criu.js";
import {
  SnapshotCache,
  snapshotKey,
  type CachedSnapshot,
} from "../snapshot/snapshot-cache.js";
import { fileFingerprint } from "../util/file-fingerprint.js";
import { createSnapshotBackend, THAW_INIT_PATH } from "./backends.js";
import { coldStart, type ColdStartResult } from "./cold-start.js";
import {
  ExecutionEnvironment,
  type ExecutionEnvironmentOptions,
  type LogSource,
} from "./execution-environment.js";

/** SnapStart's init limit: max(130 s, the function's timeout), as for provisioned concurrency. */
const SNAPSHOT_INIT_MIN_MS = 130_000;

/** What SnapStart needs of a function. */
export interface SnapStartFunction {
  readonly config: FunctionConfig;
  readonly launch: RuntimeLaunch;
  readonly taskRoot: string;
  readonly runtimeDir: string;
  /** Identifies the package's content (its CodeSha256, or a fingerprint of its folder). */
  readonly packageFingerprint: string;
}

/** Options of {@link SnapStart}. */
export interface SnapStartOptions {
  readonly backend: SnapshotBackend;
  readonly cache: SnapshotCache;
  /** The backend for the fallback on-demand init when a restore fails. */
  readonly fallbackBackend: ExecutionEnvironmentOptions["backend"];
  /** thaw's own remarks: a corrupt snapshot, a restore that failed. */
  readonly onNote?: (note: string) => void;
  /** The CRIU and thaw-init in use, for the snapshot key. */
  readonly tools: { readonly criu: string; readonly thawInit: string };
}

/** The outcome of {@link SnapStart.snapshot}. */
export type SnapshotOutcome =
  | {
      readonly kind: "snapshot";
      readonly snapshot: CachedSnapshot;
      readonly taken: boolean;
    }
  | { readonly kind: "init-failed"; readonly cold: ColdStartResult };

/** Snapshots functions and restores clones of them. */
export class SnapStart {
  readonly #options: SnapStartOptions;
  /** Snapshots being taken, by key: concurrent cold starts of one function wait for one. */
  readonly #taking = new Map<string, Promise<SnapshotOutcome>>();

  constructor(options: SnapStartOptions) {
    this.#options = options;
  }

  /**
   * A SnapStart cold start: the function's snapshot (taken if need be, its lines to `onLog`), then a
   * restored clone; the template's failed init when the snapshot cannot be taken for that reason.
   * @throws {SandboxStartError} when the template cannot start or the checkpoint fails.
   */
  async coldStart(
    fn: SnapStartFunction,
    onLog: (line: string, source: LogSource) => void,
  ): Promise<ColdStartResult> {
    const outcome = await this.snapshot(fn, onLog);
    if (outcome.kind === "init-failed") return outcome.cold;
    return this.restore(outcome.snapshot, fn, onLog);
  }

  /**
   * The function's snapshot: from the cache, or taken now (its template's log lines go to `onLog`).
   * When the template's init fails, the outcome is that failure, for the caller to answer with.
   * @throws {SandboxStartError} when the template cannot start or the checkpoint fails.
   */
  async snapshot(
    fn: SnapStartFunction,
    onLog: (line: string, source: LogSource) => void,
  ): Promise<SnapshotOutcome> {
    const key = snapshotKey({
      function: {
        package: fn.packageFingerprint,
        config: fn.config,
        launch: {
          command: fn.launch.command,
          args: fn.launch.args,
          runtimeVersion: fn.launch.runtimeVersion,
        },
      },
      criu: this.#options.tools.criu,
      thawInit: this.#options.tools.thawInit,
    });
    const taking = this.#taking.get(key);
    if (taking !== undefined) return taking;
    const outcome = this.#snapshot(key, fn, onLog);
    this.#taking.set(key, outcome);
    try {
      return await outcome;
    } finally {
      this.#taking.delete(key);
    }
  }

  async #snapshot(
    key: string,
    fn: SnapStartFunction,
    onLog: (line: string, source: LogSource) => void,
  ): Promise<SnapshotOutcome> {
    const { backend, cache } = this.#options;
    const found = cache.find(key, (reason) => {
      this.#options.onNote?.(
        `The SnapStart snapshot ${key.slice(0, 12)} was corrupt (${reason}): it is taken again.`,
      );
    });
    if (found !== undefined)
      return { kind: "snapshot", snapshot: found, taken: false };
    mkdirSync(SOCKET_DIR, { recursive: true, mode: 0o700 });
    const upstreamPath = join(
      SOCKET_DIR,
      `t-${key.slice(0, 12)}-${randomBytes(4).toString("hex")}.sock`,
    );
    const templates = backend.templates(upstreamPath);
    const cold = await coldStart(
      {
        config: fn.config,
        launch: fn.launch,
        taskRoot: fn.taskRoot,
        runtimeDir: fn.runtimeDir,
        backend: templates,
        onLog,
        snapshotTemplate: { runtimeApiPath: upstreamPath },
        initTimeoutMs: Math.max(SNAPSHOT_INIT_MIN_MS, fn.config.timeout * 1000),
      },
      { retry: false },
    );
    const template = cold.environment;
    if (template === undefined || cold.init.status !== "success") {
      await template?.destroy("init failed");
      return { kind: "init-failed", cold };
    }
    try {
      const image = await templates.checkpoint(cache.prepare(key));
      return {
        kind: "snapshot",
        snapshot: cache.commit(key, image, cold.init.durationMs),
        taken: true,
      };
    } catch (error) {
      cache.remove(key);
      throw error;
    } finally {
      await template.destroy("snapshot taken");
    }
  }

  /**
   * A cold start from `snapshot`: a restored clone, or, when the restore fails, an on-demand init
   * (the snapshot is then removed, to be taken again).
   */
  async restore(
    snapshot: CachedSnapshot,
    fn: SnapStartFunction,
    onLog: (line: string, source: LogSource) => void,
  ): Promise<ColdStartResult> {
    const options = {
      config: fn.config,
      launch: fn.launch,
      taskRoot: fn.taskRoot,
      runtimeDir: fn.runtimeDir,
      onLog,
    };
    let failure: string;
    try {
      const environment = await ExecutionEnvironment.restore(options, () =>
        this.#options.backend.restore(snapshot.image, {
          memoryMB: fn.config.memorySize,
          onLog: (line) => {
            onLog(line, "function");
          },
        }),
      );
      const init = await environment.init();
      if (init.status === "success") {
        return {
          environment,
          entrypointError: undefined,
          firstInit: init,
          init,
          restored: true,
        };
      }
      await environment.destroy("restore failed");
      failure =
        init.status === "timeout"
          ? "it timed out"
          : `the Runtime failed with ${init.errorType}`;
    } catch (error) {
      failure = error instanceof Error ? error.message : String(error);
    }
    this.#options.cache.remove(snapshot.key);
    this.#options.onNote?.(
      `The SnapStart restore failed (${failure}); falling back to a normal init. The snapshot was removed and will be taken again.`,
    );
    return coldStart({ ...options, backend: this.#options.fallbackBackend });
  }
}

/**
 * SnapStart with the snapshot backend and the cache in `snapshotDir`.
 * @throws {SandboxStartError} when CRIU is not found.
 */
export async function openSnapStart(options: {
  readonly snapshotDir: string;
  readonly fallbackBackend: ExecutionEnvironmentOptions["backend"];
  readonly cpu?: "shares" | "quota";
  readonly onNote?: (note: string) => void;
}): Promise<SnapStart> {
  return snapStartOn(await snapshotBackendFor(options), options);
}

/** SnapStart over `backend`. @throws {SandboxStartError} when CRIU is not found. */
async function snapStartOn(
  backend: SnapshotBackend,
  options: Parameters<typeof openSnapStart>[0],
): Promise<SnapStart> {
  const location = await locateCriu();
  if (location === undefined)
    throw new SandboxStartError(
      "SnapStart needs CRIU, which was not found: run scripts/setup-criu.sh (see thaw doctor).",
    );
  return new SnapStart({
    backend,
    cache: new SnapshotCache(options.snapshotDir),
    fallbackBackend: options.fallbackBackend,
    tools: {
      criu: fileFingerprint(location.path),
      thawInit: fileFingerprint(THAW_INIT_PATH),
    },
    ...(options.onNote === undefined ? {} : { onNote: options.onNote }),
  });
}

/**
 * {@link openSnapStart} where snapshots work here; otherwise undefined, and `onNote` says why, so
 * that the functions that ask for SnapStart initialise as usual.
 */
export async function openSnapStartIfAvailable(
  options: Parameters<typeof openSnapStart>[0] & {
    readonly onNote: (note: string) => void;
  },
): Promise<SnapStart | undefined> {
  const backend = await snapshotBackendFor(options);
  const probe = await backend.probe();
  if (!probe.available) {
    options.onNote(
      `SnapStart does not work here, so functions that ask for it initialise as usual: ${probe.notes.join("; ")}`,
    );
    return undefined;
  }
  return snapStartOn(backend, options);
}

function snapshotBackendFor(options: {
  readonly cpu?: "shares" | "quota";
}): Promise<SnapshotBackend> {
  return createSnapshotBackend(
    options.cpu === undefined ? {} : { cpu: options.cpu },
  );
}
