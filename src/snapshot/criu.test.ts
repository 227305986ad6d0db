/**
 * CRIU as the set-up provides it: the probe reports what it finds, and a spike of the snapshot
 * Backend (issue 6) on this machine. A small process tree in its own pid and network namespaces,
 * holding an established TCP connection on its own loopback (as a Runtime holds its keep-alive
 * `GET /next` to an in-sandbox Runtime API), is dumped once; two clones are restored from the
 * images at the same time, each into fresh namespaces, and each proves over a file that it is
 * alive, that the TCP connection still carries data, and that it is distinct from the other.
 * The spike is skipped, with the reason, when CRIU does not work here or thaw does not run as root.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { assertNoLeaks } from "../../tests/support/leaks.js";
import { criuLogErrors, probeCriu, type CriuProbe } from "./criu.js";
import {
  criuUnusableReason,
  killQuietly,
  onlyChild,
  processesNaming,
  waitForFile,
  waitForPid,
} from "./criu-testing.js";

const PYTHON = "/usr/bin/python3";
/** The spike must finish well inside this (it takes under a second when CRIU works). */
const SPIKE_DEADLINE_MS = 20_000;
/** CRIU runs `ip` to restore a network namespace's addresses; thaw's PATH may lack /usr/sbin. */
const CRIU_ENV = {
  ...process.env,
  PATH: `/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
};
/** Flags shared by dump and restore: the TCP connection is part of the snapshot (CRIU ≥ 4.2). */
const TCP_FLAGS = ["--tcp-established", "--network-lock", "nftables"];

/**
 * The template: PID 1 of its namespaces. It listens on 127.0.0.1:9001, forks a child that connects
 * to it (the Runtime's side), and checks the connection once. On SIGUSR1 (sent after a restore) it
 * pings the child over that connection and writes `alive-<its netns inode>.json` with the child's
 * answer, fresh randomness and the token it drew at init.
 */
const TEMPLATE = String.raw`
import json, os, signal, socket, sys
work = sys.argv[1]
os.setsid()
token = os.urandom(8).hex()
server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", 9001))
server.listen(1)
child = os.fork()
if child == 0:
    server.close()
    conn = socket.create_connection(("127.0.0.1", 9001))
    while True:
        data = conn.recv(64)
        if not data:
            os._exit(0)
        conn.sendall(b"pong %d %s" % (os.getpid(), os.urandom(8).hex().encode()))
conn, _ = server.accept()
def ping():
    conn.sendall(b"ping")
    return conn.recv(64).decode()
first = ping()
def handler(signum, frame):
    pass
signal.signal(signal.SIGUSR1, handler)
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})
def publish(name, record):
    with open(os.path.join(work, name + ".tmp"), "w") as f:
        json.dump(record, f)
    os.rename(os.path.join(work, name + ".tmp"), os.path.join(work, name))
publish("ready", {"token": token, "pong": first})
while True:
    signal.sigwait({signal.SIGUSR1})
    netns = os.stat("/proc/self/ns/net").st_ino
    publish("alive-%d.json" % netns, {
        "token": token, "netns": netns, "pid": os.getpid(),
        "pong": ping(), "random": os.urandom(8).hex(),
    })
`;

/** What a clone wrote when signalled. */
interface AliveRecord {
  readonly token: string;
  readonly netns: number;
  readonly pid: number;
  readonly pong: string;
  readonly random: string;
}

describe("probeCriu", () => {
  test("reports a missing CRIU as unavailable, with how to fix it", async () => {
    const empty = mkdtempSync(join(tmpdir(), "thaw-criu-probe-"));
    try {
      const probe = await probeCriu({ projectDir: empty, searchPath: empty });
      assert.equal(probe.available, false);
      assert.equal(probe.location, undefined);
      assert.equal(probe.check, undefined);
      assert.match(probe.notes.join("\n"), /scripts\/setup-criu\.sh/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  test("shows why the set-up could not provide CRIU", async () => {
    const dir = mkdtempSync(join(tmpdir(), "thaw-criu-probe-"));
    try {
      writeFileSync(join(dir, "setup-failure"), "archive unreachable\n");
      const probe = await probeCriu({ projectDir: dir, searchPath: dir });
      assert.match(probe.notes.join("\n"), /archive unreachable/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("reports the CRIU found here as data", async () => {
    const probe = await probeCriu();
    if (probe.location === undefined) {
      assert.equal(probe.available, false);
      return;
    }
    assert.match(probe.version ?? "", /^\d+\.\d+/);
    if (probe.available) {
      assert.equal(probe.check?.passed, true);
      assert.match(probe.check.output, /Looks good/);
    }
  });
});

/** Why the spike cannot run here, or undefined. */
function spikeSkipReason(probe: CriuProbe): string | undefined {
  const unusable = criuUnusableReason(probe);
  if (unusable !== undefined) return unusable;
  if (process.getuid?.() !== 0) return "CRIU needs root";
  if (!existsSync(PYTHON)) return `${PYTHON} is missing`;
  if (!existsSync("/usr/bin/unshare")) return "unshare (util-linux) is missing";
  return undefined;
}

const probe = await probeCriu();
const skip = spikeSkipReason(probe);

describe("CRIU spike: dump a namespaced tree with a TCP connection, restore two clones at once", () => {
  test(
    "each clone is alive, keeps the connection and is distinct",
    { skip: skip ?? false, timeout: SPIKE_DEADLINE_MS },
    async (t) => {
      const criu = probe.location?.path ?? "criu";
      const dir = mkdtempSync(join(tmpdir(), "thaw-criu-spike-"));
      const children: ChildProcess[] = [];
      // Trees to SIGKILL at the end (a pid-namespace init ignores SIGTERM), each with the process
      // that waits for it: while that one runs, the pid cannot have been reused by another process.
      const trees: { pid: number; holder: ChildProcess }[] = [];
      t.after(async () => {
        for (const { pid, holder } of trees)
          if (holder.exitCode === null && holder.signalCode === null)
            killQuietly(pid);
        // Whatever else runs the template (a clone whose pidfile never came, a tree whose criu
        // died) names this test's own folder in its command line.
        for (const pid of processesNaming(dir)) killQuietly(pid);
        for (const child of children)
          if (child.exitCode === null && child.signalCode === null)
            child.kill("SIGKILL");
        await Promise.all(
          children
            .filter((c) => c.exitCode === null && c.signalCode === null)
            .map((c) => once(c, "exit")),
        );
        rmSync(dir, { recursive: true, force: true });
        await assertNoLeaks();
      });
      const deadline = AbortSignal.timeout(SPIKE_DEADLINE_MS - 2_000);
      writeFileSync(join(dir, "template.py"), TEMPLATE);

      // The template: `unshare` makes the pid and network namespaces; its child, PID 1 there,
      // brings up the loopback and becomes the Python tree (its own session, stdio /dev/null).
      const unshare = spawn(
        "/usr/bin/unshare",
        [
          "--pid",
          "--net",
          "--fork",
          "sh",
          "-c",
          'ip link set lo up && exec "$0" "$@"',
          PYTHON,
          join(dir, "template.py"),
          dir,
        ],
        { cwd: dir, env: CRIU_ENV, stdio: "ignore" },
      );
      children.push(unshare);
      const unshareExited = once(unshare, "exit");
      const ready = JSON.parse(
        await waitForFile(join(dir, "ready"), deadline),
      ) as { token: string; pong: string };
      assert.match(ready.pong, /^pong \d+ /);
      const templatePid = onlyChild(unshare.pid ?? 0);
      trees.push({ pid: templatePid, holder: unshare });

      const images = join(dir, "images");
      mkdirSync(images);
      const dumpStarted = performance.now();
      const dump = await runCriu(
        criu,
        [
          "dump",
          "-t",
          String(templatePid),
          "-D",
          images,
          "-o",
          "dump.log",
          ...TCP_FLAGS,
        ],
        children,
      );
      const dumpMs = performance.now() - dumpStarted;
      assert.equal(dump, 0, criuLogErrors(join(images, "dump.log")));
      await unshareExited; // the dump ends the template tree, and so unshare

      // Two clones at once, each with its own work folder (logs, pidfile) and so its own
      // namespaces: the image holds a netns and a pidns, so every restore makes new ones.
      const clones = await Promise.all(
        [1, 2].map(async (i) => {
          const work = join(dir, `clone-${String(i)}`);
          mkdirSync(work);
          const pidfile = join(work, "pid");
          const started = performance.now();
          // Without -d, criu stays the parent of the restored tree and exits when it ends.
          const restore = spawn(
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
            ],
            { cwd: dir, env: CRIU_ENV, stdio: "ignore" },
          );
          children.push(restore);
          const failed = once(restore, "exit").then(([code]) => {
            throw new Error(
              `criu restore ${String(i)} exited ${String(code)}: ${criuLogErrors(join(work, "restore.log"))}`,
            );
          });
          failed.catch(() => undefined); // raced below; its later rejection is expected
          const pid = await Promise.race([
            waitForPid(pidfile, deadline),
            failed,
          ]);
          const restoreMs = performance.now() - started;
          trees.push({ pid, holder: restore });
          const netns = statSync(`/proc/${String(pid)}/ns/net`).ino;
          process.kill(pid, "SIGUSR1");
          const alive = JSON.parse(
            await waitForFile(
              join(dir, `alive-${String(netns)}.json`),
              deadline,
            ),
          ) as AliveRecord;
          const answeredMs = performance.now() - started;
          return { pid, netns, alive, restoreMs, answeredMs };
        }),
      );

      const imageMB =
        readdirSync(images).reduce(
          (sum, name) => sum + statSync(join(images, name)).size,
          0,
        ) / 1e6;
      t.diagnostic(
        `dump ${dumpMs.toFixed(1)} ms (image ${imageMB.toFixed(1)} MB); restore of 2 concurrent clones ${clones
          .map(
            (c) =>
              `${c.restoreMs.toFixed(1)} ms (answered at ${c.answeredMs.toFixed(1)} ms)`,
          )
          .join(", ")}`,
      );
      const [a, b] = clones;
      assert.ok(a !== undefined && b !== undefined);
      for (const clone of clones) {
        // The clone is the template's state (its init token) in its own network namespace...
        assert.equal(clone.alive.token, ready.token);
        assert.equal(clone.alive.netns, clone.netns);
        // ...PID 1 of its own pid namespace, and the restored TCP connection still answers.
        assert.equal(clone.alive.pid, 1);
        assert.match(clone.alive.pong, /^pong \d+ [0-9a-f]{16}$/);
      }
      assert.notEqual(a.netns, b.netns);
      assert.notEqual(a.pid, b.pid);
      assert.notEqual(a.alive.random, b.alive.random);
    },
  );
});

async function runCriu(
  criu: string,
  args: readonly string[],
  children: ChildProcess[],
): Promise<number | null> {
  const child = spawn(criu, [...args], { env: CRIU_ENV, stdio: "ignore" });
  children.push(child);
  const [code] = (await once(child, "exit")) as [number | null];
  return code;
}
