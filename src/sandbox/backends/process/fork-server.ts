/**
 * The fork server: one long-lived `thaw-spawner` process (native/thaw-spawner.c) that forks and
 * execs thaw-exec for every sandbox, so that starting a Runtime never copies thaw's own page and
 * descriptor tables. A `child_process.spawn()` from thaw's process blocks its event loop for the
 * whole fork, and that fork grows with thaw's heap and open sockets (1–5 ms in a busy `thaw serve`,
 * see docs/benchmarks.md); thaw-spawner stays small, so its fork costs the same whatever thaw holds,
 * and thaw's event loop only writes a request and reads an answer.
 *
 * The child's stdout, stderr and exec-status pipes are made by thaw-spawner; thaw opens their read
 * ends through `/proc/<thaw-spawner>/fd/<n>` and then tells it to close its copies. Exits are
 * reported by thaw-spawner, which reaps its children.
 *
 * It also says who opened a TCP connection to one of thaw's ports ({@link ForkServer.identify}):
 * the Runtime API uses it to refuse every process but its own environment's.
 *
 * thaw-spawner is started by the first launch and exits once no launch is pending and every child
 * it started has been reaped; the next launch starts a new one (about 1 ms). If it dies, the
 * children it started die with it (thaw-exec's PR_SET_PDEATHSIG), their exits are reported as
 * SIGKILL, and the next launch starts a new one.
 */
import { spawn, type ChildProcessByStdio } from "node:child_process";
import { accessSync, constants, openSync } from "node:fs";
import { Socket } from "node:net";
import { constants as osConstants } from "node:os";
import type { Readable, Writable } from "node:stream";
import { deferred, type Deferred } from "../../../util/deferred.js";
import type { TcpConnection } from "../../sandbox.js";
import { signalName } from "../../../util/signal-name.js";
import { LineSplitter } from "./line-splitter.js";

/** How a launched process ended. */
export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A process started by {@link ForkServer.launch}. */
export interface LaunchedProcess {
  readonly pid: number;
  readonly stdout: Readable;
  readonly stderr: Readable;
  /** The exec-status pipe (descriptor 3 of the child). */
  readonly status: Readable;
  /** Resolves once the process has been reaped. */
  readonly exited: Promise<ProcessExit>;
}

/** What to start: `argv[0]` is the program thaw-spawner was given (thaw-exec). */
export interface LaunchRequest {
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Give the process a network of its own; see {@link IsolatedNetwork}. */
  readonly network?: IsolatedNetwork;
}

/**
 * A network namespace with only loopback. With `relay`, the process finds `127.0.0.1:port` there,
 * relayed by thaw-spawner to `target` in the host's network (its Runtime API). Nothing else is
 * reachable.
 */
export interface IsolatedNetwork {
  readonly relay:
    | {
        readonly port: number;
        readonly target: { readonly host: string; readonly port: number };
      }
    | undefined;
}

/**
 * Who opened a {@link TcpConnection}: thaw-spawner's relay on behalf of the isolated child `pid`;
 * a socket made in the cgroup (v2) `cgroupId` (0 where there is no cgroup v2), whose inode is
 * `inode`; nobody (the connection is gone); or unknown, because the kernel could not be asked.
 */
export type ConnectionOwner =
  | { readonly kind: "relay"; readonly pid: number }
  | {
      readonly kind: "socket";
      readonly cgroupId: bigint;
      readonly inode: number;
    }
  | { readonly kind: "none" }
  | { readonly kind: "unknown"; readonly reason: string };

/** thaw-spawner could not start the process (no pipes, no fork) or is not running. */
export class LaunchError extends Error {
  override readonly name = "LaunchError";
}

type SpawnerProcess = ChildProcessByStdio<Writable, Readable, null>;

interface Spawner {
  readonly child: SpawnerProcess;
  readonly pid: number;
  readonly launches: Map<string, Deferred<LaunchedProcess | LaunchError>>;
  readonly exits: Map<number, Deferred<ProcessExit>>;
  readonly questions: Map<string, Deferred<ConnectionOwner>>;
  /** Exits of processes nobody watched yet (orphans it reaped), the latest few, by pid. */
  readonly unclaimed: Map<number, ProcessExit>;
  gone: boolean;
}

/** How many exits of unwatched processes thaw-spawner's client remembers. */
const MAX_UNCLAIMED = 256;

/** Linux's O_CLOEXEC, which `fs.constants` does not export. */
const O_CLOEXEC = 0o2000000;

/** Starts processes through a thaw-spawner. */
export class ForkServer {
  readonly #spawnerPath: string;
  readonly #thawExecPath: string;
  #spawner: Spawner | undefined;
  #sequence = 0;
  /** Callers of {@link hold} that have not released it. */
  #holds = 0;

  constructor(spawnerPath: string, thawExecPath: string) {
    this.#spawnerPath = spawnerPath;
    this.#thawExecPath = thawExecPath;
  }

  /** The running thaw-spawner's pid, if one runs; for diagnostics and tests. */
  get spawnerPid(): number | undefined {
    return this.#spawner?.pid;
  }

  /**
   * Starts thaw-exec with `request.args`, `request.env` in `request.cwd`; resolves once it has been
   * forked (not yet exec'd: read `status` for that).
   * @throws {LaunchError} when thaw-spawner cannot be started or could not fork.
   */
  async launch(request: LaunchRequest): Promise<LaunchedProcess> {
    this.#sequence += 1;
    const id = String(this.#sequence);
    const frame = encodeLaunch(id, this.#thawExecPath, request);
    const spawner = this.#running();
    const answer = deferred<LaunchedProcess | LaunchError>();
    spawner.launches.set(id, answer);
    spawner.child.stdin.write(frame);
    const result = await answer.promise;
    if (result instanceof LaunchError) throw result;
    return result;
  }

  /**
   * Finds out who opened `connection` (see {@link ConnectionOwner}); never throws. Asks the running
   * thaw-spawner, or starts one.
   */
  async identify(connection: TcpConnection): Promise<ConnectionOwner> {
    let spawner: Spawner;
    try {
      spawner = this.#running();
    } catch (error) {
      return {
        kind: "unknown",
        reason: error instanceof Error ? error.message : String(error),
      };
    }
    this.#sequence += 1;
    const id = String(this.#sequence);
    const answer = deferred<ConnectionOwner>();
    spawner.questions.set(id, answer);
    spawner.child.stdin.write(
      `W${id} ${connection.remoteAddress} ${String(connection.remotePort)} ${connection.localAddress} ${String(connection.localPort)}\n`,
    );
    return answer.promise;
  }

  /**
   * Keeps thaw-spawner running until the returned function is called, even with nothing pending:
   * between a `criu restore -d` that exits and the {@link watch} of the clone it left behind.
   */
  hold(): () => void {
    this.#holds += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#holds -= 1;
      const spawner = this.#spawner;
      if (spawner !== undefined) this.#retireIfIdle(spawner);
    };
  }

  /**
   * Resolves when the process `pid`, a descendant of thaw-spawner that was orphaned to it (a
   * restored clone), has been reaped; at once if it already was. Resolves as SIGKILL when
   * thaw-spawner is gone.
   */
  watch(pid: number): Promise<ProcessExit> {
    const spawner = this.#spawner;
    if (spawner === undefined || spawner.gone)
      return Promise.resolve({ code: null, signal: "SIGKILL" });
    const reaped = spawner.unclaimed.get(pid);
    if (reaped !== undefined) {
      spawner.unclaimed.delete(pid);
      return Promise.resolve(reaped);
    }
    const exited = deferred<ProcessExit>();
    spawner.exits.set(pid, exited);
    return exited.promise;
  }

  #running(): Spawner {
    if (this.#spawner !== undefined && !this.#spawner.gone)
      return this.#spawner;
    try {
      accessSync(this.#thawExecPath, constants.X_OK);
    } catch {
      throw new LaunchError(
        `thaw-exec is missing or not executable at ${this.#thawExecPath}: run scripts/build-native.sh`,
      );
    }
    let child: SpawnerProcess;
    try {
      child = spawn(this.#spawnerPath, [this.#thawExecPath], {
        stdio: ["pipe", "pipe", "inherit"],
      });
    } catch (error) {
      throw new LaunchError(
        `cannot start thaw-spawner at ${this.#spawnerPath}: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
    const spawner: Spawner = {
      child,
      pid: child.pid ?? -1,
      launches: new Map(),
      exits: new Map(),
      questions: new Map(),
      unclaimed: new Map(),
      gone: false,
    };
    this.#spawner = spawner;
    const lines = new LineSplitter((line) => {
      this.#onEvent(spawner, line);
    });
    child.stdout.on("data", (chunk: Buffer) => {
      lines.push(chunk);
    });
    child.stdin.on("error", () => undefined);
    child.stdout.on("error", () => undefined);
    child.on("error", (error) => {
      this.#onGone(
        spawner,
        `thaw-spawner at ${this.#spawnerPath} cannot run: ${error.message} (run scripts/build-native.sh)`,
      );
    });
    child.once("exit", (code, signal) => {
      this.#onGone(
        spawner,
        `thaw-spawner exited (${signal ?? `code ${String(code)}`})`,
      );
    });
    return spawner;
  }

  #onEvent(spawner: Spawner, line: string): void {
    const [kind, ...fields] = line.split(" ");
    if (kind === "S") {
      const [id, pid, out, err, status] = fields;
      const answer = spawner.launches.get(id ?? "");
      if (answer === undefined) return;
      spawner.launches.delete(id ?? "");
      const exited = deferred<ProcessExit>();
      spawner.exits.set(Number(pid), exited);
      let streams: Readable[];
      try {
        streams = [out, err, status].map((fd) =>
          openPipe(spawner.pid, Number(fd)),
        );
      } catch (error) {
        // Without its output the process is of no use: end it (its exit still comes as "X").
        killQuietly(Number(pid));
        answer.resolve(
          new LaunchError(
            `cannot open the pipes of a new process: ${error instanceof Error ? error.message : String(error)}`,
            { cause: error },
          ),
        );
        return;
      } finally {
        spawner.child.stdin.write(`R${id ?? ""}\n`);
      }
      const [stdout, stderr, statusPipe] = streams as [
        Readable,
        Readable,
        Readable,
      ];
      answer.resolve({
        pid: Number(pid),
        stdout,
        stderr,
        status: statusPipe,
        exited: exited.promise,
      });
    } else if (kind === "F") {
      const [id, errno] = fields;
      const answer = spawner.launches.get(id ?? "");
      spawner.launches.delete(id ?? "");
      answer?.resolve(
        new LaunchError(
          `thaw-spawner could not start a process: ${errnoName(Number(errno))}`,
        ),
      );
    } else if (kind === "O") {
      const [id, ...owner] = fields;
      const answer = spawner.questions.get(id ?? "");
      spawner.questions.delete(id ?? "");
      answer?.resolve(parseOwner(owner));
    } else if (kind === "X") {
      const [pid, code, signal] = fields.map(Number) as [
        number,
        number,
        number,
      ];
      const exit: ProcessExit =
        code >= 0
          ? { code, signal: null }
          : { code: null, signal: signalName(signal) ?? "SIGKILL" };
      const exited = spawner.exits.get(pid);
      spawner.exits.delete(pid);
      if (exited !== undefined) exited.resolve(exit);
      else {
        spawner.unclaimed.set(pid, exit);
        for (const old of spawner.unclaimed.keys()) {
          if (spawner.unclaimed.size <= MAX_UNCLAIMED) break;
          spawner.unclaimed.delete(old);
        }
      }
    }
    this.#retireIfIdle(spawner);
  }

  /** thaw-spawner is gone: its children died with it (PR_SET_PDEATHSIG). */
  #onGone(spawner: Spawner, reason: string): void {
    if (spawner.gone) return;
    spawner.gone = true;
    for (const answer of spawner.launches.values())
      answer.resolve(new LaunchError(reason));
    for (const exited of spawner.exits.values())
      exited.resolve({ code: null, signal: "SIGKILL" });
    for (const answer of spawner.questions.values())
      answer.resolve({ kind: "unknown", reason });
    spawner.launches.clear();
    spawner.exits.clear();
    spawner.questions.clear();
    if (this.#spawner === spawner) this.#spawner = undefined;
  }

  /**
   * An idle thaw-spawner (no launch pending, no child unreaped) is told to exit by closing its
   * stdin, so that none outlives the sandboxes it started; the next launch starts a new one.
   */
  #retireIfIdle(spawner: Spawner): void {
    if (
      this.#holds > 0 ||
      spawner.launches.size + spawner.exits.size + spawner.questions.size > 0
    )
      return;
    if (this.#spawner === spawner) this.#spawner = undefined;
    spawner.child.stdin.end();
  }
}

/** The fields of an `O` event after its id. */
function parseOwner(fields: readonly string[]): ConnectionOwner {
  const [kind, first, second] = fields;
  if (kind === "relay") return { kind, pid: Number(first) };
  if (kind === "socket")
    return { kind, cgroupId: BigInt(first ?? "0"), inode: Number(second) };
  if (kind === "none") return { kind };
  return {
    kind: "unknown",
    reason: `the kernel's socket table could not be read: ${errnoName(Number(first))}`,
  };
}

/** Opens the read end of a pipe that thaw-spawner holds, as a stream. */
function openPipe(spawnerPid: number, fd: number): Readable {
  // O_NONBLOCK: opening a pipe through /proc is opening a FIFO, which would otherwise block
  // until a writer exists (and the child may already have exited). O_CLOEXEC: no process thaw
  // spawns may inherit it and hold the pipe open.
  const ours = openSync(
    `/proc/${String(spawnerPid)}/fd/${String(fd)}`,
    constants.O_RDONLY | constants.O_NONBLOCK | O_CLOEXEC,
  );
  return new Socket({ fd: ours, readable: true, writable: false });
}

/**
 * `L`, the payload's length (u32, little-endian), then NUL-terminated strings: id, working
 * directory, network (`""`, `"-"` or `"PORT TARGET_IP TARGET_PORT"`), argc, argv, envc, env.
 */
function encodeLaunch(
  id: string,
  program: string,
  request: LaunchRequest,
): Buffer {
  const env = Object.entries(request.env).flatMap(([key, value]) =>
    value === undefined ? [] : [`${key}=${value}`],
  );
  const argv = [program, ...request.args];
  const network = request.network;
  const relay = network?.relay;
  const net =
    network === undefined
      ? ""
      : relay === undefined
        ? "-"
        : `${String(relay.port)} ${relay.target.host} ${String(relay.target.port)}`;
  for (const text of [request.cwd, ...argv, ...env]) {
    if (text.includes("\0"))
      throw new LaunchError(
        `a NUL byte is not allowed in a program's arguments, environment or working directory: ${JSON.stringify(text.slice(0, 80))}`,
      );
  }
  const strings = [
    id,
    request.cwd,
    net,
    String(argv.length),
    ...argv,
    String(env.length),
    ...env,
  ];
  const payload = Buffer.from(`${strings.join("\0")}\0`);
  const frame = Buffer.alloc(5 + payload.length);
  frame.write("L", 0);
  frame.writeUInt32LE(payload.length, 1);
  payload.copy(frame, 5);
  return frame;
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // ESRCH: already gone.
  }
}

function errnoName(errno: number): string {
  for (const [name, value] of Object.entries(osConstants.errno))
    if (value === errno) return name;
  return `errno ${String(errno)}`;
}
