/**
 * Runs the built `thaw` command (bin/thaw.js) as a user does, for the end-to-end tests: its exit
 * status and everything it wrote.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { THAW_ROOT } from "../../src/config/paths.js";

/** The built CLI. */
const THAW_BIN = join(THAW_ROOT, "bin", "thaw.js");

/** How a run of the CLI ended. */
export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `thaw ...args` to its end, with `input` (default: nothing) on its stdin. */
export function runThaw(
  args: readonly string[],
  input?: string,
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [THAW_BIN, ...args], {
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout
      .setEncoding("utf8")
      .on("data", (chunk: string) => (stdout += chunk));
    child.stderr
      .setEncoding("utf8")
      .on("data", (chunk: string) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => {
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(input);
  });
}
