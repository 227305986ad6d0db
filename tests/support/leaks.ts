/**
 * The shared leak check: after a suite, this process has no child processes, no cgroups of its own
 * making and no listening sockets left. It polls under a deadline instead of sleeping, because a
 * killed child is reaped a moment after its sandbox reports it gone.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";

const DEADLINE_MS = 3_000;

/** Pids whose parent is this process. */
export function childProcesses(): number[] {
  const children: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // The command name may hold spaces and parentheses: fields resume after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[1]) === process.pid) children.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return children;
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

/** TCP sockets in LISTEN state held by this process. */
export function listeningSockets(): string[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync("/proc/self/fd")) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      const match = /^socket:\[(\d+)\]$/.exec(target);
      if (match?.[1] !== undefined) inodes.add(match[1]);
    } catch {
      // closed meanwhile
    }
  }
  const listening: string[] = [];
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let lines: string[];
    try {
      lines = readFileSync(table, "utf8").trim().split("\n").slice(1);
    } catch {
      continue;
    }
    for (const line of lines) {
      const fields = line.trim().split(/\s+/);
      if (fields[3] === "0A" && inodes.has(fields[9] ?? ""))
        listening.push(`${table} ${fields[1] ?? ""}`);
    }
  }
  return listening;
}

/** Fails when anything is left, after waiting up to 3 s for it to go away. */
export async function assertNoLeaks(): Promise<void> {
  const started = Date.now();
  for (;;) {
    const leaks = {
      children: childProcesses(),
      cgroups: ownCgroups(),
      listening: listeningSockets(),
    };
    const clean =
      leaks.children.length === 0 &&
      leaks.cgroups.length === 0 &&
      leaks.listening.length === 0;
    if (clean) return;
    if (Date.now() - started > DEADLINE_MS) {
      assert.fail(`leaked after the suite: ${JSON.stringify(leaks)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
