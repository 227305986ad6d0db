/**
 * The `process` Backend: each ExecutionEnvironment is a Runtime process started through the
 * thaw-exec helper, in its own session, inside its own cgroups where the machine allows.
 */
import { accessSync, constants } from "node:fs";
import { SandboxStartError } from "../../../errors/sandbox-errors.js";
import type {
  BackendProbe,
  SandboxBackend,
  SandboxSpec,
} from "../../sandbox.js";
import { CgroupSet, type CgroupHost } from "./cgroup.js";
import { ProcessSandbox } from "./process-sandbox.js";

/** Options of {@link ProcessBackend}. */
export interface ProcessBackendOptions {
  /** Absolute path of the thaw-exec helper; `scripts/build-native.sh` builds `build/native/thaw-exec`. */
  readonly thawExecPath: string;
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
   * `"auto"` uses cgroups where this machine allows (see {@link ProcessBackend.probe}); `"off"`
   * never does: no memory limit, peak memory approximated by the Runtime's VmHWM.
   * @default "auto"
   */
  readonly cgroups?: "auto" | "off";
}

/** Lambda's limit on processes and threads per execution environment. */
const DEFAULT_PIDS_LIMIT = 1024;
const MIB = 1024 * 1024;

/** Makes sandboxes that are plain child processes, limited and measured by cgroups. */
export class ProcessBackend implements SandboxBackend {
  readonly name = "process";
  readonly #options: ProcessBackendOptions;
  #host: Promise<CgroupHost> | undefined;
  #sequence = 0;

  constructor(options: ProcessBackendOptions) {
    this.#options = options;
  }

  /** Whether thaw-exec is built and which cgroups can be used, with the reasons when not. */
  async probe(): Promise<BackendProbe> {
    const notes: string[] = [];
    let available = process.platform === "linux";
    if (!available)
      notes.push(`the process backend needs Linux, not ${process.platform}`);
    try {
      accessSync(this.#options.thawExecPath, constants.X_OK);
      notes.push(`thaw-exec at ${this.#options.thawExecPath}`);
    } catch {
      available = false;
      notes.push(
        `thaw-exec is missing or not executable at ${this.#options.thawExecPath}: run scripts/build-native.sh`,
      );
    }
    notes.push(...(await this.#cgroupHost()).notes);
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
    this.#sequence += 1;
    const id = `${String(process.pid)}-${String(this.#sequence)}`;
    let cgroup: CgroupSet | undefined;
    if (host.version !== "none") {
      try {
        cgroup = CgroupSet.create(host, `thaw-${id}`, {
          memoryBytes: spec.memoryMB * MIB,
          pidsMax: this.#options.pidsLimit ?? DEFAULT_PIDS_LIMIT,
        });
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        throw new SandboxStartError(
          `cannot make the cgroups of sandbox ${id}: ${message}`,
          { cause: error },
        );
      }
    }
    return ProcessSandbox.start(spec, {
      id,
      thawExecPath: this.#options.thawExecPath,
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
