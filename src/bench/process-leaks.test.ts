/** The leak probes on this process: a child and a grandchild, a socket it listens on, cgroup names. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import {
  commandLine,
  processesRunning,
  aliveProcesses,
  childProcesses,
  descendantProcesses,
  listeningSockets,
  processAlive,
  sandboxNames,
  stillListening,
  thawCgroups,
} from "./process-leaks.js";

void test("finds a grandchild below this process, and sees it gone once killed", async () => {
  // A shell that starts a sleep and waits for it: child and grandchild.
  const shell = spawn("/bin/sh", ["-c", "sleep 30 & wait"], {
    stdio: "ignore",
  });
  try {
    let below = descendantProcesses(process.pid);
    const deadline = Date.now() + 3_000;
    while (!below.some((p) => p.command === "sleep") && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      below = descendantProcesses(process.pid);
    }
    const sleeper = below.find((p) => p.command === "sleep");
    assert.ok(sleeper !== undefined, JSON.stringify(below));
    assert.ok(below.some((p) => p.pid === shell.pid));
    assert.deepEqual(
      childProcesses(process.pid).map((p) => p.pid),
      [shell.pid],
      "the shell is this process's child, the sleep is not",
    );
    assert.deepEqual(aliveProcesses([sleeper]), [sleeper]);
    assert.ok(processAlive(sleeper.pid));
    process.kill(sleeper.pid, "SIGKILL");
    await once(shell, "exit");
    assert.deepEqual(aliveProcesses([sleeper]), []);
    assert.ok(!processAlive(sleeper.pid));
    assert.deepEqual(
      aliveProcesses([{ ...sleeper, startTime: sleeper.startTime + 1 }]),
      [],
      "a reused pid with another start time is not the same process",
    );
  } finally {
    shell.kill("SIGKILL");
  }
});

void test("finds a process by its command line, and not once it has gone", async () => {
  const child = spawn("/bin/sleep", ["1000.5"], { stdio: "ignore" });
  await once(child, "spawn");
  const pid = child.pid ?? 0;
  assert.equal(commandLine(pid), "/bin/sleep 1000.5");
  assert.deepEqual(processesRunning("/bin/sleep 1000.5"), [pid]);
  child.kill("SIGKILL");
  await once(child, "exit");
  assert.deepEqual(processesRunning("/bin/sleep 1000.5"), []);
  assert.equal(commandLine(pid), "");
});

void test("lists this process's listening socket while it listens, and not after", async () => {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  const sockets = listeningSockets(process.pid);
  const mine = sockets.filter((s) => s.address === `127.0.0.1:${String(port)}`);
  assert.equal(mine.length, 1, JSON.stringify(sockets));
  assert.deepEqual(stillListening(mine), mine);
  await new Promise((resolve) => server.close(resolve));
  assert.deepEqual(stillListening(mine), []);
  assert.deepEqual(listeningSockets(2 ** 22 + 1), [], "no such process");
});

void test("cgroups: none for a pid that made none; sandbox names across controllers", () => {
  assert.deepEqual(thawCgroups(2 ** 22 + 1), []);
  assert.deepEqual(
    sandboxNames([
      "/sys/fs/cgroup/memory/thaw-9-2",
      "/sys/fs/cgroup/pids/thaw-9-2",
      "/sys/fs/cgroup/memory/thaw-9-10",
    ]),
    ["thaw-9-10", "thaw-9-2"],
  );
});
