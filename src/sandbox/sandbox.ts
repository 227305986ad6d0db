/**
 * The sandbox port: how an ExecutionEnvironment's process tree is created, observed and destroyed.
 *
 * A Backend (process, namespace, snapshot…) implements {@link SandboxBackend}; the rest of thaw sees
 * only this file. A Sandbox holds one Runtime process and everything it spawns. Its lifecycle is
 * `running → exited` (the Runtime ended by itself) or `running → destroyed` (thaw ended it); both are
 * terminal. `destroy()` is idempotent and always leaves no process, cgroup or temporary folder behind.
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
   * Ends every process of the sandbox: SIGTERM, then SIGKILL after the backend's grace period
   * (0 ms unless given), then releases the sandbox's resources. Idempotent.
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
