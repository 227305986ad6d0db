/**
 * CgroupSet on this machine's real cgroups (skipped with the reason where there are none), and
 * detection on fake cgroup trees, so the v1 and v2 layouts are both exercised on any machine.
 */
import { after, afterEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { CgroupSet, type CgroupHost } from "./cgroup.js";
import { assertNoLeaks } from "../../../../tests/support/leaks.js";
import {
  isGone,
  leftoverCgroups,
  requireThawExec,
  waitUntil,
} from "./process-testing.js";

const thawExec = requireThawExec();
const host = await CgroupSet.detect();
const noCgroups =
  host.version === "none"
    ? `needs cgroups, unavailable here: ${host.notes.join("; ")}`
    : false;
const MIB = 1024 * 1024;
let sequence = 0;

function newName(): string {
  sequence += 1;
  return `thaw-${String(process.pid)}-cgroup-test-${String(sequence)}`;
}

/** Starts `command` inside `set` through thaw-exec. */
async function startInside(
  set: CgroupSet,
  command: string,
  args: readonly string[],
): Promise<number> {
  const procs = set.procsFiles.flatMap((file) => ["--cgroup-procs", file]);
  const child = spawn(thawExec, [...procs, "--", command, ...args], {
    stdio: "ignore",
  });
  await once(child, "spawn");
  const pid = child.pid ?? 0;
  await waitUntil(
    () => set.pids().includes(pid),
    "the process to join the cgroup set",
  );
  return pid;
}

function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${String(pid)}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[11]) + Number(fields[12]); // utime + stime
}

after(async () => {
  await assertNoLeaks();
});

afterEach(() => {
  assert.deepEqual(leftoverCgroups(host), [], "cgroups left after the test");
});

void describe("CgroupSet on this machine", () => {
  void test(
    "detects a usable cgroup version with a memory controller",
    { skip: noCgroups },
    () => {
      assert.notEqual(host.version, "none");
      if (host.version === "none") return;
      assert.ok(host.parents.memory !== undefined);
      assert.match(host.notes[0] ?? "", /^cgroup v[12]/);
    },
  );

  void test(
    "create() applies the limits; remove() deletes every directory, idempotently",
    { skip: noCgroups },
    async () => {
      const set = CgroupSet.create(host, newName(), {
        memoryBytes: 32 * MIB,
        pidsMax: 77,
      });
      try {
        assert.ok(
          set.paths.length > 0 && set.paths.every((dir) => existsSync(dir)),
        );
        assert.equal(set.procsFiles.length, set.paths.length);
        const memoryDir = set.paths[0] ?? "";
        const limitFile =
          set.version === "v1" ? "memory.limit_in_bytes" : "memory.max";
        assert.equal(
          readFileSync(join(memoryDir, limitFile), "utf8").trim(),
          String(32 * MIB),
        );
        const pidsDir = set.paths.find((dir) =>
          existsSync(join(dir, "pids.max")),
        );
        if (pidsDir !== undefined)
          assert.equal(
            readFileSync(join(pidsDir, "pids.max"), "utf8").trim(),
            "77",
          );
        assert.deepEqual(set.pids(), []);
        assert.equal(set.oomKillCount(), 0);
      } finally {
        await set.remove();
      }
      assert.ok(set.paths.every((dir) => !existsSync(dir)));
      await set.remove();
      assert.equal(set.peakMemoryBytes(), undefined);
    },
  );

  void test(
    "CPU as a quota throttles a busy loop; CPU as shares is a weight without a quota",
    { skip: noCgroups },
    async (t) => {
      const limited = CgroupSet.create(host, newName(), {
        memoryBytes: 64 * MIB,
        pidsMax: 10,
        cpu: { cpus: 0.25, as: "quota" },
      });
      const free = CgroupSet.create(host, newName(), {
        memoryBytes: 64 * MIB,
        pidsMax: 10,
        cpu: { cpus: 0.25, as: "shares" },
      });
      try {
        const cpuOf = (set: CgroupSet): string | undefined =>
          set.paths.find((dir) => existsSync(join(dir, "cpu.stat")));
        if (cpuOf(limited) === undefined) {
          t.skip("no cpu controller here");
          return;
        }
        assert.equal(limited.cpuQuota(), 0.25);
        assert.equal(free.cpuQuota(), undefined, "shares set no quota");
        const weight =
          limited.version === "v1"
            ? readFileSync(join(cpuOf(free) ?? "", "cpu.shares"), "utf8")
            : readFileSync(join(cpuOf(free) ?? "", "cpu.weight"), "utf8");
        assert.equal(weight.trim(), limited.version === "v1" ? "256" : "25");
        // A shell spinning for 1 s of wall time inside the limited group.
        const child = spawn(
          "/bin/sh",
          [
            "-c",
            'read x; end=$(($(date +%s%N) + 1000000000)); while [ "$(date +%s%N)" -lt "$end" ]; do :; done',
          ],
          { stdio: ["pipe", "ignore", "ignore"] },
        );
        for (const file of limited.procsFiles)
          writeFileSync(file, String(child.pid));
        child.stdin.end("go\n");
        await once(child, "exit");
        // The kernel throttled it: cpu.stat counts the periods it ran out of quota.
        const cpuDir = cpuOf(limited);
        assert.ok(cpuDir !== undefined);
        const stat = readFileSync(join(cpuDir, "cpu.stat"), "utf8");
        const throttled = Number(
          /^(?:nr_throttled) (\d+)$/m.exec(stat)?.[1] ?? "0",
        );
        assert.ok(throttled > 0, stat);
      } finally {
        await limited.remove();
        await free.remove();
      }
    },
  );

  void test(
    "create() refuses a name that exists, leaving the existing group alone",
    { skip: noCgroups },
    async () => {
      const name = newName();
      const first = CgroupSet.create(host, name, {
        memoryBytes: 64 * MIB,
        pidsMax: 10,
      });
      try {
        assert.throws(
          () =>
            CgroupSet.create(host, name, {
              memoryBytes: 64 * MIB,
              pidsMax: 10,
            }),
          { code: "EEXIST" },
        );
        assert.ok(first.paths.every((dir) => existsSync(dir)));
      } finally {
        await first.remove();
      }
    },
  );

  void test(
    "freeze() stops every process, thaw() resumes them, killAll() ends them",
    { skip: noCgroups },
    async (t) => {
      const set = CgroupSet.create(host, newName(), {
        memoryBytes: 64 * MIB,
        pidsMax: 10,
      });
      try {
        if (!set.canFreeze) {
          t.skip("no freezer here");
          return;
        }
        const pid = await startInside(set, "/bin/sh", [
          "-c",
          "while :; do :; done",
        ]);
        await set.freeze();
        const frozenTicks = cpuTicks(pid);
        await sleep(200); // measuring that no CPU is used, not waiting for a state
        assert.equal(cpuTicks(pid), frozenTicks, "no CPU while frozen");
        await set.thaw();
        await waitUntil(
          () => cpuTicks(pid) > frozenTicks,
          "CPU use after thaw",
        );
        // killAll() on a frozen set still kills (it thaws it).
        await set.freeze();
        await set.killAll();
        assert.deepEqual(set.pids(), []);
        await waitUntil(() => isGone(pid), "the process to end");
      } finally {
        await set.killAll();
        await set.remove();
      }
    },
  );

  void test(
    "killAll() also ends processes that forked away and left the session",
    { skip: noCgroups },
    async () => {
      const set = CgroupSet.create(host, newName(), {
        memoryBytes: 64 * MIB,
        pidsMax: 50,
      });
      try {
        await startInside(set, "/bin/sh", [
          "-c",
          "setsid sleep 1000 & sleep 1000 & (trap '' TERM; sleep 1000) & wait",
        ]);
        await waitUntil(
          () => set.pids().length >= 4,
          "the shell and its three children",
        );
        const pids = set.pids();
        await set.killAll();
        assert.deepEqual(set.pids(), []);
        await waitUntil(() => pids.every(isGone), "every process to end");
      } finally {
        await set.remove();
      }
    },
  );

  void test(
    "detect() removes the groups of a thaw process that ended, and kills what is in them",
    { skip: noCgroups },
    async () => {
      const dead = spawn("/bin/true");
      await once(dead, "close");
      const name = `thaw-${String(dead.pid ?? 0)}-1`;
      const set = CgroupSet.create(host, name, {
        memoryBytes: 64 * MIB,
        pidsMax: 10,
      });
      const pid = await startInside(set, "/bin/sleep", ["1000"]);
      const notes = (await CgroupSet.detect()).notes;
      assert.ok(
        set.paths.every((dir) => !existsSync(dir)),
        `not reaped; notes: ${notes.join("; ")}`,
      );
      await waitUntil(() => isGone(pid), "the stale group's process to end");
    },
  );
});

void describe("CgroupSet.detect on fake cgroup trees", () => {
  /** Writes a fake mount table and membership; returns the options that point detect() at them. */
  function fakeHost(
    root: string,
    mountinfo: string[],
    membership: string[],
  ): Parameters<typeof CgroupSet.detect>[0] {
    writeFileSync(join(root, "mountinfo"), mountinfo.join("\n") + "\n");
    writeFileSync(join(root, "cgroup"), membership.join("\n") + "\n");
    return {
      mountinfoPath: join(root, "mountinfo"),
      procCgroupPath: join(root, "cgroup"),
    };
  }

  void test("v2: enables the controllers, writes memory.max and pids.max, reads peak and OOM kills", async (t) => {
    const root = mkdtempSync(join(tmpdir(), "thaw-fake-v2-"));
    t.after(() => {
      rmSync(root, { recursive: true });
    });
    const mount = join(root, "cg");
    mkdirSync(join(mount, "thaw.slice"), { recursive: true });
    writeFileSync(
      join(mount, "thaw.slice", "cgroup.controllers"),
      "cpuset cpu io memory pids\n",
    );
    const options = fakeHost(
      root,
      [`30 1 0:26 / ${mount} rw,nosuid - cgroup2 cgroup2 rw,nsdelegate`],
      ["0::/thaw.slice"],
    );
    const detected: CgroupHost = await CgroupSet.detect(options);
    if (detected.version !== "v2")
      assert.fail(`not v2: ${detected.notes.join("; ")}`);
    const dir = join(mount, "thaw.slice");
    assert.deepEqual(detected.parents, {
      memory: dir,
      pids: dir,
      cpu: dir,
      freezer: dir,
    });
    assert.equal(
      readFileSync(join(dir, "cgroup.subtree_control"), "utf8"),
      "+memory +pids +cpu",
    );

    const set = CgroupSet.create(detected, "thaw-1-1", {
      memoryBytes: 32 * MIB,
      pidsMax: 99,
    });
    const own = join(dir, "thaw-1-1");
    assert.deepEqual(set.procsFiles, [join(own, "cgroup.procs")]);
    assert.equal(
      readFileSync(join(own, "memory.max"), "utf8"),
      String(32 * MIB),
    );
    assert.equal(readFileSync(join(own, "pids.max"), "utf8"), "99");
    assert.equal(
      existsSync(join(own, "memory.swap.max")),
      false,
      "written only where the kernel has it",
    );

    writeFileSync(join(own, "memory.peak"), "1234\n");
    assert.equal(set.peakMemoryBytes(), 1234);
    unlinkSync(join(own, "memory.peak"));
    writeFileSync(join(own, "memory.current"), "500\n");
    assert.equal(set.peakMemoryBytes(), 500);
    writeFileSync(join(own, "memory.current"), "300\n");
    assert.equal(
      set.peakMemoryBytes(),
      500,
      "without memory.peak, the highest sample",
    );
    writeFileSync(
      join(own, "memory.events"),
      "low 0\nhigh 0\nmax 4\noom 1\noom_kill 1\n",
    );
    assert.equal(set.oomKillCount(), 1);
  });

  void test("v1 in a container: the mount shows a subtree, /proc/self/cgroup the full path", async (t) => {
    const root = mkdtempSync(join(tmpdir(), "thaw-fake-v1-"));
    t.after(() => {
      rmSync(root, { recursive: true });
    });
    const memory = join(root, "memory");
    const pids = join(root, "pids");
    mkdirSync(memory);
    mkdirSync(pids);
    const options = fakeHost(
      root,
      [
        `40 31 0:32 /docker/abc ${memory} rw,relatime - cgroup cgroup rw,memory`,
        `41 31 0:33 /docker/abc ${pids} rw,relatime - cgroup cgroup rw,pids`,
        `42 31 0:34 / ${join(root, "unified")} rw,relatime - cgroup2 cgroup2 rw`,
      ],
      ["5:pids:/docker/abc", "4:memory:/docker/abc/inner", "0::/"],
    );
    const detected = await CgroupSet.detect({
      ...options,
      parent: "sandboxes",
    });
    if (detected.version !== "v1")
      assert.fail(`not v1: ${detected.notes.join("; ")}`);
    assert.deepEqual(detected.parents, {
      memory: join(memory, "inner", "sandboxes"),
      pids: join(pids, "sandboxes"),
    });
    assert.ok(detected.notes.some((note) => note.includes("no cpu hierarchy")));
  });

  void test("no memory controller anywhere: version none, saying why", async (t) => {
    const root = mkdtempSync(join(tmpdir(), "thaw-fake-none-"));
    t.after(() => {
      rmSync(root, { recursive: true });
    });
    const unified = join(root, "unified");
    mkdirSync(unified);
    writeFileSync(join(unified, "cgroup.controllers"), "hugetlb\n");
    const options = fakeHost(
      root,
      [`42 31 0:34 / ${unified} rw,relatime - cgroup2 cgroup2 rw`],
      ["0::/"],
    );
    const detected = await CgroupSet.detect(options);
    assert.equal(detected.version, "none");
    assert.match(
      detected.notes.join("\n"),
      /no usable memory controller.*offers only: hugetlb/,
    );
    assert.throws(() =>
      CgroupSet.create(detected, "x", { memoryBytes: MIB, pidsMax: 1 }),
    );
  });

  void test("a parent outside thaw's own cgroup is refused", async () => {
    assert.equal(
      (await CgroupSet.detect({ parent: "../elsewhere" })).version,
      "none",
    );
    assert.equal((await CgroupSet.detect({ parent: "/abs" })).version, "none");
  });
});
