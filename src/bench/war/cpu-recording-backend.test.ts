import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import {
  processTreeCpuSeconds,
  runNanosOfSchedstat,
  ticksOfStat,
} from "./cpu-recording-backend.js";

test("a /proc stat line is read after the command name, whatever it holds", () => {
  // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime …
  const line =
    "4242 (a (weird) name) S 1 4242 4242 0 -1 4194560 100 0 0 0 7 3 20 5 20 0 1 0 123";
  assert.deepEqual(ticksOfStat(line), { own: 10, children: 25 });
  assert.throws(() => ticksOfStat("4242 (x) S 1"), /Malformed/);
  assert.equal(runNanosOfSchedstat("1500000 20000 3\n"), 1_500_000);
});

test("a process tree's CPU time counts a busy child, and is undefined once the root is gone", async () => {
  // A shell whose child burns CPU for a while, then both wait.
  const shell = spawn("/bin/sh", [
    "-c",
    "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done; sleep 30",
  ]);
  try {
    const deadline = Date.now() + 10_000;
    let seconds = processTreeCpuSeconds(shell.pid ?? -1) ?? 0;
    while (seconds < 0.05 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      seconds = processTreeCpuSeconds(shell.pid ?? -1) ?? 0;
    }
    assert.ok(
      seconds >= 0.05,
      `expected some CPU time, got ${String(seconds)} s`,
    );
  } finally {
    shell.kill("SIGKILL");
    await once(shell, "exit");
  }
  assert.equal(processTreeCpuSeconds(shell.pid ?? -1), undefined);
});
