/**
 * The `process` Backend: each ExecutionEnvironment is a Runtime process started through the
 * thaw-exec helper (forked by the thaw-spawner fork server), in its own session, inside its own
 * cgroups where the machine allows.
 */
import { accessSync, constants } from "node:fs";
import { availableParallelism } from "node:os";
import { SandboxStartError } from "../../../errors/sandbox-errors.js";
import type {
  BackendProbe,
  SandboxBackend,
  SandboxSpec,
} from "../../sandbox.js";
import { CgroupSet, type CgroupHost } from "./cgroup.js";
import { ForkServer } from "./fork-server.js";
import type { ProgramWrapper } from "./program-wrapper.js";
import { ProcessSandbox } from "./process-sandbox.js";

/** Options of {@link ProcessBackend}. */
export interface ProcessBackendOptions {
  /** Absolute path of the thaw-exec helper; `scripts/build-native.sh` builds `build/native/thaw-exec`. */
  readonly thawExecPath: string;
  /** Absolute path of the fork server that starts thaw-exec: `build/native/thaw-spawner`. */
  readonly thawSpawnerPath: string;
  /**
   * The backend's name, and what wraps the Runtime's program: the namespace backend is this one
   * with bubblewrap around the Runtime.
   * @default { name: "process", wrapper: undefined }
   */
  readonly variant?: {
    readonly name: string;
    readonly wrapper: ProgramWrapper;
    /** Checks of the wrapper's own, added to `probe()`'s. */
    readonly probe: () => Promise<BackendProbe>;
  };
  /**
   * Path, relative to the cgroup thaw runs in (per controller), under which each sandbox's cgroup
   * `thaw-<thaw's pid>-<n>` is made. Created when missing, never removed.
   * @default "" (directly in thaw's own cgroup)
   */
  readonly cgroupParent?: string;
  /**
   * Maximum number of tasks (processes and threads together) in one sandbox; Lambda's quota is
   * 1,024 processes/threads per execution environment.
   * @default 1024
   */
  readonly pidsLimit?: number;
  /**
   * Each sandbox's CPU is Lambda's, in proportion to its memory (1,769 MB is one vCPU, 10,240 MB
   * about six), capped at this machine's cores. `"shares"` makes it a weight: sandboxes that compete
   * for the cores divide them in that proportion, and one alone may use them all. `"quota"` makes it
   * a hard limit, as on Lambda, where a 128 MB function gets 7 % of a vCPU: CPU-bound code (and
   * a cold start) then takes as long as there.
   * @default "shares"
   */
  readonly cpu?: "shares" | "quota";
  /**
   * `"auto"` uses cgroups where this machine allows (see {@link ProcessBackend.probe}); `"off"`
   * never does: no memory limit, peak memory approximated by the Runtime's VmHWM.
   * @default "auto"
   */
  readonly cgroups?: "auto" | "off";
}

/**
 * Numbers the sandboxes of this process, across every backend in it: sandbox ids, and so cgroup
 * names (`thaw-<pid>-<n>`), must not collide when two backends coexist.
 */
let sandboxSequence = 0;

/** Lambda's memory size that buys one full vCPU. */
const MB_PER_VCPU = 1769;

/** Lambda's CPU for `memoryMB`: in proportion to memory, at most this machine's cores. */
export function lambdaCpus(memoryMB: number): number {
  return Math.min(memoryMB / MB_PER_VCPU, availableParallelism());
}

/** Lambda's limit on processes and threads per execution environment. */
const DEFAULT_PIDS_LIMIT = 1024;
const MIB = 1024 * 1024;

/** A new sandbox id, `<thaw's pid>-<n>`, unique in this process across every backend. */
export function nextSandboxId(): string {
  sandboxSequence += 1;
  return `${String(process.pid)}-${String(sandboxSequence)}`;
}

/**
 * Makes the cgroups `thaw-<id>` of a sandbox with `memoryMB` (none where `host` has no cgroups):
 * its memory limit, Lambda's process quota and CPU in proportion to memory.
 * @throws {SandboxStartError} when they cannot be made.
 */
export function sandboxCgroup(
  host: CgroupHost,
  id: string,
  memoryMB: number,
  options: Pick<ProcessBackendOptions, "pidsLimit" | "cpu">,
): CgroupSet | undefined {
  if (host.version === "none") return undefined;
  try {
    return CgroupSet.create(host, `thaw-${id}`, {
      memoryBytes: memoryMB * MIB,
      pidsMax: options.pidsLimit ?? DEFAULT_PIDS_LIMIT,
      cpu: { cpus: lambdaCpus(memoryMB), as: options.cpu ?? "shares" },
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new SandboxStartError(
      `cannot make the cgroups of sandbox ${id}: ${message}`,
      { cause: error },
    );
  }
}

/** Makes sandboxes that are plain child processes, limited and measured by cgroups. */
export class ProcessBackend implements SandboxBackend {
  readonly name: string;
  readonly #options: ProcessBackendOptions;
  readonly #forkServer: ForkServer;
  #host: Promise<CgroupHost> | undefined;

  constructor(options: ProcessBackendOptions) {
    this.#options = options;
    this.name = options.variant?.name ?? "process";
    this.#forkServer = new ForkServer(
      options.thawSpawnerPath,
      options.thawExecPath,
    );
  }

  /** Whether thaw-exec is built and which cgroups can be used, with the reasons when not. */
  async probe(): Promise<BackendProbe> {
    const notes: string[] = [];
    let available = process.platform === "linux";
    if (!available)
      notes.push(`the process backend needs Linux, not ${process.platform}`);
    for (const [name, path] of [
      ["thaw-exec", this.#options.thawExecPath],
      ["thaw-spawner", this.#options.thawSpawnerPath],
    ] as const) {
      try {
        accessSync(path, constants.X_OK);
        notes.push(`${name} at ${path}`);
      } catch {
        available = false;
        notes.push(
          `${name} is missing or not executable at ${path}: run scripts/build-native.sh`,
        );
      }
    }
    notes.push(...(await this.#cgroupHost()).notes);
    const variant = await this.#options.variant?.probe();
    if (variant !== undefined) {
      available &&= variant.available;
      notes.push(...variant.notes);
    }
    return { available, notes };
  }

  /**
   * Makes the sandbox's cgroups, spawns thaw-exec and resolves once the Runtime program runs.
   * Cgroups are detected on the first call (or `probe()`), once. Call it on the main thread: the
   * Runtime is killed when the thread that spawned it ends (PR_SET_PDEATHSIG follows threads).
   * @throws {SandboxStartError} when `spec.memoryMB` is not a positive integer, the cgroups cannot
   *   be made, or thaw-exec cannot be spawned or cannot exec the program.
   */
  async create(spec: SandboxSpec): Promise<ProcessSandbox> {
    const createStartedAt = performance.now();
    if (!Number.isSafeInteger(spec.memoryMB) || spec.memoryMB <= 0) {
      throw new SandboxStartError(
        `memoryMB must be a positive integer, got ${String(spec.memoryMB)}`,
      );
    }
    const host = await this.#cgroupHost();
    const id = nextSandboxId();
    const cgroup = sandboxCgroup(host, id, spec.memoryMB, this.#options);
    return ProcessSandbox.start(spec, {
      id,
      forkServer: this.#forkServer,
      wrapper: this.#options.variant?.wrapper,
      cgroup,
      createStartedAt,
    });
  }

  #cgroupHost(): Promise<CgroupHost> {
    this.#host ??=
      this.#options.cgroups === "off"
        ? Promise.resolve({
            version: "none",
            notes: ['cgroups switched off (cgroups: "off")'],
          })
        : CgroupSet.detect(
            this.#options.cgroupParent === undefined
              ? {}
              : { parent: this.#options.cgroupParent },
          );
    return this.#host;
  }
}
