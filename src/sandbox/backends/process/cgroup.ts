/**
 * One ExecutionEnvironment's cgroup set: where it is made, its limits, what it measures, and how
 * everything inside it is killed and the set removed.
 *
 * Both cgroup interfaces are supported and the one in use is detected once, at start, by
 * {@link CgroupSet.detect}:
 *
 * | concern        | v1 (one hierarchy per controller)               | v2 (unified)                      |
 * |----------------|-------------------------------------------------|-----------------------------------|
 * | memory limit   | `memory.limit_in_bytes` (+ `memory.memsw.…`)    | `memory.max`, `memory.swap.max=0` |
 * | peak memory    | `memory.max_usage_in_bytes`                     | `memory.peak`, else `memory.current` sampled |
 * | OOM kills      | `memory.oom_control` → `oom_kill N`             | `memory.events` → `oom_kill N`    |
 * | processes      | `pids.max`                                      | `pids.max`                        |
 * | freeze         | `freezer.state`                                 | `cgroup.freeze`                   |
 * | kill all       | SIGKILL each pid of `cgroup.procs` until empty  | `cgroup.kill`, else the same loop |
 *
 * Each sandbox's cgroups are made under the cgroup thaw itself runs in, per controller, read from
 * `/proc/self/cgroup` (on v1 hosts the memory controller often places thaw in a non-root group, and
 * children must stay under it to stay inside its limits). Directory names start with
 * `thaw-<pid of the owning thaw>-`, so that a later start can find and remove what a crashed thaw
 * left behind.
 *
 * File operations here are synchronous on purpose: cgroupfs reads and writes are in-kernel and take
 * microseconds, where each asynchronous call would cost a thread-pool round trip on the spawn path.
 */
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { CgroupError } from "../../../errors/sandbox-errors.js";

/** The cgroup interface sandboxes use on this machine. */
export type CgroupVersion = "v1" | "v2";

/** The controllers thaw uses; `memory` is required, the others are used where available. */
export type CgroupController = "memory" | "cpu" | "pids" | "freezer";

/** Where sandbox cgroups are made on this machine, as found by {@link CgroupSet.detect}. */
export type CgroupHost =
  | {
      readonly version: CgroupVersion;
      /** Per controller, the directory under which sandbox cgroups are made (all equal on v2). */
      readonly parents: Readonly<Partial<Record<CgroupController, string>>>;
      /** Facts worth telling a user (which controllers, what was missing, stale groups removed). */
      readonly notes: readonly string[];
    }
  | { readonly version: "none"; readonly notes: readonly string[] };

/** Options of {@link CgroupSet.detect}. */
export interface CgroupDetectOptions {
  /**
   * Path, relative to the cgroup thaw runs in (per controller), under which sandbox cgroups are
   * made. Created when missing and never removed. Empty: directly in thaw's own cgroup.
   * @default ""
   */
  readonly parent?: string;
  /**
   * Mount table to read (a test seam).
   * @default "/proc/self/mountinfo"
   */
  readonly mountinfoPath?: string;
  /**
   * Cgroup membership to read (a test seam).
   * @default "/proc/self/cgroup"
   */
  readonly procCgroupPath?: string;
}

/** Limits of one sandbox. */
export interface CgroupLimits {
  /** Memory limit of the whole tree, in bytes; swap is not allowed on top of it. */
  readonly memoryBytes: number;
  /** Maximum number of tasks (processes and threads) of the whole tree. */
  readonly pidsMax: number;
  /**
   * The tree's CPU, in CPUs (0.5 = half of one); undefined to leave CPU alone. As a `quota`, a hard
   * CFS bandwidth limit (`cpu.cfs_quota_us` on v1, `cpu.max` on v2); as `shares`, a weight
   * (`cpu.shares`, 1,024 per CPU; `cpu.weight`, 100 per CPU) that divides the CPU in proportion
   * when sandboxes compete and lets one alone use every core.
   */
  readonly cpu?: { readonly cpus: number; readonly as: "quota" | "shares" };
}

/** The CFS period the CPU quota is expressed in: the kernel's default, 100 ms. */
const CPU_PERIOD_US = 100_000;
/** The kernel's smallest quota. */
const MIN_CPU_QUOTA_US = 1_000;

/** Name prefix of every cgroup thaw makes; the owner's pid follows. */
const NAME_PREFIX = "thaw-";
const CONTROLLERS: readonly CgroupController[] = [
  "memory",
  "cpu",
  "pids",
  "freezer",
];
/** How long {@link CgroupSet.killAll} keeps killing before it gives up. */
const KILL_TIMEOUT_MS = 2000;
/** How long {@link CgroupSet.remove} retries a busy directory. */
const REMOVE_TIMEOUT_MS = 1000;
/**
 * How long a freeze or thaw may take to settle. A freeze normally settles in ~0.25 ms; on cgroup v1
 * one that lands while a process is between vfork() and exec never settles (the vfork parent cannot
 * be frozen), so give up soon: the sandbox thaws back and the pool replaces the environment.
 */
const FREEZE_TIMEOUT_MS = 100;
const POLL_MS = 1;

/** The cgroups of one sandbox, one directory per controller hierarchy (one in all on v2). */
export class CgroupSet {
  /** The `cgroup.procs` files a process writes its pid into to join the whole set. */
  readonly procsFiles: readonly string[];
  readonly version: CgroupVersion;
  readonly #dirs: Readonly<Partial<Record<CgroupController, string>>>;
  /** Highest `memory.current` seen, where the kernel has no `memory.peak` (v2 before 5.19). */
  #sampledPeak = 0;
  #removed = false;

  private constructor(
    version: CgroupVersion,
    dirs: Partial<Record<CgroupController, string>>,
  ) {
    this.version = version;
    this.#dirs = dirs;
    this.procsFiles = uniqueDirs(dirs).map((dir) => join(dir, "cgroup.procs"));
  }

  /** The directories of this set (for diagnostics and tests). */
  get paths(): readonly string[] {
    return uniqueDirs(this.#dirs);
  }

  /**
   * Finds out once where sandbox cgroups can be made: which interface holds the memory controller,
   * where thaw's own cgroup is, whether it is writable (by making and removing a probe group).
   * Removes cgroups left by a thaw process that no longer runs. Never throws: where cgroups cannot
   * be used, the result is `version: "none"` with the reason in `notes`.
   */
  static async detect(options: CgroupDetectOptions = {}): Promise<CgroupHost> {
    const parent = options.parent ?? "";
    if (parent.startsWith("/") || parent.split("/").includes("..")) {
      return none(
        `cgroup parent "${parent}" must be a relative path without ".."`,
      );
    }
    let mounts: MountEntry[];
    let membership: Map<string, string>;
    try {
      mounts = parseMountinfo(
        readFileSync(options.mountinfoPath ?? "/proc/self/mountinfo", "utf8"),
      );
      membership = parseProcCgroup(
        readFileSync(options.procCgroupPath ?? "/proc/self/cgroup", "utf8"),
      );
    } catch (error) {
      return none(
        `cannot read the mount table or /proc/self/cgroup: ${messageOf(error)}`,
      );
    }
    const v2 = findV2(mounts, membership);
    const host =
      v2 !== undefined && v2.controllers.includes("memory")
        ? prepareV2(v2.dir, v2.controllers, parent)
        : prepareV1(mounts, membership, parent, v2);
    if (host.version !== "none") {
      const reaped = await CgroupSet.#reapStale(host.version, host.parents);
      if (reaped > 0)
        host.notes.push(
          `removed ${reaped} cgroup(s) left by a thaw process that ended`,
        );
    }
    return host;
  }

  /** Kills and removes `thaw-<pid>-…` groups whose owning thaw process has ended. */
  static async #reapStale(
    version: CgroupVersion,
    parents: Readonly<Partial<Record<CgroupController, string>>>,
  ): Promise<number> {
    const stale = new Set<string>();
    const byName = new Map<string, Partial<Record<CgroupController, string>>>();
    for (const controller of CONTROLLERS) {
      const parent = parents[controller];
      if (parent === undefined) continue;
      for (const name of listQuietly(parent)) {
        const owner = /^thaw-(\d+)-/.exec(name)?.[1];
        if (
          owner === undefined ||
          Number(owner) === process.pid ||
          isAlive(Number(owner))
        )
          continue;
        stale.add(name);
        byName.set(name, {
          ...byName.get(name),
          [controller]: join(parent, name),
        });
      }
    }
    let reaped = 0;
    for (const name of stale) {
      const set = new CgroupSet(version, byName.get(name) ?? {});
      try {
        await set.killAll();
        await set.remove();
        reaped++;
      } catch {
        // Left for the next start; it is harmless until then.
      }
    }
    return reaped;
  }

  /**
   * Makes the cgroups of one sandbox named `name` and applies `limits`.
   * @throws {Error} (a Node.js system error) when a directory or limit cannot be written; the
   *   directories made so far are removed first.
   */
  static create(
    host: CgroupHost,
    name: string,
    limits: CgroupLimits,
  ): CgroupSet {
    if (host.version === "none")
      throw new CgroupError("cgroups are not available on this machine");
    const dirs: Partial<Record<CgroupController, string>> = {};
    for (const controller of CONTROLLERS) {
      const parent = host.parents[controller];
      if (parent !== undefined) dirs[controller] = join(parent, name);
    }
    const set = new CgroupSet(host.version, dirs);
    const made: string[] = [];
    try {
      for (const dir of set.paths) {
        mkdirSync(dir);
        made.push(dir);
      }
      set.#applyLimits(limits);
    } catch (error) {
      // Only what this call made: a directory that already existed belongs to someone else.
      for (const dir of made.toReversed()) rmdirQuietly(dir);
      throw error;
    }
    return set;
  }

  #applyLimits(limits: CgroupLimits): void {
    const memory = String(limits.memoryBytes);
    const memoryDir = this.#dir("memory");
    if (this.version === "v1") {
      // memsw (memory + swap) must be written after, and be at least, the memory limit.
      writeFileSync(join(memoryDir, "memory.limit_in_bytes"), memory);
      writeIfPresent(join(memoryDir, "memory.memsw.limit_in_bytes"), memory);
    } else {
      writeFileSync(join(memoryDir, "memory.max"), memory);
      writeIfPresent(join(memoryDir, "memory.swap.max"), "0");
    }
    const pidsDir = this.#dirs.pids;
    if (pidsDir !== undefined)
      writeFileSync(join(pidsDir, "pids.max"), String(limits.pidsMax));
    const cpuDir = this.#dirs.cpu;
    const cpu = limits.cpu;
    if (cpuDir !== undefined && cpu !== undefined) {
      const v1 = this.version === "v1";
      if (cpu.as === "quota") {
        const quota = String(
          Math.max(MIN_CPU_QUOTA_US, Math.round(cpu.cpus * CPU_PERIOD_US)),
        );
        if (v1) {
          writeFileSync(
            join(cpuDir, "cpu.cfs_period_us"),
            String(CPU_PERIOD_US),
          );
          writeFileSync(join(cpuDir, "cpu.cfs_quota_us"), quota);
        } else {
          writeFileSync(
            join(cpuDir, "cpu.max"),
            `${quota} ${String(CPU_PERIOD_US)}`,
          );
        }
      } else if (v1) {
        writeFileSync(
          join(cpuDir, "cpu.shares"),
          String(Math.max(2, Math.round(cpu.cpus * 1024))),
        );
      } else {
        writeFileSync(
          join(cpuDir, "cpu.weight"),
          String(Math.min(10_000, Math.max(1, Math.round(cpu.cpus * 100)))),
        );
      }
    }
  }

  /** The CPU quota in force, in CPUs; undefined without one (or without a cpu controller). */
  cpuQuota(): number | undefined {
    const cpuDir = this.#dirs.cpu;
    if (cpuDir === undefined) return undefined;
    const [quota, period] =
      this.version === "v1"
        ? [
            readFileSync(join(cpuDir, "cpu.cfs_quota_us"), "utf8").trim(),
            readFileSync(join(cpuDir, "cpu.cfs_period_us"), "utf8").trim(),
          ]
        : readFileSync(join(cpuDir, "cpu.max"), "utf8").trim().split(" ");
    if (quota === undefined || quota === "max" || quota === "-1")
      return undefined;
    return Number(quota) / Number(period);
  }

  /**
   * Peak memory use of the whole set since it was made, in bytes: the kernel's high-water mark
   * (`memory.max_usage_in_bytes` on v1, `memory.peak` on v2); on v2 kernels without `memory.peak`,
   * the highest `memory.current` seen by the calls of this method (an approximation).
   * Undefined once the set has been removed, or when the file cannot be read.
   */
  peakMemoryBytes(): number | undefined {
    if (this.#removed) return undefined;
    const dir = this.#dir("memory");
    try {
      if (this.version === "v1")
        return readNumber(join(dir, "memory.max_usage_in_bytes"));
      const peakFile = join(dir, "memory.peak");
      if (existsSync(peakFile)) return readNumber(peakFile);
      this.#sampledPeak = Math.max(
        this.#sampledPeak,
        readNumber(join(dir, "memory.current")),
      );
      return this.#sampledPeak;
    } catch {
      return undefined;
    }
  }

  /** How many processes the kernel's OOM killer has killed in this set (0 once removed). */
  oomKillCount(): number {
    if (this.#removed) return 0;
    const file = this.version === "v1" ? "memory.oom_control" : "memory.events";
    try {
      return (
        readKeyedNumber(
          readFileSync(join(this.#dir("memory"), file), "utf8"),
          "oom_kill",
        ) ?? 0
      );
    } catch {
      return 0;
    }
  }

  /** Whether {@link freeze} can work: the freezer exists (v1) or the kernel has `cgroup.freeze`. */
  get canFreeze(): boolean {
    const dir = this.#dirs.freezer;
    return (
      dir !== undefined &&
      (this.version === "v1" || existsSync(join(dir, "cgroup.freeze")))
    );
  }

  /**
   * Stops every process of the set (no CPU until {@link thaw}) and resolves once the kernel reports
   * them all frozen, or as soon as `wanted()` turns false (a thaw or a destroy overtook the freeze:
   * waiting for it to settle would only poll in vain).
   * @throws {CgroupError} when there is no freezer, or freezing does not settle within 100 ms.
   */
  async freeze(wanted: () => boolean = () => true): Promise<void> {
    await this.#setFrozen(true, wanted);
  }

  /**
   * Lets the processes of a frozen set run again.
   * @throws {CgroupError} when there is no freezer, or thawing does not settle within 100 ms.
   */
  async thaw(): Promise<void> {
    await this.#setFrozen(false, () => true);
  }

  async #setFrozen(frozen: boolean, wanted: () => boolean): Promise<void> {
    const dir = this.#dirs.freezer;
    if (dir === undefined || !this.canFreeze)
      throw new CgroupError("this cgroup set has no freezer");
    this.#writeFrozen(frozen);
    const settled =
      this.version === "v1"
        ? () =>
            readFileSync(join(dir, "freezer.state"), "utf8").trim() ===
            (frozen ? "FROZEN" : "THAWED")
        : () =>
            readKeyedNumber(
              readFileSync(join(dir, "cgroup.events"), "utf8"),
              "frozen",
            ) === (frozen ? 1 : 0);
    const deadline = performance.now() + FREEZE_TIMEOUT_MS;
    while (wanted() && !settled()) {
      if (performance.now() > deadline) {
        throw new CgroupError(
          `cgroup ${dir} did not become ${frozen ? "frozen" : "thawed"} within ${FREEZE_TIMEOUT_MS} ms`,
        );
      }
      await sleep(POLL_MS);
    }
  }

  #writeFrozen(frozen: boolean): void {
    const dir = this.#dirs.freezer;
    if (dir === undefined) return;
    if (this.version === "v1")
      writeFileSync(join(dir, "freezer.state"), frozen ? "FROZEN" : "THAWED");
    else writeFileSync(join(dir, "cgroup.freeze"), frozen ? "1" : "0");
  }

  /**
   * The kernel's id of a cgroup v2 set (its directory's inode number, the id that sockets made in it
   * carry); undefined for v1, whose ids are not the ones sockets carry, or once removed.
   */
  cgroupId(): bigint | undefined {
    const dir = this.paths[0];
    if (this.version !== "v2" || this.#removed || dir === undefined)
      return undefined;
    try {
      return statSync(dir, { bigint: true }).ino;
    } catch {
      return undefined;
    }
  }

  /** The pids in any of the set's `cgroup.procs` (empty once removed). */
  pids(): number[] {
    if (this.#removed) return [];
    const pids = new Set<number>();
    for (const file of this.procsFiles) {
      try {
        for (const pid of parsePids(readFileSync(file, "utf8"))) pids.add(pid);
      } catch {
        // A directory already gone has no processes.
      }
    }
    return [...pids];
  }

  /**
   * SIGKILLs every process in the set, repeatedly (a process may fork while the list is read),
   * until no process is left. A frozen set is thawed so that the kills take effect.
   * @throws {CgroupError} when processes are still there after 2 s (for example stuck in the kernel).
   */
  async killAll(): Promise<void> {
    const killFile =
      this.version === "v2"
        ? join(this.#dir("memory"), "cgroup.kill")
        : undefined;
    const deadline = performance.now() + KILL_TIMEOUT_MS;
    for (let round = 0; ; round++) {
      const pids = this.pids();
      if (pids.length === 0) return;
      if (performance.now() > deadline) {
        throw new CgroupError(
          `processes ${pids.join(", ")} still alive in cgroup ${this.paths.join(", ")} after ${KILL_TIMEOUT_MS} ms`,
        );
      }
      if (killFile !== undefined && existsSync(killFile)) {
        writeFileSync(killFile, "1");
      } else {
        for (const pid of pids) killQuietly(pid);
      }
      // Killed processes of a frozen cgroup die only once it is thawed.
      if (round === 0 && this.canFreeze) this.#writeFrozen(false);
      await sleep(POLL_MS);
    }
  }

  /**
   * Removes the set's directories; they must hold no process ({@link killAll} first). Idempotent.
   * @throws {Error} when a directory stays busy for 1 s.
   */
  async remove(): Promise<void> {
    if (this.#removed) return;
    const deadline = performance.now() + REMOVE_TIMEOUT_MS;
    for (const dir of this.paths) {
      for (;;) {
        try {
          rmdirSync(dir);
          break;
        } catch (error) {
          if (errnoOf(error) === "ENOENT") break;
          if (errnoOf(error) !== "EBUSY" || performance.now() > deadline)
            throw error;
          await sleep(POLL_MS);
        }
      }
    }
    this.#removed = true;
  }

  #dir(controller: "memory"): string {
    const dir = this.#dirs[controller];
    if (dir === undefined) throw new CgroupError(`no ${controller} cgroup`);
    return dir;
  }
}

// ---- detection -------------------------------------------------------------------------------

interface MountEntry {
  readonly root: string;
  readonly mountPoint: string;
  readonly fsType: string;
  readonly superOptions: readonly string[];
}

type MutableHost =
  | {
      version: CgroupVersion;
      parents: Partial<Record<CgroupController, string>>;
      notes: string[];
    }
  | { version: "none"; notes: string[] };

function none(reason: string): MutableHost {
  return {
    version: "none",
    notes: [
      `cgroups unavailable: ${reason}`,
      "without cgroups the memory and process limits are not enforced, OOM kills are not detected, processes that " +
        "leave the Runtime's process group are not tracked, and peak memory is the Runtime process's " +
        "own VmHWM (an approximation that misses its children)",
    ],
  };
}

function findV2(
  mounts: readonly MountEntry[],
  membership: ReadonlyMap<string, string>,
): { dir: string; controllers: string[] } | undefined {
  const mount = mounts.find((m) => m.fsType === "cgroup2");
  const path = membership.get("");
  if (mount === undefined || path === undefined) return undefined;
  const dir = cgroupDir(mount, path, "");
  try {
    return {
      dir,
      controllers: readFileSync(join(dir, "cgroup.controllers"), "utf8")
        .trim()
        .split(/\s+/),
    };
  } catch {
    return undefined;
  }
}

function prepareV2(
  ownDir: string,
  available: readonly string[],
  parent: string,
): MutableHost {
  const wanted = ["memory", "pids", "cpu"].filter((c) => available.includes(c));
  // Controllers reach a child only when enabled in every ancestor's cgroup.subtree_control. A
  // non-root cgroup that holds processes (thaw itself) cannot enable them ("no internal
  // processes"): thaw must then run in a delegated cgroup whose processes sit in a leaf.
  let dir = ownDir;
  try {
    for (const segment of ["", ...parent.split("/").filter((s) => s !== "")]) {
      dir = join(dir, segment);
      mkdirSync(dir, { recursive: true });
      writeFileSync(
        join(dir, "cgroup.subtree_control"),
        wanted.map((c) => `+${c}`).join(" "),
      );
    }
  } catch (error) {
    return none(
      `cgroup v2: cannot enable ${wanted.join(", ")} in ${dir}/cgroup.subtree_control (${messageOf(error)}); ` +
        "run thaw as root in a cgroup it may delegate (for example systemd-run --scope -p Delegate=yes), " +
        "with its own process moved to a leaf cgroup",
    );
  }
  const probe = probeWritable(dir);
  if (probe !== undefined)
    return none(`cgroup v2: ${dir} is not writable (${probe})`);
  const parents: Partial<Record<CgroupController, string>> = { memory: dir };
  const notes = [`cgroup v2 at ${dir}: ${wanted.join(", ")}`];
  if (wanted.includes("pids")) parents.pids = dir;
  else
    notes.push(
      "cgroup v2: no pids controller, so the process limit is not enforced",
    );
  if (wanted.includes("cpu")) parents.cpu = dir;
  // The v2 freezer is part of the core (cgroup.freeze, kernel 5.2+), not a controller.
  parents.freezer = dir;
  return { version: "v2", parents, notes };
}

function prepareV1(
  mounts: readonly MountEntry[],
  membership: ReadonlyMap<string, string>,
  parent: string,
  v2: { dir: string; controllers: string[] } | undefined,
): MutableHost {
  const parents: Partial<Record<CgroupController, string>> = {};
  const notes: string[] = [];
  for (const controller of CONTROLLERS) {
    const mount = mounts.find(
      (m) => m.fsType === "cgroup" && m.superOptions.includes(controller),
    );
    const own = [...membership].find(([controllers]) =>
      controllers.split(",").includes(controller),
    )?.[1];
    if (mount === undefined || own === undefined) {
      notes.push(`cgroup v1: no ${controller} hierarchy mounted`);
      continue;
    }
    const dir = cgroupDir(mount, own, parent);
    let problem: string | undefined;
    try {
      mkdirSync(dir, { recursive: true });
      problem = probeWritable(dir);
    } catch (error) {
      problem = messageOf(error);
    }
    if (problem === undefined) parents[controller] = dir;
    else notes.push(`cgroup v1: cannot make cgroups in ${dir} (${problem})`);
  }
  if (parents.memory === undefined) {
    const v2Note =
      v2 === undefined
        ? ""
        : `; cgroup v2 at ${v2.dir} offers only: ${v2.controllers.join(" ") || "nothing"}`;
    return none(`no usable memory controller (${notes.join("; ")}${v2Note})`);
  }
  const used = CONTROLLERS.filter((c) => parents[c] !== undefined);
  notes.unshift(
    `cgroup v1: ${used.map((c) => `${c} at ${parents[c] ?? ""}`).join(", ")}`,
  );
  return { version: "v1", parents, notes };
}

/** Makes and removes a probe cgroup; returns why that failed, or undefined. */
function probeWritable(dir: string): string | undefined {
  const probe = join(dir, `${NAME_PREFIX}probe-${process.pid}`);
  try {
    mkdirSync(probe);
    rmdirSync(probe);
    return undefined;
  } catch (error) {
    rmdirQuietly(probe);
    return messageOf(error);
  }
}

// ---- parsing and small helpers ---------------------------------------------------------------

/** Parses /proc/self/mountinfo (proc(5)); octal escapes such as `\040` are decoded. */
function parseMountinfo(text: string): MountEntry[] {
  const entries: MountEntry[] = [];
  for (const line of text.split("\n")) {
    const [left, right] = line.split(" - ");
    if (left === undefined || right === undefined) continue;
    const fields = left.split(" ");
    const [fsType, , superOptions] = right.split(" ");
    const root = fields[3];
    const mountPoint = fields[4];
    if (root === undefined || mountPoint === undefined || fsType === undefined)
      continue;
    entries.push({
      root: unescapeOctal(root),
      mountPoint: unescapeOctal(mountPoint),
      fsType,
      superOptions: (superOptions ?? "").split(","),
    });
  }
  return entries;
}

/** Parses /proc/self/cgroup into controller list (`""` for v2) → path. */
function parseProcCgroup(text: string): Map<string, string> {
  const membership = new Map<string, string>();
  for (const line of text.split("\n")) {
    const match = /^\d+:([^:]*):(.*)$/.exec(line);
    if (match?.[1] !== undefined && match[2] !== undefined)
      membership.set(match[1], match[2]);
  }
  return membership;
}

/** The directory of cgroup `path` (as /proc/self/cgroup names it) in `mount`, plus `parent`. */
function cgroupDir(mount: MountEntry, path: string, parent: string): string {
  // The mount may show only a subtree (a container's); /proc/self/cgroup then still names the path
  // from the hierarchy's root.
  const relative =
    mount.root !== "/" && path.startsWith(mount.root)
      ? path.slice(mount.root.length)
      : path;
  return join(mount.mountPoint, relative, parent).replace(/(.)\/+$/, "$1");
}

function unescapeOctal(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_, octal: string) =>
    String.fromCharCode(Number.parseInt(octal, 8)),
  );
}

function parsePids(text: string): number[] {
  return text
    .split("\n")
    .filter((line) => line !== "")
    .map(Number);
}

/** Reads `key N` from a flat keyed file such as memory.events. */
function readKeyedNumber(text: string, key: string): number | undefined {
  for (const line of text.split("\n")) {
    const [name, value] = line.split(" ");
    if (name === key && value !== undefined) return Number(value);
  }
  return undefined;
}

function readNumber(file: string): number {
  const value = Number(readFileSync(file, "utf8").trim());
  if (!Number.isFinite(value))
    throw new CgroupError(`${file} does not hold a number`);
  return value;
}

function writeIfPresent(file: string, value: string): void {
  if (existsSync(file)) writeFileSync(file, value);
}

function uniqueDirs(
  dirs: Readonly<Partial<Record<CgroupController, string>>>,
): string[] {
  return [
    ...new Set(CONTROLLERS.map((c) => dirs[c]).filter((d) => d !== undefined)),
  ];
}

function listQuietly(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function rmdirQuietly(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // Already gone, or never made.
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // ESRCH: it ended between the read of cgroup.procs and the kill.
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errnoOf(error) === "EPERM";
  }
}

function errnoOf(error: unknown): string | undefined {
  return error instanceof Error &&
    "code" in error &&
    typeof error.code === "string"
    ? error.code
    : undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
