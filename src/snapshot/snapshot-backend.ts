/**
 * The `snapshot` Backend (SnapStart): an environment is started once under thaw-init
 * (native/thaw-init.c), checkpointed with CRIU after its init, and every later environment is a clone
 * restored from that image instead of a fresh init, as Lambda SnapStart restores a Firecracker
 * snapshot.
 *
 * The sandbox of a template or clone: thaw-init is PID 1 of its own pid and network namespaces,
 * serves `127.0.0.1:9001` there and relays it to the environment's Runtime API, which listens on a
 * Unix socket on the host (the network namespace has nothing else). Resources are the process
 * backend's: the cgroups (memory, CPU, pids, freezer) and the fork server, which is a child
 * subreaper and so reaps the clones `criu restore -d` leaves behind. There is no mount namespace:
 * the filesystem is the host's, as on the process backend (docs/snapshot.md says why).
 *
 * A template's life: {@link SnapshotBackend.templates} gives a SandboxBackend whose one sandbox runs
 * the Runtime under thaw-init with its Runtime API at `upstreamPath`; once its init is done
 * (`/restore/next` or the first `/next` waits), {@link TemplateBackend.checkpoint} asks thaw-init to
 * let go of the host (SIGUSR2; it closes its Unix connections and writes `<upstreamPath>.prepared`)
 * and runs `criu dump`, which ends the template. A clone's life: {@link SnapshotBackend.restore}
 * runs `criu restore -d` through the fork server, in the clone's new cgroups, with fresh pipes for
 * its output in place of the template's (`--inherit-fd`); the clone's Runtime API must then listen
 * at `<dirname(upstreamPath)>/clone-<netns inode>.sock` before `resume()` (SIGUSR1), after which
 * thaw-init reconnects there and replays the request the Runtime was waiting in.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import {
  accessSync,
  constants,
  existsSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  unlinkSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { text } from "node:stream/consumers";
import { setTimeout as sleep } from "node:timers/promises";
import { SandboxStartError } from "../errors/sandbox-errors.js";
import {
  CgroupSet,
  type CgroupHost,
} from "../sandbox/backends/process/cgroup.js";
import { ForkServer } from "../sandbox/backends/process/fork-server.js";
import {
  nextSandboxId,
  sandboxCgroup,
} from "../sandbox/backends/process/process-backend.js";
import { ProcessSandbox } from "../sandbox/backends/process/process-sandbox.js";
import type {
  BackendProbe,
  Sandbox,
  SandboxBackend,
  SandboxSpec,
} from "../sandbox/sandbox.js";
import {
  criuLogErrors,
  locateCriu,
  probeCriu,
  type CriuProbe,
} from "./criu.js";
import { ensureKerndatCache } from "./criu-kdat.js";
import { ThawInitWrapper } from "./thaw-init-wrapper.js";

/** Where the Runtime API sockets of templates and clones live (short: a socket path has 108 bytes). */
export const SOCKET_DIR = "/run/thaw";

const execFileAsync = promisify(execFile);

/** How long `criu dump` may take: a big image (a Java heap) takes seconds, a hung one forever. */
const DUMP_TIMEOUT_MS = 120_000;

/** How long thaw-init may take to let go of the host before a checkpoint. */
const PREPARE_TIMEOUT_MS = 5000;

/** Options of {@link SnapshotBackend}. */
export interface SnapshotBackendOptions {
  readonly thawExecPath: string;
  readonly thawSpawnerPath: string;
  /** Absolute path of `build/native/thaw-init`. */
  readonly thawInitPath: string;
  /** @default "shares"; see ProcessBackendOptions.cpu */
  readonly cpu?: "shares" | "quota";
}

/** A checkpoint of a template, as {@link TemplateBackend.checkpoint} made it. */
export interface SnapshotImage {
  /** The folder of CRIU's image files. */
  readonly dir: string;
  /** The template's Runtime API socket; clones find theirs next to it. */
  readonly upstreamPath: string;
  /** The template's stdout and stderr as CRIU names them (`pipe:[<inode>]`). */
  readonly pipes: { readonly stdout: string; readonly stderr: string };
  /** How long `criu dump` took, in ms. */
  readonly dumpMs: number;
}

/** A clone restored from a {@link SnapshotImage}, paused until {@link RestoredClone.resume}. */
export interface RestoredClone {
  readonly sandbox: Sandbox;
  /** Where the clone's Runtime API must listen before `resume()`. */
  readonly upstreamPath: string;
  /** Lets the clone's thaw-init reconnect to its Runtime API and go on. */
  resume(): void;
  /** How long `criu restore` took, in ms. */
  readonly restoreMs: number;
}

/** A backend of one template sandbox, which it can checkpoint. */
export interface TemplateBackend extends SandboxBackend {
  /**
   * Checkpoints the template into `dir` (which must exist and be empty); the template ends.
   * @throws {SandboxStartError} when thaw-init does not let go in time or `criu dump` fails
   *   (its log's last lines are in the message); the template is then left to its owner to destroy.
   */
  checkpoint(dir: string): Promise<SnapshotImage>;
}

/** Makes SnapStart templates and restores clones of their snapshots. */
export class SnapshotBackend {
  readonly name = "snapshot";
  readonly #options: SnapshotBackendOptions;
  readonly #forkServer: ForkServer;
  #host: Promise<CgroupHost> | undefined;
  #criu: Promise<string | undefined> | undefined;

  constructor(options: SnapshotBackendOptions) {
    this.#options = options;
    this.#forkServer = new ForkServer(
      options.thawSpawnerPath,
      options.thawExecPath,
    );
  }

  /**
   * Whether snapshots can be taken and restored here: root, CRIU ≥ 4.2, thaw-init, cgroups.
   * @param criu CRIU's probe, when the caller has it already.
   */
  async probe(criu?: CriuProbe): Promise<BackendProbe> {
    const notes: string[] = [];
    let available = true;
    if (process.getuid?.() !== 0) {
      available = false;
      notes.push(
        "CRIU needs root (or CAP_CHECKPOINT_RESTORE and CAP_SYS_ADMIN): run thaw as root to use SnapStart",
      );
    }
    try {
      accessSync(this.#options.thawInitPath, constants.X_OK);
      notes.push(`thaw-init at ${this.#options.thawInitPath}`);
    } catch {
      available = false;
      notes.push(
        `thaw-init is missing at ${this.#options.thawInitPath}: run scripts/build-native.sh`,
      );
    }
    const found = criu ?? (await probeCriu());
    notes.push(...found.notes);
    if (!found.available || !found.tcpEstablished) available = false;
    const host = await this.#cgroupHost();
    if (host.version === "none") {
      available = false;
      notes.push(
        "cgroups are needed to hold and kill a restored clone: " +
          host.notes.join("; "),
      );
    }
    return { available, notes };
  }

  /** A backend that starts one template whose Runtime API listens at `upstreamPath`. */
  templates(upstreamPath: string): TemplateBackend {
    const wrapper = new ThawInitWrapper(
      this.#options.thawInitPath,
      upstreamPath,
    );
    let template: ProcessSandbox | undefined;
    return {
      name: this.name,
      probe: () => this.probe(),
      create: async (spec: SandboxSpec): Promise<Sandbox> => {
        const createStartedAt = performance.now();
        const host = await this.#cgroupHost();
        const id = nextSandboxId();
        const cgroup = sandboxCgroup(host, id, spec.memoryMB, this.#options);
        template = await ProcessSandbox.start(spec, {
          id,
          forkServer: this.#forkServer,
          wrapper,
          cgroup,
          createStartedAt,
        });
        return template;
      },
      checkpoint: async (dir: string): Promise<SnapshotImage> => {
        if (template === undefined)
          throw new SandboxStartError("no template has been started");
        return this.#checkpoint(template, upstreamPath, dir);
      },
    };
  }

  /**
   * Restores a clone of `image` in cgroups of its own (`spec.memoryMB`), its output to
   * `spec.onLog`. The clone waits until `resume()`.
   * @throws {SandboxStartError} when `criu restore` fails (its log's last lines are in the message).
   */
  async restore(
    image: SnapshotImage,
    spec: Pick<SandboxSpec, "memoryMB" | "onLog">,
  ): Promise<RestoredClone> {
    const createStartedAt = performance.now();
    const criu = await this.#criuPath();
    const host = await this.#cgroupHost();
    const id = nextSandboxId();
    const cgroup = sandboxCgroup(host, id, spec.memoryMB, this.#options);
    const work = mkdtempSync(join(SOCKET_DIR, "restore-"));
    const pidFile = join(work, "pid");
    const args = ["--status-fd", "3"];
    for (const file of cgroup?.procsFiles ?? [])
      args.push("--cgroup-procs", file);
    args.push(
      "--",
      criu,
      "restore",
      "-D",
      image.dir,
      "-W",
      work,
      "-d",
      "-o",
      "restore.log",
      "--pidfile",
      pidFile,
      "--tcp-established",
      "--network-lock",
      "nftables",
      "--manage-cgroups=ignore",
      "--inherit-fd",
      `fd[1]:${image.pipes.stdout}`,
      "--inherit-fd",
      `fd[2]:${image.pipes.stderr}`,
    );
    // The clone is orphaned to thaw-spawner when criu exits: keep it running until it is watched.
    const release = this.#forkServer.hold();
    try {
      const launched = await this.#forkServer.launch({
        args,
        cwd: "/",
        env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" },
      });
      // thaw-exec's exec-status pipe: empty once criu runs, else why it could not start.
      const execFailure = await text(launched.status);
      const exit = await launched.exited;
      const restoreMs = performance.now() - createStartedAt;
      if (exit.code !== 0 || !existsSync(pidFile)) {
        launched.stdout.destroy();
        launched.stderr.destroy();
        throw new SandboxStartError(
          `criu restore failed (${exit.code === null ? String(exit.signal) : `exit code ${String(exit.code)}`}): ${execFailure.trim() || criuLogErrors(join(work, "restore.log"))}`,
        );
      }
      const pid = Number(readFileSync(pidFile, "utf8").trim());
      // Never 0 or negative: process.kill() would take it for a process group, thaw's own.
      if (!Number.isSafeInteger(pid) || pid <= 0)
        throw new SandboxStartError(`criu restore wrote no pid to ${pidFile}`);
      const sandbox = ProcessSandbox.adopt(
        spec,
        {
          id,
          forkServer: this.#forkServer,
          wrapper: new ThawInitWrapper(
            this.#options.thawInitPath,
            image.upstreamPath,
          ),
          cgroup,
          createStartedAt,
        },
        { ...launched, pid, exited: this.#forkServer.watch(pid) },
      );
      const netns = statSync(`/proc/${String(pid)}/ns/net`).ino;
      return {
        sandbox,
        upstreamPath: join(
          dirname(image.upstreamPath),
          `clone-${String(netns)}.sock`,
        ),
        resume: () => {
          process.kill(pid, "SIGUSR1");
        },
        restoreMs,
      };
    } catch (error) {
      await cgroup?.remove().catch(() => undefined);
      if (error instanceof SandboxStartError) throw error;
      throw new SandboxStartError(
        `cannot restore a clone: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    } finally {
      release();
      rmSync(work, { recursive: true, force: true });
    }
  }

  async #checkpoint(
    template: ProcessSandbox,
    upstreamPath: string,
    dir: string,
  ): Promise<SnapshotImage> {
    const criu = await this.#criuPath();
    const init = innerInit(template.pid);
    const pipes = {
      stdout: readlinkSync(`/proc/${String(init)}/fd/1`),
      stderr: readlinkSync(`/proc/${String(init)}/fd/2`),
    };
    const prepared = `${upstreamPath}.prepared`;
    rmSync(prepared, { force: true });
    process.kill(init, "SIGUSR2");
    const deadline = performance.now() + PREPARE_TIMEOUT_MS;
    while (!existsSync(prepared)) {
      if (performance.now() > deadline)
        throw new SandboxStartError(
          `thaw-init (pid ${String(init)}) did not prepare for the snapshot within ${String(PREPARE_TIMEOUT_MS)} ms`,
        );
      await sleep(1);
    }
    unlinkSync(prepared);
    const startedAt = performance.now();
    try {
      await execFileAsync(
        criu,
        [
          "dump",
          "-t",
          String(init),
          "-D",
          dir,
          "-o",
          "dump.log",
          "--tcp-established",
          "--network-lock",
          "nftables",
          "--manage-cgroups=ignore",
        ],
        { timeout: DUMP_TIMEOUT_MS },
      );
    } catch (error) {
      throw new SandboxStartError(
        `criu dump failed: ${criuLogErrors(join(dir, "dump.log"))}`,
        { cause: error },
      );
    }
    return {
      dir,
      upstreamPath,
      pipes,
      dumpMs: performance.now() - startedAt,
    };
  }

  #cgroupHost(): Promise<CgroupHost> {
    this.#host ??= CgroupSet.detect();
    return this.#host;
  }

  async #criuPath(): Promise<string> {
    // Once per backend: CRIU's kernel probe cached, which takes a third off every restore.
    this.#criu ??= locateCriu().then(async (location) => {
      if (location !== undefined) await ensureKerndatCache(location.path);
      return location?.path;
    });
    const path = await this.#criu;
    if (path === undefined)
      throw new SandboxStartError(
        "CRIU was not found: run scripts/setup-criu.sh (see thaw doctor)",
      );
    return path;
  }
}

/** The host pid of thaw-init's PID 1, the only child of the outer thaw-init `pid`. */
function innerInit(pid: number): number {
  const children = readFileSync(
    `/proc/${String(pid)}/task/${String(pid)}/children`,
    "utf8",
  ).trim();
  const init = Number(children.split(" ")[0]);
  if (!Number.isSafeInteger(init) || init <= 0)
    throw new SandboxStartError(
      `the template's thaw-init (pid ${String(pid)}) has no PID 1 child`,
    );
  return init;
}
