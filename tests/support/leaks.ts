/**
 * The shared leak check: after a suite, this process has no child processes, no cgroups of its own
 * making, no listening sockets, no mounts of thaw's, no `thaw-` temporary folders and nothing in
 * SnapStart's socket folder (`/run/thaw`) left beyond
 * what existed when the suite started (both recorded when this module is first imported). It polls
 * under a deadline instead of sleeping, because a killed child is reaped a moment after its
 * sandbox reports it gone. Processes, cgroups and sockets are counted by the benchmarks' own
 * census (`src/bench/process-leaks.ts`), which this module also passes on to tests that look at
 * a process other than their own.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SOCKET_DIR } from "../../src/snapshot/snapshot-backend.js";
import {
  childProcesses,
  listeningSockets,
  thawCgroups,
} from "../../src/bench/process-leaks.js";

export {
  commandLine,
  descendantProcesses,
  listeningSockets,
  processAlive,
  processesRunning,
  stillListening,
  thawCgroups,
} from "../../src/bench/process-leaks.js";

const DEADLINE_MS = 3_000;

/** The prefix of every temporary folder and cgroup thaw and its tests make. */
const THAW_PREFIX = "thaw-";

/** Entries of `os.tmpdir()` named `thaw-…`, and of SnapStart's socket folder, when the suite started. */
const TEMP_BASELINE = new Set([...thawTempEntries(), ...socketEntries()]);

/** thaw's mount points (see {@link thawMounts}) when the suite started. */
const MOUNT_BASELINE = new Set(thawMounts());

/** Paths in `os.tmpdir()` whose name starts with `thaw-`. */
function thawTempEntries(): string[] {
  const dir = tmpdir();
  try {
    return readdirSync(dir)
      .filter((name) => name.startsWith(THAW_PREFIX))
      .map((name) => join(dir, name));
  } catch {
    return [];
  }
}

/**
 * What SnapStart leaves in its socket folder while it runs (`/run/thaw`): Runtime API sockets of
 * templates and clones, `criu restore` work folders.
 */
function socketEntries(): string[] {
  try {
    return readdirSync(SOCKET_DIR).map((name) => join(SOCKET_DIR, name));
  } catch {
    return [];
  }
}

/**
 * Mount points that belong to thaw, as `/proc/<pid>/mountinfo` lists them (this process by
 * default): under a `thaw-` folder of `os.tmpdir()`, or with `thaw-` anywhere in the path.
 */
function thawMounts(pid: number | "self" = "self"): string[] {
  let text: string;
  try {
    text = readFileSync(`/proc/${String(pid)}/mountinfo`, "utf8");
  } catch {
    return [];
  }
  const underTemp = join(tmpdir(), THAW_PREFIX);
  const found: string[] = [];
  for (const line of text.split("\n")) {
    // Fields: id, parent id, major:minor, root, mount point, … (proc(5)); spaces are octal-escaped.
    const mountPoint = unescapeMountField(line.split(" ")[4] ?? "");
    if (mountPoint.startsWith(underTemp) || mountPoint.includes(THAW_PREFIX))
      found.push(mountPoint);
  }
  return found;
}

function unescapeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) =>
    String.fromCharCode(parseInt(octal, 8)),
  );
}

/** What is left now: each list empty when nothing leaked. */
function currentLeaks(): Record<string, unknown[]> {
  const children = childProcesses(process.pid).map((child) => child.pid);
  // A child in a mount namespace of its own (a sandbox) has mounts this process cannot see.
  const isNew = (point: string): boolean => !MOUNT_BASELINE.has(point);
  const mounts = [
    ...thawMounts().filter(isNew),
    ...children.flatMap((pid) =>
      thawMounts(pid)
        .filter(isNew)
        .map((point) => `${String(pid)}:${point}`),
    ),
  ];
  return {
    children,
    cgroups: thawCgroups(process.pid),
    listening: listeningSockets(process.pid),
    mounts,
    tempFolders: [...thawTempEntries(), ...socketEntries()].filter(
      (path) => !TEMP_BASELINE.has(path),
    ),
  };
}

/**
 * Fails when anything is left, after waiting up to 3 s for it to go away: child processes, cgroups
 * of this process, listening sockets, and, compared with when this module was imported, mounts of
 * thaw's and `thaw-` entries of `os.tmpdir()`.
 */
export async function assertNoLeaks(): Promise<void> {
  const started = Date.now();
  for (;;) {
    const leaks = currentLeaks();
    const clean = Object.values(leaks).every((list) => list.length === 0);
    if (clean) return;
    if (Date.now() - started > DEADLINE_MS) {
      assert.fail(`leaked after the suite: ${JSON.stringify(leaks)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
