/**
 * The sandbox port: how an ExecutionEnvironment's process tree is created, observed and destroyed.
 *
 * A Backend (process, namespace, snapshot…) implements {@link SandboxBackend}; the rest of thaw sees
 * only this file. A Sandbox holds one Runtime process and everything it spawns. Its lifecycle is
 * `running → exited` (the Runtime ended by itself) or `running → destroyed` (thaw ended it); both are
 * terminal. `destroy()` is idempotent and always leaves no process, cgroup or temporary folder behind.
 *
 * A running sandbox may also be frozen between Invocations, as Lambda freezes an environment
 * (spec §7): `freeze()` stops every process (no CPU at all; memory, sockets and files are kept),
 * `thaw()` lets them run again. Frozen is not a state of its own but a flag of `running`
 * ({@link Sandbox.frozen}); `destroy()` of a frozen sandbox thaws it first.
 */

/** Where a line of the Runtime's output came from. */
export type LogStream = "stdout" | "stderr";

/** What a sandbox should run. */
export interface SandboxSpec {
  /** Absolute path of the program to execute (the `bootstrap` or an interpreter). */
  readonly command: string;
  readonly args: readonly string[];
  /** Working directory: the function's task root. */
  readonly cwd: string;
  /** The complete environment of the Runtime process; nothing is inherited from thaw. */
  readonly env: Readonly<Record<string, string>>;
  /** Memory limit in MB (Lambda's MemorySize); enforced where the backend can. */
  readonly memoryMB: number;
  /**
   * Size of the function's `/tmp` in MB (Lambda's EphemeralStorage); enforced by backends that give
   * the function a private `/tmp`.
   * @default 512
   */
  readonly tmpMB?: number;
  /**
   * Host folders the Runtime needs besides the task root (`cwd`) and the system's own, from
   * `RuntimeLaunch.readOnlyPaths`; a backend that hides the host shows them read-only.
   * @default []
   */
  readonly readOnlyPaths?: readonly string[];
  /** Called once per line the Runtime writes, without the trailing newline. */
  readonly onLog: (line: string, stream: LogStream) => void;
}

/** How a sandbox's Runtime ended. */
export interface SandboxExit {
  /** Exit code, or null when a signal ended it. */
  readonly code: number | null;
  /** Name of the signal that ended it (`SIGKILL`…), or null. */
  readonly signal: NodeJS.Signals | null;
  /** True when the kernel's out-of-memory killer ended it inside its memory limit. */
  readonly oomKilled: boolean;
}

/** A TCP connection on this machine's loopback, as its server sees it. */
export interface TcpConnection {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
}

/** Sandbox states; `exited` and `destroyed` are terminal. */
export type SandboxState = "running" | "exited" | "destroyed";

/** What a backend can do on this machine, reported by `probe()`. */
export interface BackendProbe {
  readonly available: boolean;
  /** Human-readable facts: which cgroup version, why something is missing and how to fix it. */
  readonly notes: readonly string[];
}

/** One running sandbox. */
export interface Sandbox {
  /** Stable id, used in logs and cgroup names. */
  readonly id: string;
  readonly pid: number;
  readonly state: SandboxState;
  /** Resolves once the Runtime process has ended and its output has been flushed. */
  readonly exited: Promise<SandboxExit>;
  /**
   * Peak memory of the whole process tree since the sandbox started, in bytes, measured by the
   * backend (a cgroup's high-water mark, or the root process's VmHWM where there is no cgroup).
   * Undefined when it cannot be measured.
   */
  peakMemoryBytes(): Promise<number | undefined>;
  /**
   * True when a process of this sandbox opened `connection` (to a port of thaw's on the loopback):
   * how the Runtime API tells its own Runtime from any other process on the machine. False once
   * the sandbox no longer runs, and whenever the backend cannot tell.
   */
  ownsConnection(connection: TcpConnection): Promise<boolean>;
  /** True from a call of {@link freeze} until the next call of {@link thaw}. */
  readonly frozen: boolean;
  /**
   * Stops every process of the sandbox until {@link thaw}: they get no CPU time and no signal
   * handler runs, but keep their memory, open sockets and files. Resolves once the backend has
   * stopped them as far as it can tell (the cgroup freezer reports them frozen; without a
   * freezer, SIGSTOP has been sent to the Runtime's process group, which stops each process
   * before it runs further user code). Peak memory can still be read while frozen. Idempotent:
   * freezing a frozen sandbox returns the same promise. A freeze that fails leaves the sandbox
   * thawed.
   * @throws {IllegalStateError} when the sandbox is not running.
   * @throws {CgroupError} when the freezer did not settle in time.
   */
  freeze(): Promise<void>;
  /**
   * Lets the processes of a frozen sandbox run again; background work resumes where it was. It
   * does not wait for a freeze in progress (an Invocation may be waiting): it undoes it. When the
   * sandbox is not frozen it only waits for a thaw in progress.
   * @throws {IllegalStateError} when the sandbox is not running.
   * @throws {CgroupError} when the freezer did not settle in time.
   */
  thaw(): Promise<void>;
  /**
   * Ends every process of the sandbox: SIGTERM, then SIGKILL after the backend's grace period
   * (0 ms unless given), then releases the sandbox's resources. A frozen sandbox is thawed first,
   * so that its Runtime can handle SIGTERM (and, with the cgroup v1 freezer, so that SIGKILL takes
   * effect at all). Idempotent.
   */
  destroy(reason: string, options?: DestroyOptions): Promise<void>;
}

/** Options of {@link Sandbox.destroy}. */
export interface DestroyOptions {
  /**
   * How long the Runtime may take to exit after SIGTERM before SIGKILL.
   * @default 0
   */
  readonly graceMs?: number;
}

/** A way of making sandboxes. */
export interface SandboxBackend {
  readonly name: string;
  /** What works on this machine. */
  probe(): Promise<BackendProbe>;
  /**
   * Starts the Runtime of `spec` in a new sandbox.
   * @throws {SandboxStartError} when the program cannot be started at all.
   */
  create(spec: SandboxSpec): Promise<Sandbox>;
}
