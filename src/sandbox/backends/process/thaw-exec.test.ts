/**
 * native/thaw-exec.c run directly: exit codes and messages of each failure, the exec-status pipe,
 * PATH search in the given environment, session, signal and descriptor hygiene.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { requireThawExec } from "./process-testing.js";

const thawExec = requireThawExec();
const python = "/usr/bin/python3";
const noPython = existsSync(python)
  ? false
  : `needs ${python} to set up an unusual parent`;

/** Runs thaw-exec with `args`, an exec-status pipe on fd 3 and exactly `env`. */
function run(
  args: readonly string[],
  env: Record<string, string> = {},
): SpawnSyncReturns<Buffer> {
  return spawnSync(thawExec, ["--status-fd", "3", ...args], {
    env,
    stdio: ["ignore", "pipe", "pipe", "pipe"],
  });
}

function text(result: SpawnSyncReturns<Buffer>, fd: number): string {
  return result.output[fd]?.toString() ?? "";
}

/** Asserts a failure: the exit code, and one identical line on stderr and on the status pipe. */
function assertFailure(
  result: SpawnSyncReturns<Buffer>,
  code: number,
  message: RegExp,
): void {
  assert.equal(result.status, code, text(result, 2));
  assert.match(text(result, 2), message);
  assert.match(text(result, 2), /^thaw-exec: [^\n]*\n$/);
  assert.equal(text(result, 3), text(result, 2));
}

void test("a missing program exits 127", () => {
  assertFailure(
    run(["--", "/nonexistent/bootstrap"]),
    127,
    /cannot execute \/nonexistent\/bootstrap: No such file/,
  );
  assertFailure(
    run(["--", "no-such-program"], { PATH: "/usr/bin:/bin" }),
    127,
    /no-such-program: not found in PATH/,
  );
});

void test("a program that cannot be executed exits 126", () => {
  const dir = mkdtempSync(join(tmpdir(), "thaw-exec-test-"));
  try {
    const plain = join(dir, "plain");
    writeFileSync(plain, "#!/bin/sh\n", { mode: 0o644 });
    assertFailure(run(["--", plain]), 126, /Permission denied/);
    // Executable but neither ELF nor #!: no fallback to /bin/sh, unlike execvp.
    const noShebang = join(dir, "no-shebang");
    writeFileSync(noShebang, "echo hi\n");
    chmodSync(noShebang, 0o755);
    assertFailure(run(["--", noShebang]), 126, /Exec format error/);
    assertFailure(
      run(["--", "plain"], { PATH: dir }),
      126,
      /Permission denied/,
    );
  } finally {
    rmSync(dir, { recursive: true });
  }
});

void test("its own failures exit 125: usage, a cgroup it cannot join, a parent already gone", () => {
  assertFailure(run([]), 125, /usage: no PROGRAM/);
  assertFailure(
    run(["--bogus", "x", "--", "/bin/true"]),
    125,
    /unknown option --bogus/,
  );
  assertFailure(
    run(["--cgroup-procs", "/nonexistent/cgroup.procs", "--", "/bin/true"]),
    125,
    /cannot open \/nonexistent/,
  );
});

void test("on success the status pipe closes without a word, and PATH comes from the given environment", () => {
  const result = run(["--", "sh", "-c", "echo ran; echo $PATH"], {
    PATH: "/usr/bin:/bin",
  });
  assert.equal(result.status, 0, text(result, 2));
  assert.equal(text(result, 1), "ran\n/usr/bin:/bin\n");
  assert.equal(text(result, 3), "");
});

void test("the program leads its own session and process group", () => {
  const result = run([
    "--",
    "/bin/sh",
    "-c",
    'set -- $(cut -d" " -f5,6 /proc/$$/stat); echo $$ $1 $2',
  ]);
  const [pid, pgrp, session] = text(result, 1).trim().split(" ");
  assert.equal(pgrp, pid);
  assert.equal(session, pid);
});

void test(
  "signal dispositions and mask are reset, and no inherited descriptor reaches the program",
  { skip: noPython },
  () => {
    // A parent that ignores SIGINT (Python also ignores SIGPIPE and SIGXFSZ), blocks SIGUSR1 and
    // leaks an inheritable descriptor as fd 9.
    const parent = [
      "import os, signal, sys",
      "signal.signal(signal.SIGINT, signal.SIG_IGN)",
      "signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})",
      "fd = os.open('/dev/null', os.O_RDONLY)",
      "os.dup2(fd, 9, inheritable=True)",
      "os.execv(sys.argv[1], sys.argv[1:])",
    ].join("\n");
    // ls lists its own descriptors: the three stdio ones and the directory it reads (3).
    // The shell reads its own status with builtins only: around a fork, dash blocks every signal.
    const script =
      'while read -r line; do case $line in SigBlk*|SigIgn*) echo "$line";; esac; done < /proc/$$/status; ls /proc/self/fd';
    const result = spawnSync(
      python,
      ["-c", parent, thawExec, "--", "/bin/sh", "-c", script],
      { env: {} },
    );
    assert.equal(result.status, 0, result.stderr.toString());
    // /proc/<pid>/status lists SigBlk before SigIgn.
    const [blocked, ignored, ...fds] = result.stdout
      .toString()
      .trim()
      .split("\n");
    assert.equal(blocked, "SigBlk:\t0000000000000000");
    assert.equal(ignored, "SigIgn:\t0000000000000000");
    assert.deepEqual(fds, ["0", "1", "2", "3"]);
  },
);

void test("--pass-status-fd keeps the status pipe open across the exec, for a program that reports on it", () => {
  const passed = run([
    "--pass-status-fd",
    "--",
    "/bin/sh",
    "-c",
    "echo inner >&3",
  ]);
  assert.equal(passed.status, 0, text(passed, 2));
  assert.equal(text(passed, 3), "inner\n");
  const closed = run([
    "--",
    "/bin/sh",
    "-c",
    "echo inner >&3 2>/dev/null || echo closed",
  ]);
  assert.equal(text(closed, 1), "closed\n");
  assert.equal(text(closed, 3), "");
});
