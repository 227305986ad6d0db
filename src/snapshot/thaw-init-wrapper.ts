/**
 * The snapshot backend's program wrapper: the Runtime runs under thaw-init (native/thaw-init.c),
 * PID 1 of the sandbox's own pid and network namespaces, which serves `127.0.0.1:9001` there and
 * relays it to the Runtime API's Unix socket on the host. thaw-init exits as the Runtime did, a
 * death by signal N as status 128 + N, which {@link ThawInitWrapper.exitOf} turns back.
 *
 * Go programs are told `GODEBUG=containermaxprocs=0`: since Go 1.25 the Go runtime keeps its
 * cgroup's `cpu.cfs_quota_us` (or `cpu.max`) open to follow the CPU limit, and that file belongs to
 * the template's cgroup, which is gone when a clone is restored, so CRIU cannot restore the clone.
 * On Lambda Go sees no cgroup limit either (GOMAXPROCS is the microVM's vCPU count).
 */
import type {
  ProgramWrapper,
  WrappedProgram,
} from "../sandbox/backends/process/program-wrapper.js";
import type { SandboxSpec } from "../sandbox/sandbox.js";
import { unwrappedExit } from "../util/signal-name.js";

/** The Runtime API address every Runtime under thaw-init is told, as on Lambda. */
export const IN_SANDBOX_RUNTIME_API = "127.0.0.1:9001";

/** Wraps a Runtime in thaw-init, relaying to the Runtime API at `upstreamPath`. */
export class ThawInitWrapper implements ProgramWrapper {
  readonly #thawInitPath: string;
  readonly #upstreamPath: string;

  constructor(thawInitPath: string, upstreamPath: string) {
    this.#thawInitPath = thawInitPath;
    this.#upstreamPath = upstreamPath;
  }

  wrap(spec: SandboxSpec): WrappedProgram {
    return {
      command: this.#thawInitPath,
      args: [
        "--upstream",
        this.#upstreamPath,
        "--",
        spec.command,
        ...spec.args,
      ],
      cwd: spec.cwd,
      env: {
        ...spec.env,
        AWS_LAMBDA_RUNTIME_API: IN_SANDBOX_RUNTIME_API,
        GODEBUG: [spec.env.GODEBUG, "containermaxprocs=0"]
          .filter((part) => part !== undefined && part !== "")
          .join(","),
      },
    };
  }

  exitOf(
    code: number | null,
    signal: NodeJS.Signals | null,
  ): { code: number | null; signal: NodeJS.Signals | null } {
    return unwrappedExit(code, signal);
  }
}
