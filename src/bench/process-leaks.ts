/**
 * Leak probes read from Linux's `/proc` and cgroup file systems: the processes below a pid, the
 * cgroups thaw made while running as that pid (`thaw-<pid>-<n>`, see the process backend), and the
 * TCP sockets it listens on. The soak benchmark records them while `thaw serve` runs as its child
 * and checks after its exit that none of them is left; the tests' leak check
 * (`tests/support/leaks.ts`) takes the same census of the test process itself. Linux only.
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";

/** One process, identified by pid and start time (a pid alone may be reused). */
export interface ProcessRecord {
  readonly pid: number;
  /** Field 22 of `/proc/<pid>/stat`: clock ticks after boot. */
  readonly startTime: number;
  /** `comm`: the executable's name, at most 15 characters. */
  readonly command: string;
}

/** A TCP socket in LISTEN state. */
export interface ListeningSocket {
  readonly inode: string;
  /** `address:port`, IPv4 dotted or IPv6 hexadecimal. */
  readonly address: string;
}

/** The fields of `/proc/<pid>/stat` after the command name, or undefined when the process is gone. */
function statFields(
  pid: number,
): { command: string; fields: string[] } | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${String(pid)}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // The command name may hold spaces and parentheses: the fields resume after the last ')'.
  const close = stat.lastIndexOf(")");
  return {
    command: stat.slice(stat.indexOf("(") + 1, close),
    fields: stat.slice(close + 2).split(" "),
  };
}

function recordOf(
  pid: number,
  stat: { command: string; fields: string[] },
): ProcessRecord {
  // fields[0] is field 3 (state), so field 22 (starttime) is fields[19].
  return {
    pid,
    startTime: Number(stat.fields[19]),
    command: stat.command,
  };
}

/** A zombie (or a dead process) is gone: it only waits for its parent to collect it. */
function isRunning(stat: { fields: string[] }): boolean {
  const state = stat.fields[0];
  return state !== "Z" && state !== "X";
}

/** Every process, by parent pid. */
function processesByParent(): Map<number, ProcessRecord[]> {
  const children = new Map<number, ProcessRecord[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    const stat = statFields(pid);
    // The process ended while we looked.
    if (stat === undefined) continue;
    const parent = Number(stat.fields[1]);
    const siblings = children.get(parent) ?? [];
    siblings.push(recordOf(pid, stat));
    children.set(parent, siblings);
  }
  return children;
}

/** The processes whose parent is `parentPid`. */
export function childProcesses(parentPid: number): ProcessRecord[] {
  return processesByParent().get(parentPid) ?? [];
}

/** Every process below `rootPid` (children, their children…), `rootPid` itself excluded. */
export function descendantProcesses(rootPid: number): ProcessRecord[] {
  const children = processesByParent();
  const found: ProcessRecord[] = [];
  const queue = [rootPid];
  for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
    for (const child of children.get(pid) ?? []) {
      found.push(child);
      queue.push(child.pid);
    }
  }
  return found;
}

/**
 * True while `pid` runs. A zombie counts as gone: it is dead and only waits for its parent (for an
 * orphan, an init that may reap a few seconds late) to collect it.
 */
export function processAlive(pid: number): boolean {
  const stat = statFields(pid);
  return stat !== undefined && isRunning(stat);
}

/** A process's arguments joined by spaces, or "" once it has gone. */
export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${String(pid)}/cmdline`, "utf8")
      .split("\0")
      .filter((arg) => arg !== "")
      .join(" ");
  } catch {
    return "";
  }
}

/**
 * Running processes (in any pid namespace, by their host pids) whose command line is `command`, its
 * arguments joined by spaces.
 */
export function processesRunning(command: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (commandLine(pid) === command && processAlive(pid)) found.push(pid);
  }
  return found;
}

/**
 * Those of `records` still running: same pid and start time (a pid alone may be reused), not a
 * zombie.
 */
export function aliveProcesses(
  records: readonly ProcessRecord[],
): ProcessRecord[] {
  return records.filter((record) => {
    const stat = statFields(record.pid);
    return (
      stat !== undefined &&
      recordOf(record.pid, stat).startTime === record.startTime &&
      isRunning(stat)
    );
  });
}

/**
 * cgroup folders named `thaw-<ownerPid>-…` under the cgroups this process sits in (a child started
 * without a cgroup of its own sits in the same ones), three levels deep.
 */
export function thawCgroups(ownerPid: number): string[] {
  const found: string[] = [];
  const prefix = `thaw-${String(ownerPid)}-`;
  for (const line of readFileSync("/proc/self/cgroup", "utf8")
    .trim()
    .split("\n")) {
    const [, controllers = "", path = "/"] = line.split(":");
    const mount =
      controllers === ""
        ? "/sys/fs/cgroup/unified"
        : `/sys/fs/cgroup/${controllers.split(",")[0] ?? ""}`;
    visitFolders(join(mount, path), 3, (dir, name) => {
      if (name.startsWith(prefix)) found.push(join(dir, name));
    });
  }
  return found;
}

/** The distinct sandbox names (`thaw-<pid>-<n>`) among `cgroups`, whichever controllers hold them. */
export function sandboxNames(cgroups: readonly string[]): string[] {
  const names = new Set<string>();
  for (const path of cgroups) {
    const name = path.slice(path.lastIndexOf("/") + 1);
    names.add(name);
  }
  return [...names].sort();
}

function visitFolders(
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
    visitFolders(join(dir, entry.name), depth - 1, visit);
  }
}

/** TCP sockets in LISTEN state in this network namespace, by inode. */
function listeningByInode(): Map<string, string> {
  const listening = new Map<string, string>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let lines: string[];
    try {
      lines = readFileSync(table, "utf8").trim().split("\n").slice(1);
    } catch {
      continue;
    }
    for (const line of lines) {
      const fields = line.trim().split(/\s+/);
      // fields: sl, local_address, rem_address, st (0A = LISTEN), …, inode (the tenth).
      if (fields[3] === "0A" && fields[9] !== undefined)
        listening.set(fields[9], readableAddress(fields[1] ?? ""));
    }
  }
  return listening;
}

/** `0100007F:2553` → `127.0.0.1:9555`; IPv6 addresses stay in hexadecimal. */
function readableAddress(hex: string): string {
  const [host = "", port = ""] = hex.split(":");
  const portNumber = String(Number.parseInt(port, 16));
  if (host.length !== 8) return `[${host}]:${portNumber}`;
  const bytes: number[] = [];
  for (let i = 6; i >= 0; i -= 2)
    bytes.push(Number.parseInt(host.slice(i, i + 2), 16));
  return `${bytes.join(".")}:${portNumber}`;
}

/** The TCP sockets `pid` holds open in LISTEN state (empty when the process is gone). */
export function listeningSockets(pid: number): ListeningSocket[] {
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
      // Closed meanwhile.
    }
  }
  const sockets: ListeningSocket[] = [];
  for (const [inode, address] of listeningByInode())
    if (inodes.has(inode)) sockets.push({ inode, address });
  return sockets;
}

/** Those of `sockets` still listening, whoever holds them now. */
export function stillListening(
  sockets: readonly ListeningSocket[],
): ListeningSocket[] {
  const listening = listeningByInode();
  return sockets.filter((socket) => listening.has(socket.inode));
}
