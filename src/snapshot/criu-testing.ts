/** Helpers shared by the tests that run CRIU for real (not used by thaw itself). */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import type { CriuProbe } from "./criu.js";

/**
 * Why CRIU cannot checkpoint a Runtime here (it does not work, or it is older than 4.2 and so
 * cannot carry an established TCP connection), or undefined when it can.
 */
export function criuUnusableReason(probe: CriuProbe): string | undefined {
  if (!probe.available)
    return `CRIU does not work here: ${probe.notes.join("; ")}`;
  if (!probe.tcpEstablished)
    return `CRIU ${probe.version ?? "?"} cannot checkpoint an established TCP connection (4.2 can)`;
  return undefined;
}

/** Resolves with a file's contents once it exists (written by rename, so complete). */
export async function waitForFile(
  path: string,
  signal: AbortSignal,
): Promise<string> {
  for (;;) {
    try {
      return readFileSync(path, "utf8");
    } catch {
      if (signal.aborted) throw new Error(`${path} did not appear in time`);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }
}

/**
 * The pid in a pidfile, once it holds a whole one: CRIU creates the file before it writes it, and
 * an empty read is `Number("") === 0`, which `process.kill` takes for the whole process group.
 */
export async function waitForPid(
  path: string,
  signal: AbortSignal,
): Promise<number> {
  for (;;) {
    const pid = Number((await waitForFile(path, signal)).trim());
    if (Number.isSafeInteger(pid) && pid > 0) return pid;
    if (signal.aborted) throw new Error(`${path} holds no pid`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** The single child of `pid` (the PID 1 that `unshare` or thaw-init forked). */
export function onlyChild(pid: number): number {
  const children = readFileSync(
    `/proc/${String(pid)}/task/${String(pid)}/children`,
    "utf8",
  )
    .trim()
    .split(/\s+/)
    .map(Number);
  assert.equal(
    children.length,
    1,
    `${String(pid)} has children ${String(children)}`,
  );
  return children[0] ?? 0;
}

/** Pids of the processes whose command line contains `text`. */
export function processesNaming(text: string): number[] {
  return readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .filter((name) => {
      try {
        return readFileSync(`/proc/${name}/cmdline`, "utf8").includes(text);
      } catch {
        return false; // it ended meanwhile
      }
    })
    .map(Number);
}

/** SIGKILLs `pid` if it still runs; never 0 or less, which would signal a process group (ours). */
export function killQuietly(pid: number): void {
  if (!Number.isInteger(pid) || pid <= 0) return;
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // already gone
  }
}
