/**
 * The `namespace` Backend: the `process` Backend's machinery (cgroups, the thaw-spawner fork server,
 * thaw-exec) with every Runtime inside bubblewrap: its package read-only at `/var/task`, a private
 * `/tmp` of its ephemeral storage, its own pid, ipc and uts namespaces, the host's system folders
 * read-only and nothing else of the host. See bubblewrap.ts.
 *
 * `app/` loads this folder with a dynamic `import()` and calls {@link createNamespaceBackend}.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import type { BackendProbe } from "../../sandbox.js";
import {
  ProcessBackend,
  type ProcessBackendOptions,
} from "../process/process-backend.js";
import { BubblewrapWrapper } from "./bubblewrap.js";

/** Options of {@link createNamespaceBackend}. */
export interface NamespaceBackendOptions extends Omit<
  ProcessBackendOptions,
  "variant"
> {
  /** @default "/usr/bin/bwrap" (Debian's bubblewrap package) */
  readonly bwrapPath?: string;
  /** See BubblewrapOptions.isolateNetwork. @default false */
  readonly isolateNetwork?: boolean;
}

/** Makes the `namespace` Backend. Nothing is touched until `probe()` or the first `create()`. */
export function createNamespaceBackend(
  options: NamespaceBackendOptions,
): ProcessBackend {
  const bwrapPath = options.bwrapPath ?? "/usr/bin/bwrap";
  return new ProcessBackend({
    ...options,
    variant: {
      name: "namespace",
      wrapper: new BubblewrapWrapper({
        bwrapPath,
        thawExecPath: options.thawExecPath,
        isolateNetwork: options.isolateNetwork ?? false,
      }),
      probe: () => Promise.resolve(probeBubblewrap(bwrapPath)),
    },
  });
}

/** Whether bubblewrap is installed and can make the namespaces here. */
function probeBubblewrap(bwrapPath: string): BackendProbe {
  if (!existsSync(bwrapPath)) {
    return {
      available: false,
      notes: [
        `bubblewrap is missing at ${bwrapPath}: run scripts/setup.sh (it installs Debian's bubblewrap package)`,
      ],
    };
  }
  const trial = spawnSync(
    bwrapPath,
    [
      "--ro-bind",
      "/",
      "/",
      "--unshare-pid",
      "--unshare-ipc",
      "--unshare-uts",
      "--",
      "/bin/true",
    ],
    { encoding: "utf8", timeout: 10_000 },
  );
  if (trial.status !== 0) {
    return {
      available: false,
      notes: [
        `bubblewrap at ${bwrapPath} cannot make namespaces here: ${(trial.stderr || trial.error?.message || `exit ${String(trial.status)}`).trim()}`,
      ],
    };
  }
  const version = spawnSync(bwrapPath, ["--version"], { encoding: "utf8" });
  return {
    available: true,
    notes: [`${version.stdout.trim() || "bubblewrap"} at ${bwrapPath}`],
  };
}
