/**
 * SnapStart, measured: a contestant's snapshot taken into a temporary cache, and clones restored
 * from it, one at a time or many at once, each answering one Invocation whose answer is checked.
 * Shared by the war's scenario (g) and `npm run bench:snapstart`.
 *
 * The snapshot is taken by {@link SnapStart.snapshot}, as `thaw invoke --snapstart` takes it. Clones
 * are restored as {@link SnapStart.restore} restores them (`ExecutionEnvironment.restore` over the
 * snapshot backend), but without its fallback: a restore that fails is a failure here, counted and
 * reported, not an on-demand init measured as if it were a restore, and the snapshot stays for the
 * other clones instead of being removed.
 */
import { createHash, randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { createSnapshotBackend } from "../../app/backends.js";
import {
  ExecutionEnvironment,
  type LogSource,
} from "../../app/execution-environment.js";
import {
  openSnapStart,
  type SnapStart,
  type SnapStartFunction,
} from "../../app/snap-start.js";
import { createFunctionConfig } from "../../config/function-config.js";
import { RUNTIME_DIRS, THAW_PATHS, THAW_ROOT } from "../../config/paths.js";
import { prepareFunctionPackage } from "../../packaging/function-artifact.js";
import { directoryFingerprint } from "../../packaging/package-fingerprint.js";
import { resolveRuntime } from "../../runtimes/resolve-runtime.js";
import type { SandboxBackend } from "../../sandbox/sandbox.js";
import type { SnapshotBackend } from "../../snapshot/snapshot-backend.js";
import type { CachedSnapshot } from "../../snapshot/snapshot-cache.js";
import type { Contestant } from "./war-results.js";
import { ColdStartFailure, functionOf, reasonOf } from "./war-scenario.js";

/** How many log lines a failure's message quotes. */
const LOG_LINES_KEPT = 20;

/** How many failed clones' messages a batch keeps. */
const FIRST_ERRORS_KEPT = 5;

/** A snapshot the lab took, and what taking it cost. */
export interface LabSnapshot {
  readonly contestant: Contestant;
  readonly memoryMB: number;
  readonly fn: SnapStartFunction;
  readonly snapshot: CachedSnapshot;
  /**
   * The template's Init Duration: the same init as a plain cold start, but under thaw-init, as PID 1
   * of its own pid and network namespaces, with its Runtime API relayed over a Unix socket.
   */
  readonly templateInitMs: number;
  /** How long `criu dump` took. */
  readonly dumpMs: number;
  /** Size of the CRIU image on disk. */
  readonly imageBytes: number;
  /** From asking for the snapshot until it was in the cache: template start, init and dump. */
  readonly takenMs: number;
}

/** One clone that was restored and answered its Invocation correctly. */
export interface CloneRun {
  /** Restore Duration, as REPORT prints it: from the restore's start to the Runtime's `/next`. */
  readonly restoreMs: number;
  /** Of that, `criu restore` alone (until it wrote the clone's pid). */
  readonly criuRestoreMs: number;
  /** The first Invocation after the restore: hand-over to the Runtime's answer. */
  readonly firstInvokeMs: number;
  /** From the start of its batch (or of its own restore) until its answer. */
  readonly answeredMs: number;
  /** Max Memory Used of the Invocation, in MB (the clone's cgroup peak, as REPORT prints it). */
  readonly maxMemoryUsedMB: number;
}

/** Clones restored all at once from one snapshot, every one kept running until all had answered. */
export interface CloneBatch {
  readonly parallel: number;
  /** The clones that answered correctly. */
  readonly runs: readonly CloneRun[];
  readonly errors: number;
  readonly firstErrors: readonly string[];
  /** From the batch's start until the last clone answered. */
  readonly wallMs: number;
}

/** A clone that could not be restored, or did not answer correctly. */
export class CloneFailure extends Error {
  override readonly name = "CloneFailure";
}

/** Options of {@link SnapStartLab.open}. */
export interface SnapStartLabOptions {
  /**
   * CPU of each sandbox, as the other backends take it.
   * @default "shares"
   */
  readonly cpu?: "shares" | "quota";
  /** Plain on-demand inits, where a template whose restore fails could fall back to (never used). */
  readonly fallbackBackend: SandboxBackend;
}

/** The SHA-256 of the realistic contestants' `config.json`, as they answer it. */
let configSha256: string | undefined;

/**
 * Why `body` is not the answer `contestant` owes to `event`, or undefined when it is: a hello
 * contestant echoes its event; a realistic one answers its language, region, the event's key count
 * and SHA-256 (of the compact JSON sent), and its configuration's SHA-256. The user's own function
 * (`--function`) is not checked beyond its success.
 */
export function answerProblem(
  contestant: Contestant,
  event: Buffer,
  body: Buffer,
): string | undefined {
  if (contestant.build === "--function") return undefined;
  let answer: unknown;
  try {
    answer = JSON.parse(body.toString("utf8"));
  } catch {
    return `not JSON: ${body.toString("utf8").slice(0, 200)}`;
  }
  const sent = JSON.parse(event.toString("utf8")) as Record<string, unknown>;
  const expected: unknown =
    contestant.variant === "hello"
      ? sent
      : {
          language: contestant.language,
          region: "us-east-1",
          keys: Object.keys(sent).length,
          eventSha256: createHash("sha256").update(event).digest("hex"),
          configSha256: (configSha256 ??= createHash("sha256")
            .update(readFileSync(join(THAW_ROOT, "contestants", "config.json")))
            .digest("hex")),
        };
  return isDeepStrictEqual(answer, expected)
    ? undefined
    : `answered ${body.toString("utf8").slice(0, 200)}, expected ${JSON.stringify(expected)}`;
}

/** The event clone `n` is sent: unique, so that an answer meant for another clone would show. */
export function cloneEvent(n: number): Buffer {
  return Buffer.from(JSON.stringify({ war: "snapstart", clone: n }));
}

/** Takes snapshots into a temporary folder and restores clones of them. */
export class SnapStartLab {
  readonly #snapStart: SnapStart;
  readonly #backend: SnapshotBackend;
  readonly #dir: string;

  private constructor(
    snapStart: SnapStart,
    backend: SnapshotBackend,
    dir: string,
  ) {
    this.#snapStart = snapStart;
    this.#backend = backend;
    this.#dir = dir;
  }

  /**
   * Why snapshots cannot be taken and restored on this machine (not root, no CRIU ≥ 4.2, no
   * thaw-init, no cgroups: the snapshot backend's probe), or undefined when they can.
   */
  static async unavailable(
    options: Pick<SnapStartLabOptions, "cpu"> = {},
  ): Promise<string | undefined> {
    const backend = await createSnapshotBackend(
      options.cpu === undefined ? {} : { cpu: options.cpu },
    );
    const probe = await backend.probe();
    return probe.available
      ? undefined
      : `snapshots do not work here: ${probe.notes.join("; ")}`;
  }

  /**
   * A lab with an empty snapshot cache in a new temporary folder, removed by {@link close}.
   * @throws {SandboxStartError} when CRIU is not found.
   */
  static async open(options: SnapStartLabOptions): Promise<SnapStartLab> {
    const dir = mkdtempSync(join(tmpdir(), "thaw-snapstart-lab-"));
    try {
      const cpu = options.cpu === undefined ? {} : { cpu: options.cpu };
      const snapStart = await openSnapStart({
        snapshotDir: dir,
        fallbackBackend: options.fallbackBackend,
        ...cpu,
      });
      return new SnapStartLab(snapStart, await createSnapshotBackend(cpu), dir);
    } catch (error) {
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
  }

  /**
   * Takes `contestant`'s snapshot at `memoryMB`: its package prepared as `thaw invoke` prepares it,
   * a template initialised and checkpointed.
   * @throws {ColdStartFailure} when the template's init fails.
   * @throws {SandboxStartError} when the template cannot start or the checkpoint fails.
   */
  async snapshot(
    contestant: Contestant,
    memoryMB: number,
  ): Promise<LabSnapshot> {
    const config = createFunctionConfig(functionOf(contestant, memoryMB));
    mkdirSync(THAW_PATHS.packages, { recursive: true });
    const prepared = await prepareFunctionPackage(contestant.packagePath, {
      cacheDir: THAW_PATHS.packages,
    });
    const fn: SnapStartFunction = {
      config,
      launch: resolveRuntime(config, prepared.taskRoot, RUNTIME_DIRS),
      taskRoot: prepared.taskRoot,
      runtimeDir: THAW_PATHS.runtimes,
      packageFingerprint:
        prepared.codeSha256 ?? directoryFingerprint(prepared.taskRoot),
    };
    const log: string[] = [];
    const startedAt = performance.now();
    const outcome = await this.#snapStart.snapshot(fn, collect(log));
    const takenMs = performance.now() - startedAt;
    if (outcome.kind === "init-failed") {
      throw new ColdStartFailure(
        `${contestant.id}: the snapshot's template failed its init (${outcome.cold.init.status}) — log: ${log.join(" | ").slice(0, 600)}`,
      );
    }
    const { snapshot } = outcome;
    return {
      contestant,
      memoryMB,
      fn,
      snapshot,
      templateInitMs: snapshot.initDurationMs,
      dumpMs: snapshot.image.dumpMs,
      imageBytes: snapshot.sizeBytes,
      takenMs,
    };
  }

  /**
   * Restores one clone, sends it `event`, checks its answer and destroys it.
   * @throws {CloneFailure} when the restore or the Invocation fails, or the answer is wrong.
   */
  async restore(snap: LabSnapshot, event: Buffer): Promise<CloneRun> {
    const clone = await this.#answeredClone(snap, event, performance.now());
    await clone.environment.destroy("measured");
    return clone.run;
  }

  /**
   * Restores `parallel` clones at once (clone `i` is sent {@link cloneEvent}(i)), keeps each running
   * until every one has answered, then destroys them all.
   */
  async restoreMany(snap: LabSnapshot, parallel: number): Promise<CloneBatch> {
    const startedAt = performance.now();
    const settled = await Promise.allSettled(
      Array.from({ length: parallel }, (_, i) =>
        this.#answeredClone(snap, cloneEvent(i), startedAt),
      ),
    );
    const wallMs = performance.now() - startedAt;
    const runs: CloneRun[] = [];
    const firstErrors: string[] = [];
    const environments: ExecutionEnvironment[] = [];
    for (const outcome of settled) {
      if (outcome.status === "fulfilled") {
        runs.push(outcome.value.run);
        environments.push(outcome.value.environment);
      } else if (firstErrors.length < FIRST_ERRORS_KEPT) {
        firstErrors.push(reasonOf(outcome.reason));
      }
    }
    await Promise.all(environments.map((e) => e.destroy("measured")));
    return {
      parallel,
      runs,
      errors: parallel - runs.length,
      firstErrors,
      wallMs: runs.length === 0 ? Number.NaN : wallMs,
    };
  }

  /**
   * Restores a clone (also a warm-up) and keeps it running until `release()`: the snapshot
   * backend's fork server, which exits when it has no sandbox left, stays up meanwhile, as the
   * process backend's does for the plain cold starts (`withWarmBackend`).
   * @throws {CloneFailure} when it cannot be restored.
   */
  async hold(snap: LabSnapshot): Promise<{ release(): Promise<void> }> {
    const clone = await this.#answeredClone(
      snap,
      cloneEvent(-1),
      performance.now(),
    );
    return {
      release: () => clone.environment.destroy("released"),
    };
  }

  /** Removes a snapshot from the cache (its image can be large). */
  drop(snap: LabSnapshot): void {
    rmSync(join(this.#dir, snap.snapshot.key), {
      recursive: true,
      force: true,
    });
  }

  /** The temporary folder of the snapshot cache. */
  get folder(): string {
    return this.#dir;
  }

  /** Removes every snapshot and the temporary folder. Idempotent. */
  close(): void {
    rmSync(this.#dir, { recursive: true, force: true });
  }

  /** A clone restored, initialised (restored) and invoked once with `event`, answer checked. */
  async #answeredClone(
    snap: LabSnapshot,
    event: Buffer,
    startedAt: number,
  ): Promise<{ environment: ExecutionEnvironment; run: CloneRun }> {
    const { fn, contestant } = snap;
    const log: string[] = [];
    const onLog = collect(log);
    const failure = (what: string): CloneFailure =>
      new CloneFailure(
        `${contestant.id}: ${what} — log: ${log.join(" | ").slice(0, 600)}`,
      );
    let criuRestoreMs = Number.NaN;
    let environment: ExecutionEnvironment;
    try {
      environment = await ExecutionEnvironment.restore(
        {
          config: fn.config,
          launch: fn.launch,
          taskRoot: fn.taskRoot,
          runtimeDir: fn.runtimeDir,
          onLog,
        },
        async () => {
          const clone = await this.#backend.restore(snap.snapshot.image, {
            memoryMB: fn.config.memorySize,
            onLog: (line) => {
              onLog(line, "function");
            },
          });
          criuRestoreMs = clone.restoreMs;
          return clone;
        },
      );
    } catch (error) {
      throw failure(`the restore failed: ${reasonOf(error)}`);
    }
    try {
      const init = await environment.init();
      if (init.status !== "success") {
        throw failure(
          `the restore ended with ${init.status === "error" ? init.errorType : "a timeout"}`,
        );
      }
      const invocation = await environment.invoke({
        requestId: randomUUID(),
        payload: event,
        restoreDurationMs: init.durationMs,
      });
      const problem = invocation.functionError
        ? `${invocation.errorType ?? "error"}: ${invocation.body.toString("utf8").slice(0, 300)}`
        : answerProblem(contestant, event, invocation.body);
      if (problem !== undefined) throw failure(problem);
      return {
        environment,
        run: {
          restoreMs: init.durationMs,
          criuRestoreMs,
          firstInvokeMs:
            invocation.timings.answeredAt - invocation.timings.dispatchedAt,
          answeredMs: invocation.timings.answeredAt - startedAt,
          maxMemoryUsedMB: invocation.maxMemoryUsedMB ?? 0,
        },
      };
    } catch (error) {
      await environment.destroy("failed").catch(() => undefined);
      throw error;
    }
  }
}

/** A log sink that keeps the first lines, for a failure's message. */
function collect(log: string[]): (line: string, source: LogSource) => void {
  return (line) => {
    if (log.length < LOG_LINES_KEPT) log.push(line);
  };
}
