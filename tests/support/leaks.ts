/**
 * The shared leak check: after a suite, this process has no child processes, no cgroups of its own
 * making, no listening sockets, no mounts of thaw's and no `thaw-` temporary folders left beyond
 * what existed when the suite started (both recorded when this module is first imported). It polls
 * under a deadline instead of sleeping, because a killed child is reaped a moment after its
 * sandbox reports it gone.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const DEADLINE_MS = 3_000;

/** The prefix of every temporary folder and cgroup thaw and its tests make. */
const THAW_PREFIX = "thaw-";

/** Entries of `os.tmpdir()` named `thaw-…` when the suite started. */
const TEMP_BASELINE = new Set(thawTempEntries());

/** thaw's mount points (see {@link thawMounts}) when the suite started. */
const MOUNT_BASELINE = new Set(thawMounts());

/** Pids whose parent is `parent` (this process by default). */
export function childProcesses(parent: number = process.pid): number[] {
  return parentsOfAll()
    .filter(([, ppid]) => ppid === parent)
    .map(([pid]) => pid);
}

/** Every process below `ancestor`: its children, their children, and so on. */
export function descendantProcesses(ancestor: number): number[] {
  const children = new Map<number, number[]>();
  for (const [pid, ppid] of parentsOfAll())
    children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  const found: number[] = [];
  const pending = [ancestor];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    for (const child of children.get(next) ?? []) {
      found.push(child);
      pending.push(child);
    }
  }
  return found;
}

/** `[pid, parent pid]` of every process. */
function parentsOfAll(): [number, number][] {
  const pairs: [number, number][] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // The command name may hold spaces and parentheses: fields resume after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      pairs.push([Number(entry), Number(fields[1])]);
    } catch {
      // The process ended while we looked.
    }
  }
  return pairs;
}

/**
 * True while `pid` runs. A zombie counts as gone: it is dead and only waits for its parent (here, an
 * init that reaps orphans a few seconds late) to collect it.
 */
export function processAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

/**
 * cgroup folders named `thaw-<pid>-…` (made by thaw running as `pid`, by default this process) under
 * the cgroups this process sits in.
 */
export function ownCgroups(pid: number = process.pid): string[] {
  const found: string[] = [];
  const prefix = `thaw-${String(pid)}-`;
  for (const line of readFileSync("/proc/self/cgroup", "utf8")
    .trim()
    .split("\n")) {
    const [, controllers = "", path = "/"] = line.split(":");
    const mount =
      controllers === ""
        ? "/sys/fs/cgroup/unified"
        : `/sys/fs/cgroup/${controllers.split(",")[0] ?? ""}`;
    walk(join(mount, path), 3, (dir, name) => {
      if (name.startsWith(prefix)) found.push(join(dir, name));
    });
  }
  return found;
}

function walk(
  dir: string,
  depth: number,
  visit: (dir: string, name: string) => void,
): void {
  if (depth === 0) return;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    if (!entry.isDirectory()) continue;
    visit(dir, entry.name);
    walk(join(dir, entry.name), depth - 1, visit);
  }
}

/**
 * TCP sockets in LISTEN state held by `pid` (this process by default), as
 * `<table> <local address> inode=<inode>`.
 */
export function listeningSockets(pid: number | "self" = "self"): string[] {
  const inodes = new Set<string>();
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${String(pid)}/fd`);
  } catch {
    return [];
  }
  for (const fd of fds) {
    try {
      const target = readlinkSync(`/proc/${String(pid)}/fd/${fd}`);
      const match = /^socket:\[(\d+)\]$/.exec(target);
      if (match?.[1] !== undefined) inodes.add(match[1]);
    } catch {
      // closed meanwhile
    }
  }
  return listeningEntries().filter((entry) => inodes.has(inodeOf(entry)));
}

/**
 * Those of `sockets` (from {@link listeningSockets}) that some process still listens on: a socket
 * outlives the process that opened it when a descendant inherited it.
 */
export function stillListening(sockets: readonly string[]): string[] {
  const listening = new Set(listeningEntries().map(inodeOf));
  return sockets.filter((entry) => listening.has(inodeOf(entry)));
}

/** Every TCP socket in LISTEN state in this network namespace. */
function listeningEntries(): string[] {
  const entries: string[] = [];
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let lines: string[];
    try {
      lines = readFileSync(table, "utf8").trim().split("\n").slice(1);
    } catch {
      continue;
    }
    for (const line of lines) {
      const fields = line.trim().split(/\s+/);
      if (fields[3] === "0A")
        entries.push(`${table} ${fields[1] ?? ""} inode=${fields[9] ?? ""}`);
    }
  }
  return entries;
}

function inodeOf(entry: string): string {
  return entry.slice(entry.lastIndexOf("inode=") + "inode=".length);
}

/** Paths in `os.tmpdir()` whose name starts with `thaw-`. */
export function thawTempEntries(): string[] {
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
 * Mount points that belong to thaw, as `/proc/<pid>/mountinfo` lists them (this process by
 * default): under a `thaw-` folder of `os.tmpdir()`, or with `thaw-` anywhere in the path.
 */
export function thawMounts(pid: number | "self" = "self"): string[] {
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
function currentLeaks(): Record<string, (string | number)[]> {
  const children = childProcesses();
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
    cgroups: ownCgroups(),
    listening: listeningSockets(),
    mounts,
    tempFolders: thawTempEntries().filter((path) => !TEMP_BASELINE.has(path)),
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
