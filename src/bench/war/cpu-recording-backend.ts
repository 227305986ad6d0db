/**
 * CPU time of sandboxes, for the burst scenario's "CPU seconds". The sandbox port exposes each
 * sandbox's root `pid` and nothing about CPU, and on cgroup v1 thaw makes no `cpuacct` group per
 * sandbox; so the bench wraps the backend: right before a sandbox is destroyed, it sums the CPU time
 * of the sandbox's whole process tree from `/proc`. For each process: the time its live threads
 * spent on a CPU (`/proc/<pid>/task/<tid>/schedstat`, in nanoseconds: a Rust start takes about a
 * millisecond, below the 10 ms tick of `utime`) or, when larger, its `utime + stime` (which also
 * counts threads that have ended); plus `cutime + cstime`, its children already reaped (in ticks:
 * the only record left of them). Nothing in `sandbox/` changes.
 *
 * The tree is walked through `/proc/<pid>/task/<tid>/children`, a few reads per sandbox instead of a
 * scan of every process on the machine, so the measurement adds little to a burst it measures.
 */
import { readFileSync, readdirSync } from "node:fs";
import type {
  DestroyOptions,
  Sandbox,
  SandboxBackend,
  SandboxExit,
  SandboxSpec,
  SandboxState,
  BackendProbe,
  TcpConnection,
} from "../../sandbox/sandbox.js";

/** Clock ticks per second of `/proc/<pid>/stat` times (`getconf CLK_TCK`): 100 on Linux. */
const CLOCK_TICKS_PER_SECOND = 100;

/** Fields of `/proc/<pid>/stat` after the command name, counted from 0 (`man 5 proc`). */
const FIELD = { utime: 11, stime: 12, cutime: 13, cstime: 14 };

/** Nanoseconds on a CPU of one `schedstat` line (its first field). */
export function runNanosOfSchedstat(schedstat: string): number {
  const value = Number(schedstat.split(" ")[0]);
  if (!Number.isFinite(value))
    throw new Error(`Malformed /proc schedstat line: ${schedstat}`);
  return value;
}

/** The CPU ticks of one `/proc/<pid>/stat` line: the process's own, and its reaped children's. */
export function ticksOfStat(stat: string): { own: number; children: number } {
  // The command name is in parentheses and may hold spaces or parentheses itself.
  const fields = stat
    .slice(stat.lastIndexOf(")") + 2)
    .trim()
    .split(" ");
  const field = (index: number): number => {
    const value = Number(fields[index]);
    if (fields[index] === undefined || !Number.isFinite(value))
      throw new Error(`Malformed /proc stat line: ${stat}`);
    return value;
  };
  return {
    own: field(FIELD.utime) + field(FIELD.stime),
    children: field(FIELD.cutime) + field(FIELD.cstime),
  };
}

/**
 * CPU seconds of one process: its threads' run time and its reaped children's; its live children's
 * pids are added to `children`. Throws when the process is gone.
 */
function processCpuSeconds(pid: number, children: number[]): number {
  const dir = `/proc/${String(pid)}`;
  const ticks = ticksOfStat(readFileSync(`${dir}/stat`, "utf8"));
  let threadSeconds = 0;
  for (const tid of readdirSync(`${dir}/task`)) {
    try {
      threadSeconds +=
        runNanosOfSchedstat(
          readFileSync(`${dir}/task/${tid}/schedstat`, "utf8"),
        ) / 1e9;
      const text = readFileSync(`${dir}/task/${tid}/children`, "utf8");
      for (const child of text.split(" ")) {
        if (child.trim() !== "") children.push(Number(child));
      }
    } catch {
      // The thread ended meanwhile: `utime + stime` still counts it.
    }
  }
  return (
    Math.max(threadSeconds, ticks.own / CLOCK_TICKS_PER_SECOND) +
    ticks.children / CLOCK_TICKS_PER_SECOND
  );
}

/**
 * CPU seconds (user + system) of the process tree under `rootPid`, its reaped children included;
 * undefined when the root process is gone.
 */
export function processTreeCpuSeconds(rootPid: number): number | undefined {
  let seconds = 0;
  let found = false;
  const pending = [rootPid];
  for (let pid = pending.pop(); pid !== undefined; pid = pending.pop()) {
    try {
      seconds += processCpuSeconds(pid, pending);
      if (pid === rootPid) found = true;
    } catch {
      // The process ended between the parent's listing and this read.
    }
  }
  return found ? seconds : undefined;
}

/** What a {@link CpuRecordingBackend} has seen. */
export interface CpuTally {
  /** CPU seconds of every sandbox measured, summed. */
  readonly cpuSeconds: number;
  /** Sandboxes measured before their destruction. */
  readonly measured: number;
  /** Sandboxes whose Runtime was gone before it could be measured (it exited by itself). */
  readonly unmeasured: number;
}

/** A backend that measures each sandbox's CPU time right before it is destroyed. */
export class CpuRecordingBackend implements SandboxBackend {
  readonly name: string;
  readonly #inner: SandboxBackend;
  #cpuSeconds = 0;
  #measured = 0;
  #unmeasured = 0;

  constructor(inner: SandboxBackend) {
    this.#inner = inner;
    this.name = inner.name;
  }

  probe(): Promise<BackendProbe> {
    return this.#inner.probe();
  }

  async create(spec: SandboxSpec): Promise<Sandbox> {
    const sandbox = await this.#inner.create(spec);
    return new CpuRecordingSandbox(sandbox, (seconds) => {
      if (seconds === undefined) this.#unmeasured += 1;
      else {
        this.#cpuSeconds += seconds;
        this.#measured += 1;
      }
    });
  }

  /** What was measured so far; {@link reset} starts over. */
  tally(): CpuTally {
    return {
      cpuSeconds: this.#cpuSeconds,
      measured: this.#measured,
      unmeasured: this.#unmeasured,
    };
  }

  reset(): void {
    this.#cpuSeconds = 0;
    this.#measured = 0;
    this.#unmeasured = 0;
  }
}

/** A sandbox that reports its tree's CPU time once, before its first destroy. */
class CpuRecordingSandbox implements Sandbox {
  readonly #inner: Sandbox;
  readonly #report: (seconds: number | undefined) => void;
  #reported = false;

  constructor(inner: Sandbox, report: (seconds: number | undefined) => void) {
    this.#inner = inner;
    this.#report = report;
  }

  get id(): string {
    return this.#inner.id;
  }
  get pid(): number {
    return this.#inner.pid;
  }
  get state(): SandboxState {
    return this.#inner.state;
  }
  get exited(): Promise<SandboxExit> {
    return this.#inner.exited;
  }
  get frozen(): boolean {
    return this.#inner.frozen;
  }
  peakMemoryBytes(): Promise<number | undefined> {
    return this.#inner.peakMemoryBytes();
  }
  ownsConnection(connection: TcpConnection): Promise<boolean> {
    return this.#inner.ownsConnection(connection);
  }
  freeze(): Promise<void> {
    return this.#inner.freeze();
  }
  thaw(): Promise<void> {
    return this.#inner.thaw();
  }
  destroy(reason: string, options?: DestroyOptions): Promise<void> {
    if (!this.#reported) {
      this.#reported = true;
      this.#report(
        this.#inner.state === "running"
          ? processTreeCpuSeconds(this.#inner.pid)
          : undefined,
      );
    }
    return this.#inner.destroy(reason, options);
  }
}
