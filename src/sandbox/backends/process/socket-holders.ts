/**
 * Which processes hold a socket: the slow way of telling who opened a connection, for sandboxes
 * whose cgroup the kernel's socket table does not name (cgroup v1, or no cgroup at all). A process
 * holds a socket when one of its descriptors in `/proc/<pid>/fd` links to `socket:[inode]`.
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

/** True when one of `pids` has a descriptor of the socket `inode`. */
export function anyHoldsSocket(
  pids: readonly number[],
  inode: number,
): boolean {
  const link = `socket:[${String(inode)}]`;
  for (const pid of pids) {
    const dir = `/proc/${String(pid)}/fd`;
    let fds: string[];
    try {
      fds = readdirSync(dir);
    } catch {
      continue; // Gone, or not ours to read.
    }
    for (const fd of fds) {
      try {
        if (readlinkSync(`${dir}/${fd}`) === link) return true;
      } catch {
        // Closed meanwhile.
      }
    }
  }
  return false;
}

/** `pid` and every process descended from it, from the kernel's `children` lists. */
export function processTree(pid: number): number[] {
  const found = [pid];
  for (let i = 0; i < found.length; i += 1) {
    const dir = `/proc/${String(found[i])}/task`;
    let tasks: string[];
    try {
      tasks = readdirSync(dir);
    } catch {
      continue;
    }
    for (const task of tasks) {
      try {
        const children = readFileSync(`${dir}/${task}/children`, "utf8");
        for (const child of children.split(" "))
          if (child.trim() !== "") found.push(Number(child));
      } catch {
        // The thread ended meanwhile.
      }
    }
  }
  return found;
}
