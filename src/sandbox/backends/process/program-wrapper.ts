/**
 * A program wrapper: what turns a sandbox's Runtime command into the command thaw-exec starts, for a
 * backend built on the process backend's machinery (cgroups, fork server, thaw-exec) that puts the
 * Runtime somewhere else: the namespace backend wraps it in bubblewrap.
 */
import type { SandboxSpec } from "../../sandbox.js";
import type { IsolatedNetwork } from "./fork-server.js";

/** The program thaw-exec execs, in place of the Runtime's own. */
export interface WrappedProgram {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  /** A network of its own, with only its Runtime API reachable; none shares the host's. */
  readonly network?: IsolatedNetwork;
}

/** How a backend wraps the Runtime's program. */
export interface ProgramWrapper {
  /**
   * The program for `spec`. The wrapped program gets thaw-exec's exec-status pipe as descriptor 3
   * and must report on it (or pass it to an inner thaw-exec) as thaw-exec does.
   */
  wrap(spec: SandboxSpec): WrappedProgram;
  /** The Runtime's exit as the wrapper reports it, turned back into the Runtime's own. */
  exitOf(
    code: number | null,
    signal: NodeJS.Signals | null,
  ): { code: number | null; signal: NodeJS.Signals | null };
}
