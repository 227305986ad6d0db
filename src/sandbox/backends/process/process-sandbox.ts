/**
 * One sandbox of the `process` Backend: a Runtime started through thaw-exec, in its own session,
 * optionally inside a {@link CgroupSet}.
 *
 * Lifecycle (states of {@link SandboxState}, changed only in `#transition`):
 *
 * - `running`: from the moment {@link ProcessSandbox.start} resolves, the Runtime program has been
 *   exec'd (thaw-exec's status pipe closed without a word).
 * - `running → exited`: the Runtime ended by itself. Anything it left running in its process
 *   group or cgroup is SIGKILLed (as Lambda tears down the whole environment), output is flushed,
 *   the cgroup removed, then `exited` resolves.
 * - `running → destroyed`: `destroy()` was called. SIGTERM to the process group, up to `graceMs`
 *   for the Runtime to end, SIGKILL to the group and the cgroup, then as above.
 *
 * Both are terminal; `destroy()` on an exited sandbox only waits for the clean-up to finish.
 *
 * Freezing (a flag of `running`, see sandbox.ts): with a cgroup freezer (v1 `freezer.state`, v2
 * `cgroup.freeze`) the whole cgroup is frozen, about 0.2 ms each way; without one, the Runtime's
 * process group gets SIGSTOP and SIGCONT (one signal each way, with no confirmation; a process
 * that left the group is not stopped). A freeze waits for a thaw in progress, but a thaw never
 * waits for a freeze: it undoes it at once, so that an Invocation never waits behind a freeze
 * that does not settle. A freeze that fails leaves the sandbox thawed. `destroy()` of a frozen
 * sandbox thaws it before SIGTERM: a frozen (v1) task does not even die of SIGKILL until thawed.
 */
import { readFileSync } from "node:fs";
import type { Readable } from "node:stream";
import {
  IllegalStateError,
  SandboxCleanupError,
  SandboxStartError,
} from "../../../errors/sandbox-errors.js";
import type {
  DestroyOptions,
  Sandbox,
  SandboxExit,
  SandboxSpec,
  SandboxState,
  TcpConnection,
} from "../../sandbox.js";
import type { CgroupSet } from "./cgroup.js";
import { deferred, delay } from "../../../util/deferred.js";
import type { ForkServer, LaunchedProcess } from "./fork-server.js";
import type { ProgramWrapper, WrappedProgram } from "./program-wrapper.js";
import { LineSplitter } from "./line-splitter.js";
import { anyHoldsSocket, processTree } from "./socket-holders.js";

/**
 * How long, after the Runtime and everything in its group and cgroup were killed, output may take
 * to reach end-of-file before the pipes are closed by force (a process that escaped both, possible
 * only without cgroups, could otherwise hold them open forever).
 */
const STDIO_DRAIN_TIMEOUT_MS = 1000;

/** The file descriptor of thaw-exec's exec-status pipe (see native/thaw-exec.c and thaw-spawner.c). */
const STATUS_FD = 3;

const TRANSITIONS: Readonly<Record<SandboxState, readonly SandboxState[]>> = {
  running: ["exited", "destroyed"],
  exited: [],
  destroyed: [],
};

/**
 * When the phases of {@link ProcessBackend.create} happened, as `performance.now()` values (ms), so
 * that callers can measure a cold start phase by phase.
 */
export interface ProcessSandboxTimings {
  /** `create()` was called. */
  readonly createStartedAt: number;
  /** Right before the launch request to the fork server, after the cgroups were made. */
  readonly spawnStartedAt: number;
  /** The fork server has forked thaw-exec's process and thaw has its pipes. */
  readonly spawnedAt: number;
  /** thaw learned that the Runtime program was exec'd (thaw-exec's status pipe reached end-of-file). */
  readonly runtimeStartedAt: number;
}

/** Options of {@link ProcessSandbox.start}. */
export interface ProcessSandboxStartOptions {
  readonly id: string;
  /** Starts thaw-exec (see fork-server.ts). */
  readonly forkServer: ForkServer;
  /** Wraps the Runtime's program (the namespace backend's bubblewrap); none runs it as it is. */
  readonly wrapper: ProgramWrapper | undefined;
  /** The sandbox's cgroups, made by the caller; this sandbox owns and removes them. */
  readonly cgroup: CgroupSet | undefined;
  /** `performance.now()` when the caller's `create()` began. */
  readonly createStartedAt: number;
}

/** A Runtime process tree started through thaw-exec. */
export class ProcessSandbox implements Sandbox {
  readonly id: string;
  readonly pid: number;
  /** Resolves once the Runtime has ended, output is flushed and the cgroup is removed. */
  readonly exited: Promise<SandboxExit>;
  readonly #exited = deferred<SandboxExit>();
  /** Resolves once the Runtime has been reaped. */
  readonly #exitSeen = deferred<undefined>();
  /** Resolves once the child's pipes have all reached end-of-file (or been destroyed). */
  readonly #closed: Promise<unknown>;
  readonly #child: LaunchedProcess;
  readonly #cgroup: CgroupSet | undefined;
  readonly #forkServer: ForkServer;
  #state: SandboxState = "running";
  #timings: ProcessSandboxTimings;
  /** Set once the Runtime has been reaped. */
  #exitStatus:
    { code: number | null; signal: NodeJS.Signals | null } | undefined;
  #destroying: Promise<void> | undefined;
  /** Highest peak read so far; after the end, the final value. */
  #peak: number | undefined;
  #finished = false;
  #cleanupError: unknown;
  /** The state asked for by the last freeze() or thaw(). */
  #frozen = false;
  /** True from a freeze request until a thaw has succeeded: destroy() must thaw first. */
  #mayBeFrozen = false;
  /** Counts freeze and thaw requests; a freeze that is no longer the latest request gives way. */
  #freezeRequest = 0;
  /** The last freeze, and the last thaw. */
  #freezeOp: Promise<void> = Promise.resolve();
  #thawOp: Promise<void> = Promise.resolve();
  readonly #splitters: readonly LineSplitter[];

  private constructor(
    options: ProcessSandboxStartOptions,
    spec: Pick<SandboxSpec, "onLog">,
    child: LaunchedProcess,
    timings: ProcessSandboxTimings,
  ) {
    this.id = options.id;
    this.pid = child.pid;
    this.#child = child;
    this.#cgroup = options.cgroup;
    this.#forkServer = options.forkServer;
    this.#timings = timings;
    this.exited = this.#exited.promise;
    // Listeners are attached in the same tick as spawn(), so no output and no event is missed.
    const stdout = new LineSplitter((line) => {
      spec.onLog(line, "stdout");
    });
    const stderr = new LineSplitter((line) => {
      spec.onLog(line, "stderr");
    });
    this.#splitters = [stdout, stderr];
    child.stdout.on("data", (chunk: Buffer) => {
      stdout.push(chunk);
    });
    child.stdout.on("end", () => {
      stdout.end();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr.push(chunk);
    });
    child.stderr.on("end", () => {
      stderr.end();
    });
    void child.exited.then((status) => {
      this.#exitStatus =
        options.wrapper?.exitOf(status.code, status.signal) ?? status;
      this.#exitSeen.resolve(undefined);
      void this.#finish();
    });
    const streams = [child.stdout, child.stderr, child.status];
    this.#closed = Promise.all(
      streams.map(
        (stream) =>
          new Promise((resolve) => {
            // An adopted sandbox's exec-status pipe was read to its end (and closed) before.
            if (stream.closed) resolve(undefined);
            else stream.once("close", resolve);
          }),
      ),
    );
    // A read error on a pipe ends that stream ('close' follows), which is all that matters here.
    for (const stream of streams) stream.on("error", () => undefined);
  }

  /**
   * Spawns thaw-exec for `spec` and resolves once the Runtime program runs.
   * @throws {SandboxStartError} when thaw-exec cannot be spawned or cannot exec the program; by
   *   then nothing of the sandbox is left (its cgroup is removed, its output delivered).
   */
  static async start(
    spec: SandboxSpec,
    options: ProcessSandboxStartOptions,
  ): Promise<ProcessSandbox> {
    // No --parent: thaw-spawner's child already set PR_SET_PDEATHSIG and checked its parent before
    // exec'ing thaw-exec, so thaw-exec's own check (its parent at entry) closes the race.
    const program: WrappedProgram = options.wrapper?.wrap(spec) ?? spec;
    const args = ["--status-fd", String(STATUS_FD)];
    // A wrapped program hands the status pipe on to an inner thaw-exec, which reports on it.
    if (options.wrapper !== undefined) args.push("--pass-status-fd");
    for (const file of options.cgroup?.procsFiles ?? [])
      args.push("--cgroup-procs", file);
    args.push("--", program.command, ...program.args);

    const spawnStartedAt = performance.now();
    let child: LaunchedProcess;
    try {
      // stdin is /dev/null (closed on Lambda); thaw-exec calls setsid() itself.
      child = await options.forkServer.launch({
        args,
        cwd: program.cwd,
        env: program.env,
        ...(program.network === undefined ? {} : { network: program.network }),
      });
    } catch (error) {
      // thaw-spawner missing or unable to fork; or arguments it cannot carry (a NUL byte).
      await options.cgroup?.remove().catch(() => undefined);
      throw new SandboxStartError(
        `cannot start ${spec.command}: ${messageOf(error)}`,
        { cause: error },
      );
    }
    const spawnedAt = performance.now();
    const status = child.status;
    const timings = {
      createStartedAt: options.createStartedAt,
      spawnStartedAt,
      spawnedAt,
      runtimeStartedAt: spawnedAt,
    };
    const sandbox = new ProcessSandbox(options, spec, child, timings);
    const failure = await readToEnd(status);
    sandbox.#timings = { ...timings, runtimeStartedAt: performance.now() };
    if (failure !== "") {
      const exit = await sandbox.exited;
      // thaw-exec exits 126 (cannot execute) or 127 (not found) when the program itself is bad.
      throw new SandboxStartError(
        `${failure.trim()} (exit code ${String(exit.code)})`,
        { entrypoint: exit.code === 126 || exit.code === 127 },
      );
    }
    return sandbox;
  }

  /**
   * A sandbox for a process tree that runs already, started by other means than thaw-exec (a
   * clone that `criu restore` left behind): `child` has its root's pid, the pipes of its output and
   * its exit. The caller made `options.cgroup` and put the tree in it.
   */
  static adopt(
    spec: Pick<SandboxSpec, "onLog">,
    options: ProcessSandboxStartOptions,
    child: LaunchedProcess,
  ): ProcessSandbox {
    const now = performance.now();
    return new ProcessSandbox(options, spec, child, {
      createStartedAt: options.createStartedAt,
      spawnStartedAt: options.createStartedAt,
      spawnedAt: now,
      runtimeStartedAt: now,
    });
  }

  get state(): SandboxState {
    return this.#state;
  }

  /** When the phases of `create()` happened (see {@link ProcessSandboxTimings}). */
  get timings(): ProcessSandboxTimings {
    return this.#timings;
  }

  /** The sandbox's cgroup directories (empty without cgroups); for diagnostics and tests. */
  get cgroupPaths(): readonly string[] {
    return this.#cgroup?.paths ?? [];
  }

  /**
   * Peak memory of the sandbox in bytes. With cgroups: the kernel's high-water mark of the whole
   * tree, exact, and kept after the end. Without: the Runtime process's own VmHWM
   * (/proc/<pid>/status), read at each call while it runs; an approximation that misses its child
   * processes, and after the end the last value read.
   */
  peakMemoryBytes(): Promise<number | undefined> {
    if (!this.#finished) this.#samplePeak();
    return Promise.resolve(this.#peak);
  }

  /**
   * True when a process of this sandbox opened `connection`: the fork server's relay for it (an
   * isolated network), or a socket made in its cgroup v2. Without a cgroup v2 the socket must be
   * held by one of its processes (its cgroup's, or the Runtime's process tree). False when it is no
   * longer running, or when the kernel could not tell.
   */
  async ownsConnection(connection: TcpConnection): Promise<boolean> {
    if (this.#state !== "running") return false;
    const owner = await this.#forkServer.identify(connection);
    if (owner.kind === "relay") return owner.pid === this.pid;
    if (owner.kind !== "socket") return false;
    const cgroupId = this.#cgroup?.cgroupId();
    if (cgroupId !== undefined && owner.cgroupId !== 0n)
      return owner.cgroupId === cgroupId;
    return anyHoldsSocket(
      this.#cgroup?.pids() ?? processTree(this.pid),
      owner.inode,
    );
  }

  /** True from a call of freeze() until the next call of thaw() (or the sandbox's end). */
  get frozen(): boolean {
    return this.#frozen;
  }

  /**
   * Stops every process of the sandbox: the cgroup freezer where there is one, resolving once the
   * kernel reports the cgroup frozen; else SIGSTOP to the Runtime's process group, resolving once
   * it is sent. Idempotent: while frozen, returns the promise of the freeze. A freeze that fails
   * leaves the sandbox thawed.
   * @throws {IllegalStateError} when the sandbox is not running.
   * @throws {CgroupError} when the cgroup did not become frozen within 1 s.
   */
  freeze(): Promise<void> {
    return this.#requestFrozen(true);
  }

  /**
   * Lets the processes of a frozen sandbox run again (cgroup thaw, or SIGCONT). A freeze in
   * progress is not waited for but undone (it then resolves or rejects on its own). When the
   * sandbox is not frozen, returns the last thaw's promise.
   * @throws {IllegalStateError} when the sandbox is not running.
   * @throws {CgroupError} when the cgroup did not become thawed within 1 s.
   */
  thaw(): Promise<void> {
    return this.#requestFrozen(false);
  }

  #requestFrozen(frozen: boolean): Promise<void> {
    if (this.#state !== "running") {
      return Promise.reject(
        new IllegalStateError(
          `sandbox ${this.id} is ${this.#state}: cannot ${frozen ? "freeze" : "thaw"} it`,
        ),
      );
    }
    if (frozen) {
      if (this.#frozen) return this.#freezeOp;
      this.#frozen = true;
      this.#mayBeFrozen = true;
      const request = ++this.#freezeRequest;
      // After a thaw in progress, so that the two writes land in order.
      this.#freezeOp = this.#thawOp
        .catch(() => undefined)
        .then(() => this.#freezeNow(request));
      return this.#freezeOp;
    }
    if (!this.#frozen) return this.#thawOp;
    this.#frozen = false;
    ++this.#freezeRequest;
    // Not after a freeze in progress: the thaw undoes it at once, so that an Invocation never
    // waits behind a freeze that does not settle (see #freezeNow).
    this.#thawOp = this.#thawNow();
    return this.#thawOp;
  }

  async #freezeNow(request: number): Promise<void> {
    // A thaw was asked for before this freeze could begin.
    if (request !== this.#freezeRequest) return;
    // A thaw or a destroy asked for meanwhile supersedes this freeze: stop waiting for it.
    const wanted = (): boolean => request === this.#freezeRequest;
    try {
      await this.#setFrozen(true, wanted);
    } catch (error) {
      // Superseded, it failed because it was overtaken (the cgroup thawed or removed): moot.
      if (!wanted()) return;
      // For example a cgroup v1 freezer stuck in FREEZING: a child forked with vfork() was frozen
      // before its exec, and its parent, waiting for it in the kernel, cannot be frozen. The
      // sandbox is left running rather than half frozen.
      this.#frozen = false;
      ++this.#freezeRequest;
      this.#thawOp = this.#thawNow();
      await this.#thawOp.catch(() => undefined);
      throw error;
    }
  }

  async #thawNow(): Promise<void> {
    await this.#setFrozen(false);
    if (!this.#frozen) this.#mayBeFrozen = false;
  }

  async #setFrozen(
    frozen: boolean,
    wanted: () => boolean = () => true,
  ): Promise<void> {
    const cgroup = this.#cgroup;
    if (cgroup?.canFreeze === true) {
      if (frozen) await cgroup.freeze(wanted);
      else await cgroup.thaw();
    } else {
      // No confirmation to wait for: a sleeping or blocked process takes the pending SIGSTOP before
      // it runs another user-space instruction, a running one within microseconds. (Waiting for
      // the Runtime to show as stopped would be wrong: blocked in vfork() for a child that was
      // stopped before its exec, it stays in state D.)
      this.#signalGroup(frozen ? "SIGSTOP" : "SIGCONT");
    }
  }

  /**
   * Before the end of a sandbox that may be frozen: let it run at once (a freeze in progress is
   * not waited for), so that SIGTERM is handled and SIGKILL takes effect.
   */
  async #thawBeforeExit(): Promise<void> {
    if (!this.#mayBeFrozen) return;
    this.#frozen = false;
    ++this.#freezeRequest;
    try {
      await this.#setFrozen(false);
    } catch {
      // The kills that follow still work: CgroupSet.killAll() thaws the cgroup again.
    }
  }

  /**
   * Ends every process of the sandbox and removes its cgroup; see the lifecycle above. Idempotent:
   * later calls return the first call's promise.
   * @throws {SandboxCleanupError} when processes or the cgroup could not be removed (stuck in the kernel); the
   *   sandbox is still ended as far as possible.
   */
  destroy(reason: string, options: DestroyOptions = {}): Promise<void> {
    this.#destroying ??= this.#destroy(reason, options.graceMs ?? 0);
    return this.#destroying;
  }

  async #destroy(reason: string, graceMs: number): Promise<void> {
    if (this.#state === "running") {
      this.#transition("destroyed");
      await this.#thawBeforeExit();
      this.#signalGroup("SIGTERM");
      if (graceMs > 0) await settlesWithin(this.#exitSeen.promise, graceMs);
      this.#signalGroup("SIGKILL");
      for (const pid of this.#cgroup?.pids() ?? []) killQuietly(pid, "SIGKILL");
    }
    await this.exited;
    if (this.#cleanupError !== undefined) {
      throw new SandboxCleanupError(
        `sandbox ${this.id} (destroyed: ${reason}) was not cleaned up`,
        { cause: this.#cleanupError },
      );
    }
  }

  /** After the Runtime was reaped: kill what is left, flush output, read the final figures, remove. */
  async #finish(): Promise<void> {
    const { code, signal } = this.#exitStatus ?? { code: null, signal: null };
    if (this.#state === "running") this.#transition("exited");
    const problems: unknown[] = [];
    this.#signalGroup("SIGKILL");
    try {
      await this.#cgroup?.killAll();
    } catch (error) {
      problems.push(error);
    }
    if (!(await settlesWithin(this.#closed, STDIO_DRAIN_TIMEOUT_MS))) {
      const child = this.#child;
      for (const stream of [child.stdout, child.stderr, child.status])
        stream.destroy();
      for (const splitter of this.#splitters) splitter.end();
      await this.#closed;
    }
    const oomKilled = (this.#cgroup?.oomKillCount() ?? 0) > 0;
    if (this.#cgroup !== undefined) this.#samplePeak();
    this.#finished = true;
    try {
      await this.#cgroup?.remove();
    } catch (error) {
      problems.push(error);
    }
    this.#cleanupError = problems[0];
    this.#exited.resolve({ code, signal, oomKilled });
  }

  #samplePeak(): void {
    let sample: number | undefined;
    if (this.#cgroup !== undefined) {
      sample = this.#cgroup.peakMemoryBytes();
    } else if (this.#exitStatus === undefined) {
      // Only while the Runtime is unreaped: afterwards its pid may belong to another process.
      sample = readVmHwm(this.pid);
    }
    if (sample !== undefined) this.#peak = Math.max(this.#peak ?? 0, sample);
  }

  /** Signals the Runtime's process group (its pid, since thaw-exec made it a session leader). */
  #signalGroup(signal: NodeJS.Signals): void {
    killQuietly(-this.pid, signal);
  }

  #transition(to: SandboxState): void {
    if (!TRANSITIONS[this.#state].includes(to)) {
      throw new IllegalStateError(
        `sandbox ${this.id}: cannot go from ${this.#state} to ${to}`,
      );
    }
    this.#state = to;
  }
}

/** Resolves true when `promise` settles within `ms`, false otherwise; leaves no timer behind. */
async function settlesWithin(
  promise: Promise<unknown>,
  ms: number,
): Promise<boolean> {
  const timeout = delay(ms, false);
  try {
    return await Promise.race([promise.then(() => true), timeout.promise]);
  } finally {
    timeout.cancel();
  }
}

/** Reads a stream to its end (or its destruction) as UTF-8 text. */
function readToEnd(stream: Readable): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const done = (): void => {
      resolve(Buffer.concat(chunks).toString("utf8"));
    };
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.once("end", done);
    stream.once("close", done);
    stream.once("error", done);
  });
}

function readVmHwm(pid: number): number | undefined {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(
      readFileSync(`/proc/${String(pid)}/status`, "utf8"),
    );
    return match?.[1] === undefined ? undefined : Number(match[1]) * 1024;
  } catch {
    return undefined;
  }
}

function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // ESRCH: nothing left to signal.
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
