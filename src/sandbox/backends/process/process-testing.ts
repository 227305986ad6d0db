/** Helpers shared by the process backend's tests (not used by thaw itself). */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import type { LogStream, SandboxSpec } from "../../sandbox.js";
import type { CgroupHost } from "./cgroup.js";

/**
 * The built helper, `build/native/thaw-exec` of this checkout.
 * @throws {Error} saying how to build it, when it is missing.
 */
export function requireThawExec(): string {
  return requireNative("thaw-exec");
}

/**
 * The options every process Backend of the tests needs: the helpers built in this checkout.
 * @throws {Error} saying how to build them, when one is missing.
 */
export function nativeHelpers(): {
  readonly thawExecPath: string;
  readonly thawSpawnerPath: string;
} {
  return {
    thawExecPath: requireNative("thaw-exec"),
    thawSpawnerPath: requireNative("thaw-spawner"),
  };
}

function requireNative(name: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const up = dirname(dir);
    if (up === dir)
      throw new Error(
        "cannot find the repository root above " +
          fileURLToPath(import.meta.url),
      );
    dir = up;
  }
  const path = join(dir, "build", "native", name);
  if (!existsSync(path))
    throw new Error(`${path} is missing: run scripts/build-native.sh`);
  return path;
}

/**
 * True when `pid` no longer runs: no /proc entry, or a zombie waiting for its reaper (orphans go to
 * PID 1, which on some machines, such as Firecracker guests with a minimal init, never reaps them).
 */
export function isGone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${String(pid)}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
  } catch {
    return true;
  }
}

/** Polls `predicate` every few ms until it holds. @throws {Error} naming `what` after `timeoutMs`. */
export async function waitUntil(
  predicate: () => boolean,
  what: string | (() => string),
  timeoutMs = 5000,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!predicate()) {
    if (performance.now() > deadline) {
      throw new Error(
        `timed out after ${String(timeoutMs)} ms waiting for ${typeof what === "string" ? what : what()}`,
      );
    }
    await sleep(5);
  }
}

/** Cgroup directories made by this test process (`thaw-<our pid>-…`) still present under `host`. */
export function leftoverCgroups(host: CgroupHost): string[] {
  if (host.version === "none") return [];
  const prefix = `thaw-${String(process.pid)}-`;
  return [...new Set(Object.values(host.parents))].flatMap((parent) =>
    readdirSync(parent)
      .filter((name) => name.startsWith(prefix))
      .map((name) => join(parent, name)),
  );
}

/** Records a sandbox's log lines and lets a test await one. */
export class LogRecorder {
  readonly lines: { readonly line: string; readonly stream: LogStream }[] = [];

  /** Pass as `SandboxSpec.onLog`. */
  readonly onLog: SandboxSpec["onLog"] = (line, stream) => {
    this.lines.push({ line, stream });
  };

  of(stream: LogStream): string[] {
    return this.lines
      .filter((entry) => entry.stream === stream)
      .map((entry) => entry.line);
  }

  /** Resolves with the first line matching `pattern`, once there is one. */
  async waitFor(pattern: RegExp, timeoutMs = 5000): Promise<string> {
    let found: string | undefined;
    await waitUntil(
      () =>
        (found = this.lines.find((entry) => pattern.test(entry.line))?.line) !==
        undefined,
      () =>
        `a log line matching ${String(pattern)} (last lines: ${JSON.stringify(this.lines.slice(-5))})`,
      timeoutMs,
    );
    return found ?? "";
  }
}
