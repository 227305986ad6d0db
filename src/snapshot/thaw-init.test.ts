/**
 * thaw-init (native/thaw-init.c), PID 1 of a snapshot sandbox, with real processes and servers.
 * The Runtime is tests/fixtures/snapshot/runtime.py, a keep-alive `GET /next` → `POST response`
 * loop on 127.0.0.1:9001; the Runtime API is a Node `http` server on the Unix socket thaw-init
 * relays to. The tests show that thaw-init relays, is the Runtime's parent as PID 1, passes
 * signals on and exits like the Runtime; that it lets go of the host on SIGUSR2 and reconnects
 * and replays the parked `GET /next` on SIGUSR1; and, with CRIU, that a template dumped while its
 * `GET /next` is parked restores into three concurrent clones, each answering on its own socket,
 * printing on its own pipes, and serving a second invocation. They are skipped, with the reason,
 * when thaw does not run as root (namespaces, CRIU) or CRIU cannot checkpoint TCP connections.
 */
import assert from "node:assert/strict";
import {
  spawn,
  type ChildProcess,
  type SpawnOptions,
} from "node:child_process";
import { once } from "node:events";
import {
  closeSync,
  constants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  openSync,
  readlinkSync,
  rmSync,
  statSync,
} from "node:fs";
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { describe, test, type TestContext } from "node:test";
import { assertNoLeaks, commandLine } from "../../tests/support/leaks.js";
import { THAW_PATHS, THAW_ROOT } from "../config/paths.js";
import { criuLogErrors, probeCriu, type CriuProbe } from "./criu.js";
import {
  criuUnusableReason,
  killQuietly,
  onlyChild,
  processesNaming,
  waitForFile,
  waitForPid,
} from "./criu-testing.js";

const THAW_INIT = join(THAW_PATHS.native, "thaw-init");
const PYTHON = "/usr/bin/python3";
const RUNTIME = join(THAW_ROOT, "tests", "fixtures", "snapshot", "runtime.py");
const API = "/2018-06-01/runtime";
/** Each test must finish well inside this (they take about a second each). */
const TEST_DEADLINE_MS = 20_000;
/** CRIU runs `ip` to restore a network namespace; thaw's PATH may lack /usr/sbin. */
const CRIU_ENV = {
  ...process.env,
  PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
};
/** Flags shared by dump and restore: the Runtime's TCP connection is part of the snapshot. */
const TCP_FLAGS = ["--tcp-established", "--network-lock", "nftables"];

/** What runtime.py posts as an invocation's response. */
interface RuntimeReport {
  readonly token: string;
  readonly pid: number;
  readonly ppid: number;
  readonly netns: number;
  readonly event: unknown;
}

function skipReason(probe: CriuProbe | undefined): string | undefined {
  if (process.getuid?.() !== 0)
    return "thaw-init makes pid and network namespaces: needs root";
  if (!existsSync(THAW_INIT))
    return `${THAW_INIT} is missing: run scripts/build-native.sh`;
  if (!existsSync(PYTHON)) return `${PYTHON} is missing`;
  return probe === undefined ? undefined : criuUnusableReason(probe);
}

const probe = await probeCriu();
const skipProcesses = skipReason(undefined);
const skipCriu = skipProcesses ?? skipReason(probe);

/**
 * A Runtime API on a Unix socket that hands out the `GET /next` requests it receives and collects
 * the responses posted, so that a test decides when and what each invocation is.
 */
class RuntimeApiStub {
  readonly server: Server;
  readonly #parked = new Queue<ServerResponse>();
  readonly #responses = new Queue<{ requestId: string; body: string }>();
  #invocations = 0;

  constructor(readonly path: string) {
    this.server = createServer((request, response) => {
      this.#route(request, response);
    });
    // A parked GET /next may wait for ever; an idle keep-alive connection must stay open.
    this.server.keepAliveTimeout = 0;
    this.server.requestTimeout = 0;
  }

  async listen(): Promise<void> {
    this.server.listen(this.path);
    await once(this.server, "listening");
  }

  /** The next `GET /next` that arrives (or arrived) and is still open. */
  async parked(signal: AbortSignal): Promise<ServerResponse> {
    for (;;) {
      const response = await this.#parked.take(signal);
      if (!response.destroyed && !response.socket?.destroyed) return response;
    }
  }

  /** Answers the next `GET /next` with `event` and resolves with what the Runtime posts. */
  async invoke(
    event: unknown,
    signal: AbortSignal,
    parked?: ServerResponse,
  ): Promise<{ requestId: string; report: RuntimeReport }> {
    const response = parked ?? (await this.parked(signal));
    this.#invocations += 1;
    const requestId = `${String(process.pid)}-${String(this.#invocations)}-${String(Math.random()).slice(2, 10)}`;
    response.writeHead(200, {
      "Content-Type": "application/json",
      "Lambda-Runtime-Aws-Request-Id": requestId,
    });
    response.end(JSON.stringify(event));
    const posted = await this.#responses.take(signal);
    assert.equal(posted.requestId, requestId);
    return { requestId, report: JSON.parse(posted.body) as RuntimeReport };
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    if (this.server.listening) {
      this.server.close();
      await once(this.server, "close");
    }
  }

  #route(request: IncomingMessage, response: ServerResponse): void {
    const url = request.url ?? "";
    if (request.method === "GET" && url === `${API}/invocation/next`) {
      this.#parked.put(response);
      return;
    }
    const posted =
      /^\/2018-06-01\/runtime\/invocation\/([^/]+)\/response$/.exec(url);
    if (request.method === "POST" && posted?.[1] !== undefined) {
      const requestId = posted[1];
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        response.writeHead(202).end("{}");
        this.#responses.put({
          requestId,
          body: Buffer.concat(chunks).toString("utf8"),
        });
      });
      return;
    }
    response.writeHead(404).end();
  }
}

/** An unbounded queue whose `take` waits for the next item. */
class Queue<T> {
  readonly #items: T[] = [];
  readonly #waiters: ((item: T) => void)[] = [];

  put(item: T): void {
    const waiter = this.#waiters.shift();
    if (waiter === undefined) this.#items.push(item);
    else waiter(item);
  }

  take(signal: AbortSignal): Promise<T> {
    const item = this.#items.shift();
    if (item !== undefined) return Promise.resolve(item);
    return new Promise((resolve, reject) => {
      const waiter = (value: T): void => {
        signal.removeEventListener("abort", abort);
        resolve(value);
      };
      const abort = (): void => {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        reject(new Error("nothing arrived in time"));
      };
      signal.addEventListener("abort", abort, { once: true });
      this.#waiters.push(waiter);
    });
  }
}

/** Everything a stream has carried, and a way to wait for a pattern in it. */
class Collected {
  text = "";

  constructor(stream: Readable | null) {
    assert.ok(stream !== null);
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => {
      this.text += chunk;
    });
  }

  async match(pattern: RegExp, signal: AbortSignal): Promise<RegExpExecArray> {
    for (;;) {
      const found = pattern.exec(this.text);
      if (found !== null) return found;
      if (signal.aborted)
        throw new Error(
          `no ${String(pattern)} in ${JSON.stringify(this.text)}`,
        );
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }
}

/** Processes, servers and folders of one test, all gone when it ends. */
class Teardown {
  readonly children: ChildProcess[] = [];
  readonly servers: RuntimeApiStub[] = [];
  /** Trees to SIGKILL by their PID 1, each with the process that waits for it: while that one
   * runs, the pid cannot have been reused. */
  readonly trees: { pid: number; holder: ChildProcess }[] = [];

  /** Descriptors of pipe ends this process still holds, closed at the end. */
  readonly #fds = new Set<number>();
  readonly #streams: Socket[] = [];

  constructor(readonly dir: string) {}

  /**
   * `count` new anonymous pipes, both ends open in this process. A Runtime's stdout and stderr
   * are pipes (thaw-spawner makes them), and CRIU dumps a pipe whose other end is outside the
   * tree; Node's child_process makes socket pairs instead, which CRIU cannot dump. So python3
   * makes the pipes, and this process opens each end through /proc/<pid>/fd/ (a pipe opens there
   * as a FIFO would) before python3 exits.
   */
  async pipes(count: number): Promise<Pipe[]> {
    const maker = this.spawn(
      PYTHON,
      [
        "-c",
        "import os, sys\nfor _ in range(int(sys.argv[1])): print(*os.pipe(), flush=True)\nsys.stdin.read()",
        String(count),
      ],
      { stdio: ["pipe", "pipe", "inherit"] },
    );
    const listed = new Collected(maker.stdout);
    const lines = new RegExp(`^(?:\\d+ \\d+\n){${String(count)}}$`);
    await listed.match(lines, AbortSignal.timeout(5_000));
    const pipes = listed.text
      .trim()
      .split("\n")
      .map((line) => {
        const [read, write] = line
          .split(" ")
          .map((fd) => `/proc/${String(maker.pid)}/fd/${fd}`);
        const pipe = {
          read: openSync(read ?? "", constants.O_RDONLY),
          write: openSync(write ?? "", constants.O_WRONLY),
        };
        this.#fds.add(pipe.read).add(pipe.write);
        return pipe;
      });
    maker.stdin?.end();
    await exitOf(maker);
    return pipes;
  }

  /** Starts a process whose stdout and stderr are the given pipes; collects what it writes. */
  spawnPiped(
    command: string,
    args: readonly string[],
    [out, err]: readonly Pipe[],
    options: SpawnOptions = {},
  ): Piped {
    assert.ok(out !== undefined && err !== undefined);
    const child = this.spawn(command, args, {
      ...options,
      stdio: ["ignore", out.write, err.write],
    });
    // The child has its own copies of the write ends: end-of-file comes when it (and whatever
    // inherited them) is gone.
    for (const fd of [out.write, err.write]) {
      closeSync(fd);
      this.#fds.delete(fd);
    }
    const [stdout, stderr] = [out.read, err.read].map((fd) => {
      this.#fds.delete(fd);
      const stream = new Socket({ fd, readable: true, writable: false });
      this.#streams.push(stream);
      return new Collected(stream);
    });
    assert.ok(stdout !== undefined && stderr !== undefined);
    return { child, stdout, stderr };
  }

  spawn(
    command: string,
    args: readonly string[],
    options: SpawnOptions,
  ): ChildProcess {
    const child = spawn(command, args, options);
    this.children.push(child);
    return child;
  }

  async server(path: string): Promise<RuntimeApiStub> {
    const stub = new RuntimeApiStub(path);
    this.servers.push(stub);
    await stub.listen();
    return stub;
  }

  async run(): Promise<void> {
    for (const { pid, holder } of this.trees)
      if (running(holder)) killQuietly(pid);
    // Anything else still running thaw-init names this test's folder (--upstream).
    for (const pid of processesNaming(this.dir)) killQuietly(pid);
    for (const child of this.children)
      if (running(child)) child.kill("SIGKILL");
    await Promise.all(
      this.children.filter(running).map((child) => once(child, "exit")),
    );
    await Promise.all(this.servers.map((server) => server.close()));
    for (const stream of this.#streams) stream.destroy();
    for (const fd of this.#fds) closeSync(fd);
    // A killed tree's processes are gone a moment later (reaped by their PID 1's parent).
    const deadline = Date.now() + 3_000;
    while (processesNaming(this.dir).length > 0 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 10));
    assert.deepEqual(processesNaming(this.dir), []);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function running(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** Both ends of an anonymous pipe, open in this process. */
interface Pipe {
  readonly read: number;
  readonly write: number;
}

/** A child process whose stdout and stderr are pipes, and what it wrote on them. */
interface Piped {
  readonly child: ChildProcess;
  readonly stdout: Collected;
  readonly stderr: Collected;
}

/** Starts `thaw-init --upstream PATH -- python3 runtime.py` with pipes as stdout and stderr. */
async function startThawInit(
  teardown: Teardown,
  upstream: string,
): Promise<Piped> {
  return teardown.spawnPiped(
    THAW_INIT,
    ["--upstream", upstream, "--", PYTHON, RUNTIME],
    await teardown.pipes(2),
  );
}

/** A Teardown for test `t`, run after it, then the leak check. */
function teardownFor(t: TestContext): Teardown {
  const teardown = new Teardown(mkdtempSync(join(tmpdir(), "thaw-init-")));
  t.after(async () => {
    await teardown.run();
    await assertNoLeaks();
  });
  return teardown;
}

/** thaw-init started for test `t` with its Runtime's first `GET /next` parked on `api`. */
async function parkedThawInit(t: TestContext) {
  const teardown = teardownFor(t);
  const deadline = AbortSignal.timeout(TEST_DEADLINE_MS - 2_000);
  const upstream = join(teardown.dir, "api.sock");
  const api = await teardown.server(upstream);
  const started = await startThawInit(teardown, upstream);
  await api.parked(deadline);
  return { teardown, deadline, upstream, api, ...started };
}

async function exitOf(child: ChildProcess): Promise<number | null> {
  if (!running(child)) return child.exitCode;
  const [code] = (await once(child, "exit")) as [number | null];
  return code;
}

describe("thaw-init", { skip: skipProcesses ?? false }, () => {
  test("prints its usage, and reports a Runtime it cannot execute", async () => {
    const usage = spawn(THAW_INIT, [], { stdio: ["ignore", "ignore", "pipe"] });
    const usageErr = new Collected(usage.stderr);
    assert.equal(await exitOf(usage), 125);
    assert.match(usageErr.text, /^thaw-init: usage: thaw-init --upstream PATH/);

    const missing = spawn(
      THAW_INIT,
      ["--upstream", "/nonexistent/api.sock", "--", "/nonexistent/runtime"],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    const missingErr = new Collected(missing.stderr);
    assert.equal(await exitOf(missing), 127);
    assert.equal(
      missingErr.text,
      "thaw-init: cannot execute /nonexistent/runtime: No such file or directory\n",
    );
    await assertNoLeaks();
  });

  test(
    "relays as PID 1, reconnects and replays on SIGUSR2 then SIGUSR1, exits like the Runtime",
    { timeout: TEST_DEADLINE_MS },
    async (t) => {
      const teardown = teardownFor(t);
      const deadline = AbortSignal.timeout(TEST_DEADLINE_MS - 2_000);
      const upstream = join(teardown.dir, "api.sock");
      const api = await teardown.server(upstream);
      const pipes = await teardown.pipes(2);
      const started = performance.now();
      const { child, stdout, stderr } = teardown.spawnPiped(
        THAW_INIT,
        ["--upstream", upstream, "--", PYTHON, RUNTIME],
        pipes,
      );
      const token = (
        await stdout.match(/^ready ([0-9a-f]{16})$/m, deadline)
      )[1];
      const first = await api.parked(deadline);
      const parkedMs = performance.now() - started;
      const init = onlyChild(child.pid ?? 0);
      const netns = statSync(`/proc/${String(init)}/ns/net`).ino;
      assert.equal(commandLine(init), commandLine(child.pid ?? 0));

      const one = await api.invoke({ n: 1 }, deadline, first);
      assert.deepEqual(one.report, {
        token,
        pid: 2, // the first child of PID 1 in a new pid namespace
        ppid: 1, // thaw-init is PID 1 and the Runtime's parent
        netns,
        event: { n: 1 },
      });
      assert.notEqual(netns, statSync("/proc/self/ns/net").ino);
      await stdout.match(
        new RegExp(`^invocation ${one.requestId}$`, "m"),
        deadline,
      );
      await stderr.match(
        new RegExp(`^invocation ${one.requestId} on stderr$`, "m"),
        deadline,
      );

      // The Runtime's next GET /next waits on the first upstream; SIGUSR2 lets go of it...
      const parked = await api.parked(deadline);
      const closed = once(parked, "close");
      process.kill(init, "SIGUSR2");
      await closed;
      await waitForFile(`${upstream}.prepared`, deadline);
      assert.equal(readFileSync(`${upstream}.prepared`, "utf8"), "prepared\n");
      // ...and SIGUSR1 (no dump: the same netns) replays it on clone-<netns>.sock.
      const clone = await teardown.server(
        join(teardown.dir, `clone-${String(netns)}.sock`),
      );
      process.kill(init, "SIGUSR1");
      const two = await clone.invoke({ n: 2 }, deadline);
      assert.equal(two.report.token, token);
      assert.deepEqual(two.report.event, { n: 2 });

      // The Runtime's exit code is thaw-init's.
      await clone.invoke({ exit: 3 }, deadline);
      assert.equal(await exitOf(child), 3);
      t.diagnostic(`start → first GET /next parked ${parkedMs.toFixed(1)} ms`);
    },
  );

  test(
    "passes SIGTERM on to the Runtime and exits 128+15 when it dies of it",
    { timeout: TEST_DEADLINE_MS },
    async (t) => {
      const { child } = await parkedThawInit(t);
      // The outer process passes it to PID 1, which has no handler (it reads a signalfd), and
      // PID 1 passes it to the Runtime: python3's default action is to die of it.
      child.kill("SIGTERM");
      assert.equal(await exitOf(child), 143);
    },
  );

  test(
    "closes the Runtime's connection when thaw closes its own",
    { timeout: TEST_DEADLINE_MS },
    async (t) => {
      const { api, child, stderr } = await parkedThawInit(t);
      api.server.closeAllConnections();
      // runtime.py does not expect it: http.client raises, and python3 exits 1.
      assert.equal(await exitOf(child), 1);
      assert.match(stderr.text, /RemoteDisconnected/);
    },
  );

  test(
    "exits 125 when the restored upstream cannot be reached",
    { timeout: TEST_DEADLINE_MS },
    async (t) => {
      const { teardown, deadline, upstream, child, stderr } =
        await parkedThawInit(t);
      const init = onlyChild(child.pid ?? 0);
      const netns = statSync(`/proc/${String(init)}/ns/net`).ino;
      process.kill(init, "SIGUSR2");
      await waitForFile(`${upstream}.prepared`, deadline);
      process.kill(init, "SIGUSR1"); // nothing listens on clone-<netns>.sock
      assert.equal(await exitOf(child), 125);
      assert.equal(
        stderr.text,
        `thaw-init: cannot reach the Runtime API at ${join(teardown.dir, `clone-${String(netns)}.sock`)}: No such file or directory\n`,
      );
    },
  );
});

describe("thaw-init under CRIU", { skip: skipCriu ?? false }, () => {
  test(
    "a template dumped with GET /next parked restores into clones that answer it",
    { timeout: 3 * TEST_DEADLINE_MS },
    async (t) => {
      const criu = probe.location?.path ?? "criu";
      const teardown = teardownFor(t);
      const deadline = AbortSignal.timeout(3 * TEST_DEADLINE_MS - 2_000);
      const dir = teardown.dir;

      // The template: its Runtime's first GET /next waits on the template's upstream.
      const upstream = join(dir, "api.sock");
      const api = await teardown.server(upstream);
      // The template's pipes, and two for each clone of the two rounds (1 and 3 clones).
      const pipes = await teardown.pipes(2 + 2 * (1 + 3));
      const started = performance.now();
      const template = teardown.spawnPiped(
        THAW_INIT,
        ["--upstream", upstream, "--", PYTHON, RUNTIME],
        pipes.splice(0, 2),
      );
      const token = (
        await template.stdout.match(/^ready ([0-9a-f]{16})$/m, deadline)
      )[1];
      const parked = await api.parked(deadline);
      const parkedMs = performance.now() - started;
      const init = onlyChild(template.child.pid ?? 0);
      teardown.trees.push({ pid: init, holder: template.child });
      const closed = once(parked, "close");
      process.kill(init, "SIGUSR2");
      await waitForFile(`${upstream}.prepared`, deadline);
      await closed; // thaw-init let go of the Unix connection

      // The template's stdout and stderr: pipes whose other end is this process.
      const templatePipes = [1, 2].map((fd) => {
        const target = readlinkSync(`/proc/${String(init)}/fd/${String(fd)}`);
        assert.match(target, /^pipe:\[\d+\]$/);
        return target;
      });
      const images = join(dir, "images");
      mkdirSync(images);
      const dumpStarted = performance.now();
      const dump = teardown.spawn(
        criu,
        [
          "dump",
          "-t",
          String(init),
          "-D",
          images,
          "-o",
          "dump.log",
          ...TCP_FLAGS,
        ],
        { env: CRIU_ENV, stdio: "ignore" },
      );
      const dumped = await exitOf(dump);
      const dumpMs = performance.now() - dumpStarted;
      assert.equal(dumped, 0, criuLogErrors(join(images, "dump.log")));
      // The dump kills the tree: the outer thaw-init exits as its init did (SIGKILL).
      assert.equal(await exitOf(template.child), 137);
      const imageMB =
        readdirSync(images).reduce(
          (sum, name) => sum + statSync(join(images, name)).size,
          0,
        ) / 1e6;

      let restores = 0;
      /** Restores one clone and serves it two invocations. */
      const restoreClone = async (): Promise<CloneResult> => {
        restores += 1;
        const work = join(dir, `work-${String(restores)}`);
        mkdirSync(work);
        const pidfile = join(work, "pid");
        const restoreStarted = performance.now();
        // Without -d, criu stays the parent of the clone (this process cannot be a child
        // subreaper) and exits when the clone does. Its new stdout and stderr pipes become the
        // clone's: --inherit-fd maps the template's pipes to criu's own descriptors 1 and 2.
        const {
          child: restore,
          stdout,
          stderr,
        } = teardown.spawnPiped(
          criu,
          [
            "restore",
            "-D",
            images,
            "-W",
            work,
            "-o",
            "restore.log",
            "--pidfile",
            pidfile,
            ...TCP_FLAGS,
            "--inherit-fd",
            `fd[1]:${templatePipes[0] ?? ""}`,
            "--inherit-fd",
            `fd[2]:${templatePipes[1] ?? ""}`,
          ],
          pipes.splice(0, 2),
          { cwd: dir, env: CRIU_ENV },
        );
        const failed = once(restore, "exit").then(([code]) => {
          throw new Error(
            `criu restore exited ${String(code)}: ${criuLogErrors(join(work, "restore.log"))}`,
          );
        });
        failed.catch(() => undefined); // raced below; its later rejection is expected
        const pid = await Promise.race([waitForPid(pidfile, deadline), failed]);
        const pidfileMs = performance.now() - restoreStarted;
        teardown.trees.push({ pid, holder: restore });
        const netns = statSync(`/proc/${String(pid)}/ns/net`).ino;
        const cloneApi = await teardown.server(
          join(dir, `clone-${String(netns)}.sock`),
        );
        process.kill(pid, "SIGUSR1");
        const replayed = await cloneApi.parked(deadline);
        const replayedMs = performance.now() - restoreStarted;
        const first = await cloneApi.invoke({ clone: 1 }, deadline, replayed);
        // Its output comes on the clone's own pipes.
        await stdout.match(
          new RegExp(`^invocation ${first.requestId}$`, "m"),
          deadline,
        );
        await stderr.match(
          new RegExp(`^invocation ${first.requestId} on stderr$`, "m"),
          deadline,
        );
        const second = await cloneApi.invoke({ clone: 2 }, deadline);
        return {
          pid,
          netns,
          api: cloneApi,
          requestIds: [first.requestId, second.requestId],
          reports: [first.report, second.report],
          pidfileMs,
          replayedMs,
          stdout,
          stderr,
          restore,
        };
      };

      const rounds: CloneResult[][] = [];
      for (const size of [1, 3]) {
        const round = await Promise.all(
          Array.from({ length: size }, () => restoreClone()),
        );
        rounds.push(round);
        for (const clone of round) {
          for (const [i, report] of clone.reports.entries()) {
            // The template's state (its start-up token) in a namespace of its own, and the
            // restored connection carries a second invocation.
            assert.equal(report.token, token);
            assert.equal(report.netns, clone.netns);
            assert.equal(report.pid, 2);
            assert.equal(report.ppid, 1);
            assert.deepEqual(report.event, { clone: i + 1 });
          }
          // Nothing of another clone's output reached this one's pipes.
          for (const other of round)
            for (const id of other === clone ? [] : other.requestIds)
              assert.ok(!clone.stdout.text.includes(id));
        }
        // Clones alive together have distinct network namespaces. (Not necessarily distinct from
        // the template's: the dump freed that one, and its inode number can come back.)
        assert.equal(new Set(round.map((clone) => clone.netns)).size, size);
        // A network namespace's inode is reused once it is freed: the next round's clone may
        // have a dead clone's number, so its socket must be gone by then.
        for (const clone of round) {
          killQuietly(clone.pid);
          await exitOf(clone.restore);
          await clone.api.close();
        }
      }
      // The template's pipes carried its own output only: every clone printed on its own.
      assert.match(template.stdout.text, /^ready /m);
      for (const clone of rounds.flat())
        for (const id of clone.requestIds)
          assert.ok(!template.stdout.text.includes(id));
      t.diagnostic(
        [
          `start → first GET /next parked ${parkedMs.toFixed(1)} ms`,
          `dump ${dumpMs.toFixed(1)} ms, image ${imageMB.toFixed(1)} MB`,
          ...rounds.map(
            (round) =>
              `${String(round.length)} concurrent: ${round
                .map(
                  (c) =>
                    `pidfile ${c.pidfileMs.toFixed(1)} ms, replayed GET ${c.replayedMs.toFixed(1)} ms`,
                )
                .join("; ")}`,
          ),
        ].join(" | "),
      );
    },
  );
});

/** One restored clone: its host pid, netns, both reports and its timings from `criu restore`. */
interface CloneResult {
  readonly pid: number;
  readonly netns: number;
  readonly api: RuntimeApiStub;
  readonly requestIds: readonly string[];
  readonly reports: readonly RuntimeReport[];
  readonly pidfileMs: number;
  readonly replayedMs: number;
  readonly stdout: Collected;
  readonly stderr: Collected;
  readonly restore: ChildProcess;
}
