/**
 * The process backend with real processes: output, exit, environment, start errors, destroy of whole
 * trees, memory limit and peak, process limit, the death of thaw. After each test no sandbox
 * process and no cgroup made by this test process is left.
 */
import { after, afterEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { createConnection, createServer, type AddressInfo } from "node:net";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { SandboxStartError } from "../../../errors/sandbox-errors.js";
import type { SandboxSpec, TcpConnection } from "../../sandbox.js";
import { CgroupSet } from "./cgroup.js";
import { createProcessBackend, type ProcessSandbox } from "./index.js";
import type { ProcessBackend } from "./process-backend.js";
import { assertNoLeaks } from "../../../../tests/support/leaks.js";
import {
  isGone,
  leftoverCgroups,
  LogRecorder,
  nativeHelpers,
  waitUntil,
} from "./process-testing.js";

const native = nativeHelpers();
const { thawExecPath } = native;
const host = await CgroupSet.detect();
const noCgroups =
  host.version === "none"
    ? `needs cgroups, unavailable here: ${host.notes.join("; ")}`
    : false;
const python = "/usr/bin/python3";
const noPython = existsSync(python)
  ? false
  : `needs ${python} as a memory allocator`;
const MIB = 1024 * 1024;

const backend = createProcessBackend(native);
const withoutCgroups = createProcessBackend({ ...native, cgroups: "off" });

/** Sandboxes and other pids of the current test, checked and cleaned up after it. */
let sandboxes: ProcessSandbox[] = [];
let otherPids: number[] = [];

after(async () => {
  await assertNoLeaks();
});

afterEach(async () => {
  const leftSandboxes = sandboxes;
  const pids = [...leftSandboxes.map((s) => s.pid), ...otherPids];
  sandboxes = [];
  otherPids = [];
  await Promise.all(leftSandboxes.map((s) => s.destroy("end of test")));
  assert.deepEqual(
    pids.filter((pid) => !isGone(pid)),
    [],
    "processes left after the test",
  );
  assert.deepEqual(leftoverCgroups(host), [], "cgroups left after the test");
});

async function start(
  command: string,
  args: readonly string[],
  options: {
    backend?: ProcessBackend;
    env?: Record<string, string>;
    cwd?: string;
    memoryMB?: number;
  } = {},
): Promise<{ sandbox: ProcessSandbox; log: LogRecorder }> {
  const log = new LogRecorder();
  const spec: SandboxSpec = {
    command,
    args,
    cwd: options.cwd ?? "/",
    env: options.env ?? { PATH: "/usr/bin:/bin" },
    memoryMB: options.memoryMB ?? 128,
    onLog: log.onLog,
  };
  const sandbox = await (options.backend ?? backend).create(spec);
  sandboxes.push(sandbox);
  return { sandbox, log };
}

/** Starts `sh -c script`. */
function sh(
  script: string,
  options: Parameters<typeof start>[2] = {},
): ReturnType<typeof start> {
  return start("/bin/sh", ["-c", script], options);
}

/** Reads the pid a script printed as `<label> <pid>`, and remembers it for the leak check. */
async function printedPid(log: LogRecorder, label: string): Promise<number> {
  const line = await log.waitFor(new RegExp(`^${label} \\d+$`));
  const pid = Number(line.split(" ")[1]);
  otherPids.push(pid);
  return pid;
}

function statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${String(pid)}/stat`, "utf8");
  // Fields after "(comm)": state ppid pgrp session …
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
}

void describe("ProcessBackend", () => {
  void test("probe() reports thaw-exec and what the machine offers for cgroups", async () => {
    const probe = await backend.probe();
    assert.equal(probe.available, true);
    assert.ok(probe.notes.some((note) => note.includes(thawExecPath)));
    assert.ok(
      probe.notes.some((note) =>
        /^cgroup v[12]|^cgroups unavailable/.test(note),
      ),
      probe.notes.join("\n"),
    );
    const missing = await createProcessBackend({
      ...native,
      thawExecPath: "/nonexistent/thaw-exec",
    }).probe();
    assert.equal(missing.available, false);
    assert.ok(
      missing.notes.some((note) => note.includes("scripts/build-native.sh")),
    );
  });

  void test("two backends in one process give their sandboxes distinct ids and cgroups", async () => {
    const other = createProcessBackend(native);
    const [a, b] = await Promise.all([
      sh("sleep 30"),
      sh("sleep 30", { backend: other }),
    ]);
    assert.notEqual(a.sandbox.id, b.sandbox.id);
    for (const path of a.sandbox.cgroupPaths)
      assert.ok(!b.sandbox.cgroupPaths.includes(path), path);
  });

  void test("delivers stdout and stderr line by line, in order, flushing a last line without newline", async () => {
    const { sandbox, log } = await sh(
      'i=0; while [ $i -lt 2000 ]; do echo "out $i"; echo "err $i" >&2; i=$((i+1)); done; ' +
        "head -c 1048576 /dev/zero | tr '\\0' x; echo; printf 'last out'; printf 'last err' >&2",
    );
    const exit = await sandbox.exited;
    assert.deepEqual(exit, { code: 0, signal: null, oomKilled: false });
    const numbered = (prefix: string): string[] =>
      Array.from({ length: 2000 }, (_, i) => `${prefix} ${String(i)}`);
    assert.deepEqual(log.of("stdout"), [
      ...numbered("out"),
      "x".repeat(MIB),
      "last out",
    ]);
    assert.deepEqual(log.of("stderr"), [...numbered("err"), "last err"]);
    assert.equal(sandbox.state, "exited");
  });

  void test("reports the exit code", async () => {
    const { sandbox } = await sh("exit 7");
    assert.deepEqual(await sandbox.exited, {
      code: 7,
      signal: null,
      oomKilled: false,
    });
  });

  void test("reports the signal that ended the Runtime", async () => {
    const { sandbox } = await sh("kill -USR1 $$");
    assert.deepEqual(await sandbox.exited, {
      code: null,
      signal: "SIGUSR1",
      oomKilled: false,
    });
  });

  void test("gives the Runtime exactly the environment of the spec, nothing inherited", async () => {
    process.env.THAW_TEST_SHOULD_NOT_LEAK = "1";
    try {
      const env = {
        A: "1",
        B: "two words",
        EMPTY: "",
        LAMBDA_TASK_ROOT: "/var/task",
      };
      const { sandbox, log } = await start("/usr/bin/env", [], { env });
      await sandbox.exited;
      assert.deepEqual(log.of("stdout").toSorted(), [
        "A=1",
        "B=two words",
        "EMPTY=",
        "LAMBDA_TASK_ROOT=/var/task",
      ]);
    } finally {
      delete process.env.THAW_TEST_SHOULD_NOT_LEAK;
    }
  });

  void test("runs in spec.cwd with stdin at end-of-file", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "thaw-cwd-"));
    try {
      const { sandbox, log } = await sh('pwd; cat; echo "cat $?"', { cwd });
      await sandbox.exited;
      assert.deepEqual(log.of("stdout"), [realpathSync(cwd), "cat 0"]);
    } finally {
      rmSync(cwd, { recursive: true });
    }
  });

  void test("the Runtime is exec'd in place and leads its own session and process group", async () => {
    const { sandbox } = await start("/bin/sleep", ["1000"]);
    assert.equal(
      readFileSync(`/proc/${String(sandbox.pid)}/comm`, "utf8").trim(),
      "sleep",
    );
    const [, , pgrp, session] = statFields(sandbox.pid);
    assert.equal(Number(pgrp), sandbox.pid);
    assert.equal(Number(session), sandbox.pid);
    assert.equal(sandbox.state, "running");
  });

  void test("exposes when each phase of create() happened", async () => {
    const before = performance.now();
    const { sandbox } = await start("/bin/true", []);
    const t = sandbox.timings;
    assert.ok(before <= t.createStartedAt, "createStartedAt");
    assert.ok(t.createStartedAt <= t.spawnStartedAt, "spawnStartedAt");
    assert.ok(t.spawnStartedAt <= t.spawnedAt, "spawnedAt");
    assert.ok(t.spawnedAt <= t.runtimeStartedAt, "runtimeStartedAt");
    assert.ok(t.runtimeStartedAt <= performance.now());
    await sandbox.exited;
  });

  void describe("create() rejects what cannot start with SandboxStartError, leaving nothing behind", () => {
    const cases: {
      name: string;
      command: string;
      cwd?: string;
      message: RegExp;
    }[] = [
      {
        name: "a missing program",
        command: "/nonexistent/bootstrap",
        message: /No such file.*exit code 127/,
      },
      {
        name: "a program not found in PATH",
        command: "no-such-program-here",
        message: /not found in PATH.*127/,
      },
      {
        name: "a missing working directory",
        command: "/bin/true",
        cwd: "/nonexistent-dir",
        message: /working directory/,
      },
    ];
    for (const c of cases) {
      void test(c.name, async () => {
        const log = new LogRecorder();
        await assert.rejects(
          backend.create({
            command: c.command,
            args: [],
            cwd: c.cwd ?? "/",
            env: {},
            memoryMB: 64,
            onLog: log.onLog,
          }),
          (error: unknown) => {
            assert.ok(error instanceof SandboxStartError);
            assert.equal(error.name, "SandboxStartError");
            assert.equal(error.blame, "platform");
            assert.match(error.message, c.message);
            return true;
          },
        );
      });
    }

    void test("a file that is not executable", async () => {
      const dir = mkdtempSync(join(tmpdir(), "thaw-noexec-"));
      try {
        writeFileSync(join(dir, "bootstrap"), "#!/bin/sh\necho hi\n", {
          mode: 0o644,
        });
        const log = new LogRecorder();
        await assert.rejects(
          backend.create({
            command: join(dir, "bootstrap"),
            args: [],
            cwd: dir,
            env: {},
            memoryMB: 64,
            onLog: log.onLog,
          }),
          {
            name: "SandboxStartError",
            message: /Permission denied \(exit code 126\)/,
          },
        );
        // thaw-exec's own line also reaches the log, as a Runtime's stderr would.
        assert.match(log.of("stderr").join("\n"), /^thaw-exec: cannot execute/);
      } finally {
        rmSync(dir, { recursive: true });
      }
    });

    void test("a missing thaw-exec, with the command that builds it", async () => {
      const broken = createProcessBackend({
        ...native,
        thawExecPath: "/nonexistent/thaw-exec",
      });
      await assert.rejects(
        broken.create({
          command: "/bin/true",
          args: [],
          cwd: "/",
          env: {},
          memoryMB: 64,
          onLog: () => undefined,
        }),
        { name: "SandboxStartError", message: /scripts\/build-native\.sh/ },
      );
    });

    void test("a memory size that is not a positive integer", async () => {
      await assert.rejects(
        backend.create({
          command: "/bin/true",
          args: [],
          cwd: "/",
          env: {},
          memoryMB: 0,
          onLog: () => undefined,
        }),
        SandboxStartError,
      );
    });
  });

  for (const [label, chosen, skip] of [
    ["with cgroups", backend, noCgroups],
    ["without cgroups", withoutCgroups, false],
  ] as const) {
    void describe(`destroy() ${label}`, () => {
      void test(
        "kills the whole tree, including a grandchild that ignores SIGTERM",
        { skip },
        async () => {
          const { sandbox, log } = await sh(
            'trap "" TERM; sleep 1000 & echo "child $!"; wait',
            { backend: chosen },
          );
          const child = await printedPid(log, "child");
          const startedAt = performance.now();
          await sandbox.destroy("test", { graceMs: 200 });
          assert.ok(
            performance.now() - startedAt >= 190,
            "SIGTERM was ignored, so the grace period ran out",
          );
          assert.equal(sandbox.state, "destroyed");
          assert.deepEqual(await sandbox.exited, {
            code: null,
            signal: "SIGKILL",
            oomKilled: false,
          });
          assert.ok(isGone(sandbox.pid), "the Runtime is gone");
          // SIGKILL went to the whole group at once; without a cgroup there is nothing to wait on
          // for the grandchild, which dies as soon as it is scheduled (a loaded machine may take
          // a few milliseconds).
          await waitUntil(
            () => isGone(child),
            "the grandchild to be gone",
            2000,
          );
        },
      );

      void test(
        "ends early when the Runtime exits on SIGTERM within the grace period",
        { skip },
        async () => {
          const { sandbox } = await start("/bin/sleep", ["1000"], {
            backend: chosen,
          });
          const startedAt = performance.now();
          await sandbox.destroy("test", { graceMs: 10_000 });
          assert.ok(performance.now() - startedAt < 5000);
          assert.deepEqual(await sandbox.exited, {
            code: null,
            signal: "SIGTERM",
            oomKilled: false,
          });
        },
      );

      void test(
        "is idempotent and allowed after the Runtime exited by itself",
        { skip },
        async () => {
          const { sandbox } = await sh("exit 0", { backend: chosen });
          await sandbox.exited;
          const first = sandbox.destroy("first");
          assert.equal(sandbox.destroy("second"), first);
          await first;
          assert.equal(sandbox.state, "exited");

          const { sandbox: running } = await start("/bin/sleep", ["1000"], {
            backend: chosen,
          });
          const a = running.destroy("a");
          const b = running.destroy("b", { graceMs: 5000 });
          assert.equal(a, b);
          await a;
          assert.equal(running.state, "destroyed");
        },
      );

      void test(
        "processes the Runtime leaves behind when it exits are killed",
        { skip },
        async () => {
          const { sandbox, log } = await sh('sleep 1000 & echo "child $!"', {
            backend: chosen,
          });
          const child = await printedPid(log, "child");
          assert.equal((await sandbox.exited).code, 0);
          // With cgroups `exited` waits for the group to be empty; without, the orphan got SIGKILL
          // with its group and dies as soon as it is scheduled.
          await waitUntil(() => isGone(child), "the orphan to be gone", 2000);
        },
      );
    });
  }

  void test(
    "destroy() also kills a process that left the Runtime's session, through the cgroup",
    { skip: noCgroups },
    async () => {
      const { sandbox, log } = await sh(
        'setsid sleep 1000 & echo "escaped $!"; wait',
      );
      const escaped = await printedPid(log, "escaped");
      await waitUntil(() => {
        try {
          return Number(statFields(escaped)[3]) === escaped;
        } catch {
          return false;
        }
      }, "the escaped process to lead its own session");
      await sandbox.destroy("test");
      assert.ok(isGone(escaped));
    },
  );

  void test(
    "enforces the memory limit: a process allocating beyond it is OOM-killed",
    { skip: noCgroups || noPython },
    async () => {
      const { sandbox } = await start(
        python,
        ["-c", "b = b'x' * (200 << 20)\nprint('survived')"],
        { memoryMB: 32 },
      );
      const exit = await sandbox.exited;
      assert.deepEqual(exit, {
        code: null,
        signal: "SIGKILL",
        oomKilled: true,
      });
      const peak = (await sandbox.peakMemoryBytes()) ?? 0;
      assert.ok(
        peak > 30 * MIB && peak <= 32 * MIB,
        `peak ${String(peak)} is at the 32 MiB limit`,
      );
    },
  );

  void test(
    "measures the peak memory of the whole tree",
    { skip: noCgroups || noPython },
    async () => {
      // The allocator is a child of the Runtime (sh), so only a tree-wide measure can see it.
      const code =
        "import time\nb = b'x' * (40 << 20)\nprint('allocated', flush=True)\ntime.sleep(1000)";
      const { sandbox, log } = await start(
        "/bin/sh",
        ["-c", `${python} -c "$1"`, "sh", code],
        { memoryMB: 128 },
      );
      await log.waitFor(/^allocated$/);
      const running = (await sandbox.peakMemoryBytes()) ?? 0;
      assert.ok(
        running >= 40 * MIB && running < 128 * MIB,
        `peak ${String(running)} between 40 and 128 MiB`,
      );
      await sandbox.destroy("test");
      const afterEnd = await sandbox.peakMemoryBytes();
      assert.ok(
        afterEnd !== undefined && afterEnd >= running,
        "the peak is kept after the cgroup is removed",
      );
    },
  );

  void test(
    "without cgroups, peak memory is the Runtime's own VmHWM",
    { skip: noPython },
    async () => {
      const code =
        "import time\nb = b'x' * (40 << 20)\nprint('allocated', flush=True)\ntime.sleep(1000)";
      const { sandbox, log } = await start(python, ["-c", code], {
        backend: withoutCgroups,
      });
      await log.waitFor(/^allocated$/);
      const peak = (await sandbox.peakMemoryBytes()) ?? 0;
      assert.ok(
        peak >= 40 * MIB && peak < 128 * MIB,
        `VmHWM ${String(peak)} between 40 and 128 MiB`,
      );
      await sandbox.destroy("test");
      assert.equal(
        await sandbox.peakMemoryBytes(),
        peak,
        "the last reading is kept",
      );
      assert.equal((await sandbox.exited).oomKilled, false);
    },
  );

  void test(
    "gives each sandbox Lambda's CPU for its memory: a weight by default, a quota on request",
    { skip: noCgroups },
    async (t) => {
      const cpuDir = (sandbox: ProcessSandbox): string | undefined =>
        sandbox.cgroupPaths.find((dir) => existsSync(join(dir, "cpu.stat")));
      const { sandbox: shared } = await sh("sleep 30", { memoryMB: 1769 });
      const sharedDir = cpuDir(shared);
      if (sharedDir === undefined) {
        t.skip("no cpu controller here");
        return;
      }
      const v1 = existsSync(join(sharedDir, "cpu.shares"));
      assert.equal(
        readFileSync(
          join(sharedDir, v1 ? "cpu.shares" : "cpu.weight"),
          "utf8",
        ).trim(),
        v1 ? "1024" : "100",
        "1,769 MB is one vCPU",
      );
      const quota = createProcessBackend({ ...native, cpu: "quota" });
      const { sandbox: limited } = await sh("sleep 30", {
        backend: quota,
        memoryMB: 128,
      });
      const limitedDir = cpuDir(limited) ?? "";
      const [value, period] = v1
        ? [
            readFileSync(join(limitedDir, "cpu.cfs_quota_us"), "utf8"),
            readFileSync(join(limitedDir, "cpu.cfs_period_us"), "utf8"),
          ]
        : readFileSync(join(limitedDir, "cpu.max"), "utf8").split(" ");
      assert.equal(
        Number(value) / Number(period),
        Math.round((128 / 1769) * 100_000) / 100_000,
        "128 MB is 7.2 % of a vCPU",
      );
    },
  );

  void test(
    "limits the number of processes (pidsLimit)",
    { skip: noCgroups },
    async () => {
      const limited = createProcessBackend({ ...native, pidsLimit: 8 });
      // dash gives up on the first fork the pids controller refuses.
      const { sandbox, log } = await sh(
        "i=0; while [ $i -lt 12 ]; do sleep 1000 & i=$((i+1)); echo forked $i; done",
        {
          backend: limited,
        },
      );
      const exit = await sandbox.exited;
      assert.notEqual(exit.code, 0);
      assert.ok(
        log.of("stderr").some((line) => /Cannot fork/.test(line)),
        JSON.stringify(log.lines),
      );
      // The shell itself is one of the 8 tasks, so at most 7 children were forked.
      assert.equal(log.of("stdout").at(-1), "forked 7");
    },
  );

  void test("the Runtime dies with thaw, and a later start removes the cgroups thaw left", async () => {
    const index = pathToFileURL(join(import.meta.dirname, "index.js")).href;
    const script = `
      import { createProcessBackend } from ${JSON.stringify(index)};
      const backend = createProcessBackend(${JSON.stringify(native)});
      const s = await backend.create({ command: "/bin/sleep", args: ["1000"], cwd: "/", env: {}, memoryMB: 64, onLog() {} });
      console.log(JSON.stringify({ pid: s.pid, cgroups: s.cgroupPaths }));
      setInterval(() => {}, 1000);`;
    const thaw = spawn(
      process.execPath,
      ["--input-type=module", "-e", script],
      {
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    const [firstChunk] = (await once(thaw.stdout, "data")) as [Buffer];
    const started = JSON.parse(firstChunk.toString()) as {
      pid: number;
      cgroups: string[];
    };
    otherPids.push(started.pid);
    assert.equal(isGone(started.pid), false);
    thaw.kill("SIGKILL");
    await once(thaw, "close");
    await waitUntil(() => isGone(started.pid), "the Runtime to die with thaw");
    if (host.version !== "none") {
      assert.ok(
        started.cgroups.length > 0 &&
          started.cgroups.every((dir) => existsSync(dir)),
        "thaw left its cgroups",
      );
      await CgroupSet.detect();
      assert.deepEqual(
        started.cgroups.filter((dir) => existsSync(dir)),
        [],
        "the next detection removed them",
      );
    }
  });

  for (const [label, chosen, skip] of [
    ["with cgroups", backend, noCgroups],
    ["without cgroups", withoutCgroups, false],
  ] as const) {
    void test(
      `ownsConnection() ${label}: the sandbox's processes own their connections, nobody else's`,
      { skip },
      async () => {
        const connections: TcpConnection[] = [];
        const server = createServer((socket) => {
          connections.push({
            remoteAddress: socket.remoteAddress ?? "",
            remotePort: socket.remotePort ?? 0,
            localAddress: socket.localAddress ?? "",
            localPort: socket.localPort ?? 0,
          });
        });
        server.listen(0, "127.0.0.1");
        await once(server, "listening");
        const { port } = server.address() as AddressInfo;
        try {
          // The Runtime's own connection, and one from a process it started.
          const connect = `exec 3<>/dev/tcp/127.0.0.1/${String(port)}`;
          const mine = await start(
            "/bin/bash",
            ["-c", `(${connect}; sleep 30) & ${connect}; echo connected; wait`],
            { backend: chosen },
          );
          const other = await start(
            "/bin/bash",
            ["-c", `${connect}; echo connected; sleep 30`],
            { backend: chosen },
          );
          const outsider = createConnection(port, "127.0.0.1");
          await once(outsider, "connect");
          await waitUntil(() => connections.length === 4, "four connections");
          const owned = await Promise.all(
            connections.map((connection) =>
              mine.sandbox.ownsConnection(connection),
            ),
          );
          const ownedByOther = await Promise.all(
            connections.map((connection) =>
              other.sandbox.ownsConnection(connection),
            ),
          );
          const outsiderIndex = connections.findIndex(
            (connection) => connection.remotePort === outsider.localPort,
          );
          assert.equal(owned.filter(Boolean).length, 2, String(owned));
          assert.equal(
            ownedByOther.filter(Boolean).length,
            1,
            String(ownedByOther),
          );
          assert.equal(
            owned[outsiderIndex],
            false,
            "the test's own connection",
          );
          assert.equal(ownedByOther[outsiderIndex], false);
          outsider.destroy();
          await mine.sandbox.destroy("test");
          assert.equal(
            await mine.sandbox.ownsConnection(connections[0] as TcpConnection),
            false,
            "a destroyed sandbox owns nothing",
          );
        } finally {
          server.close();
        }
      },
    );
  }
});
