/**
 * The namespace backend's sandbox: the Runtime inside bubblewrap (`bwrap`), as Lambda's execution
 * environment looks from inside:
 *
 * | path | what |
 * |---|---|
 * | `/var/task` | the function's package, read-only; the working directory |
 * | `/opt` | empty, read-only (thaw has no layers yet) |
 * | `/tmp` | private tmpfs of the function's ephemeral storage (`tmpMB`, default 512 MB) |
 * | `/usr`, `/etc`, `/bin`, `/lib`… | the host's, read-only |
 * | the Runtime's own folders (`readOnlyPaths`) | read-only, at their host paths |
 * | `/proc`, `/dev` | the sandbox's own (a new pid namespace), a minimal `/dev` |
 *
 * Everything else of the host (other functions' packages, thaw's files, home folders) is absent,
 * and the root is read-only. The Runtime gets its own pid, ipc and uts namespaces and no
 * capabilities; the network is the host's (as on Lambda, it reaches out), unless isolated: then
 * a network namespace of its own where only its Runtime API answers (thaw-spawner.c relays it).
 *
 * The task root's host path in the command, arguments and environment is rewritten to `/var/task`.
 * thaw-exec's exec-status pipe (descriptor 3) passes through bubblewrap to an inner thaw-exec,
 * bound at `/var/runtime/thaw-exec`, which reports whether the Runtime's program could be executed.
 */
import { existsSync, lstatSync, readlinkSync } from "node:fs";
import { SandboxStartError } from "../../../errors/sandbox-errors.js";
import { unwrappedExit } from "../../../util/signal-name.js";
import type { SandboxSpec } from "../../sandbox.js";
import type { IsolatedNetwork } from "../process/fork-server.js";
import type {
  ProgramWrapper,
  WrappedProgram,
} from "../process/program-wrapper.js";

/** Where the package appears inside the sandbox, as on Lambda. */
export const TASK_ROOT = "/var/task";
/** Where the inner thaw-exec appears inside the sandbox. */
const INNER_THAW_EXEC = "/var/runtime/thaw-exec";
/** Lambda's default ephemeral storage. */
const DEFAULT_TMP_MB = 512;
/** Host folders shown read-only at their own paths (a symlink is recreated as one). */
const SYSTEM_PATHS = [
  "/usr",
  "/etc",
  "/bin",
  "/sbin",
  "/lib",
  "/lib64",
  "/lib32",
];

/** Options of {@link BubblewrapWrapper}. */
export interface BubblewrapOptions {
  /** The `bwrap` program; Debian's `bubblewrap` package installs `/usr/bin/bwrap`. */
  readonly bwrapPath: string;
  /** The host's thaw-exec, bound into the sandbox to exec the Runtime's program. */
  readonly thawExecPath: string;
  /**
   * Give each sandbox a network of its own in which only its Runtime API is reachable (at
   * 127.0.0.1:9001, relayed by thaw-spawner); otherwise it shares the host's network, as a Lambda
   * function reaches the internet.
   * @default false
   */
  readonly isolateNetwork?: boolean;
}

/** Where an isolated sandbox finds its Runtime API. */
export const ISOLATED_RUNTIME_API_PORT = 9001;

/** How the host's system folders are shown: bound read-only, or recreated as symlinks. */
export type SystemMount =
  | { readonly kind: "bind"; readonly path: string }
  | {
      readonly kind: "symlink";
      readonly path: string;
      readonly target: string;
    };

/** The host's system folders as they exist here (absent ones are left out). */
export function systemMounts(): SystemMount[] {
  const mounts: SystemMount[] = [];
  for (const path of SYSTEM_PATHS) {
    let isLink: boolean;
    try {
      isLink = lstatSync(path).isSymbolicLink();
    } catch {
      continue;
    }
    mounts.push(
      isLink
        ? { kind: "symlink", path, target: readlinkSync(path) }
        : { kind: "bind", path },
    );
  }
  return mounts;
}

/**
 * The bubblewrap command line for `spec`, up to the Runtime's own program (which follows, with its
 * arguments): pure, so that it can be checked line by line. `system` is the host's system folders
 * ({@link systemMounts}).
 */
export function bubblewrapArgs(
  spec: SandboxSpec,
  options: {
    readonly system: readonly SystemMount[];
    /** The host's thaw-exec, bound at `/var/runtime/thaw-exec`. */
    readonly thawExecPath: string;
  },
): string[] {
  const taskRoot = spec.cwd;
  const args = [
    "--die-with-parent",
    "--unshare-pid",
    "--unshare-ipc",
    "--unshare-uts",
    "--cap-drop",
    "ALL",
  ];
  for (const mount of options.system) {
    if (mount.kind === "bind") args.push("--ro-bind", mount.path, mount.path);
    else args.push("--symlink", mount.target, mount.path);
  }
  args.push("--proc", "/proc", "--dev", "/dev");
  const tmpBytes = (spec.tmpMB ?? DEFAULT_TMP_MB) * 1024 * 1024;
  args.push("--size", String(tmpBytes), "--tmpfs", "/tmp");
  args.push("--ro-bind", taskRoot, TASK_ROOT, "--dir", "/opt");
  for (const path of spec.readOnlyPaths ?? []) {
    if (!underSystem(path, options.system)) args.push("--ro-bind", path, path);
  }
  args.push("--ro-bind", options.thawExecPath, INNER_THAW_EXEC);
  args.push("--remount-ro", "/", "--chdir", TASK_ROOT, "--");
  args.push(INNER_THAW_EXEC, "--status-fd", "3", "--");
  return args;
}

/** Wraps each Runtime in bubblewrap; see the module's comment. */
export class BubblewrapWrapper implements ProgramWrapper {
  readonly #options: BubblewrapOptions;
  #system: SystemMount[] | undefined;

  constructor(options: BubblewrapOptions) {
    this.#options = options;
  }

  wrap(spec: SandboxSpec): WrappedProgram {
    if (this.#system === undefined) {
      if (!existsSync(this.#options.bwrapPath)) {
        throw new SandboxStartError(
          `bubblewrap is not installed (${this.#options.bwrapPath} is missing): run scripts/setup.sh, which installs Debian's bubblewrap package, or use the process backend.`,
        );
      }
      this.#system = systemMounts();
    }
    const taskRoot = spec.cwd;
    const inside = (text: string): string => rebase(text, taskRoot, TASK_ROOT);
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(spec.env))
      env[key] = inside(value);
    const network =
      this.#options.isolateNetwork === true
        ? isolatedNetwork(spec.env.AWS_LAMBDA_RUNTIME_API)
        : undefined;
    if (network?.relay !== undefined)
      env.AWS_LAMBDA_RUNTIME_API = `127.0.0.1:${String(network.relay.port)}`;
    return {
      ...(network === undefined ? {} : { network }),
      command: this.#options.bwrapPath,
      args: [
        ...bubblewrapArgs(spec, {
          system: this.#system,
          thawExecPath: this.#options.thawExecPath,
        }),
        inside(spec.command),
        ...spec.args.map(inside),
      ],
      // bubblewrap itself starts in "/"; it changes to /var/task inside.
      cwd: "/",
      env,
    };
  }

  /** bubblewrap exits with 128 + N when the Runtime died of signal N. */
  exitOf(
    code: number | null,
    signal: NodeJS.Signals | null,
  ): { code: number | null; signal: NodeJS.Signals | null } {
    return unwrappedExit(code, signal);
  }
}

/**
 * The isolated network for a Runtime API at `address` (`host:port`, as the Runtime is told); a
 * program without one gets no network at all.
 */
function isolatedNetwork(address: string | undefined): IsolatedNetwork {
  if (address === undefined) return { relay: undefined };
  const match = /^([\d.]+):(\d+)$/.exec(address);
  if (match?.[1] === undefined || match[2] === undefined) {
    throw new SandboxStartError(
      `cannot isolate the network: the Runtime API address ${address} is not an IPv4 host:port`,
    );
  }
  return {
    relay: {
      port: ISOLATED_RUNTIME_API_PORT,
      target: { host: match[1], port: Number(match[2]) },
    },
  };
}

/** Replaces `from` with `to` where it is a whole path (followed by nothing, `/` or `:`). */
export function rebase(text: string, from: string, to: string): string {
  if (!text.includes(from)) return text;
  let out = "";
  let index = 0;
  for (;;) {
    const found = text.indexOf(from, index);
    if (found === -1) return out + text.slice(index);
    const after = text[found + from.length];
    const before = found === 0 ? undefined : text[found - 1];
    const whole =
      (after === undefined || after === "/" || after === ":") &&
      (before === undefined || before === ":" || before === "=");
    out += text.slice(index, found) + (whole ? to : from);
    index = found + from.length;
  }
}

function underSystem(path: string, system: readonly SystemMount[]): boolean {
  return system.some(
    (mount) =>
      mount.kind === "bind" &&
      (path === mount.path || path.startsWith(`${mount.path}/`)),
  );
}
