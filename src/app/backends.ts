/**
 * Choosing a sandbox backend by name. The composition root is the only importer of concrete
 * backends, and loads each with a dynamic `import()` only when it is chosen.
 *
 * The default is `namespace` (bubblewrap): the function sees what it sees on Lambda (its package
 * read-only at /var/task, a private /tmp of its ephemeral storage, nothing else of the host) for
 * about 2.8 ms more per cold start than `process` (docs/isolation.md has the measurements).
 */
import { join } from "node:path";
import { THAW_PATHS } from "../config/paths.js";
import { InvalidParameterValueError } from "../errors/usage-errors.js";
import type { SandboxBackend } from "../sandbox/sandbox.js";
import type { SnapshotBackend } from "../snapshot/snapshot-backend.js";

/** Names of the backends thaw has. */
export type BackendName = "process" | "namespace";

/** Every backend's name, the default first. */
export const BACKEND_NAMES: readonly BackendName[] = ["namespace", "process"];

/** The backend used when none is named. */
export const DEFAULT_BACKEND: BackendName = "namespace";

/** How sandboxes are made: which backend, and its settings. */
export interface SandboxSettings {
  /** @default "namespace" */
  readonly backend?: BackendName;
  /**
   * Each sandbox's CPU, in proportion to its memory as on Lambda: a weight (`shares`) or a hard
   * limit (`quota`); see ProcessBackendOptions.cpu.
   * @default "shares"
   */
  readonly cpu?: "shares" | "quota";
  /**
   * Give each sandbox a network of its own where only its Runtime API is reachable (namespace
   * backend only).
   * @default false
   */
  readonly isolateNetwork?: boolean;
}

const NATIVE = {
  thawExecPath: join(THAW_PATHS.native, "thaw-exec"),
  thawSpawnerPath: join(THAW_PATHS.native, "thaw-spawner"),
};

/** The snapshot backend's PID 1 (native/thaw-init.c). */
export const THAW_INIT_PATH = join(THAW_PATHS.native, "thaw-init");

/** How each backend is loaded: a dynamic import, so an unused backend costs nothing. */
const LOADERS: Readonly<
  Record<BackendName, (settings: SandboxSettings) => Promise<SandboxBackend>>
> = {
  process: async (settings) => {
    if (settings.isolateNetwork === true) {
      throw new InvalidParameterValueError(
        "Network isolation needs the namespace backend: use --backend namespace with --isolate-network.",
      );
    }
    const { createProcessBackend } =
      await import("../sandbox/backends/process/index.js");
    return createProcessBackend({
      ...NATIVE,
      ...(settings.cpu === undefined ? {} : { cpu: settings.cpu }),
    });
  },
  namespace: async (settings) => {
    const { createNamespaceBackend } =
      await import("../sandbox/backends/namespace/index.js");
    return createNamespaceBackend({
      ...NATIVE,
      ...(settings.cpu === undefined ? {} : { cpu: settings.cpu }),
      isolateNetwork: settings.isolateNetwork ?? false,
    });
  },
};

/**
 * Creates the snapshot backend (SnapStart), which starts templates and restores clones; it is not a
 * backend of its own name but goes with `--snapstart`.
 */
export async function createSnapshotBackend(
  settings: Pick<SandboxSettings, "cpu"> = {},
): Promise<SnapshotBackend> {
  const { SnapshotBackend } = await import("../snapshot/snapshot-backend.js");
  return new SnapshotBackend({
    ...NATIVE,
    thawInitPath: THAW_INIT_PATH,
    ...(settings.cpu === undefined ? {} : { cpu: settings.cpu }),
  });
}

/** Creates the backend `settings` name (a bare name uses its default settings). */
export function createBackend(
  settings: SandboxSettings | BackendName = {},
): Promise<SandboxBackend> {
  const resolved =
    typeof settings === "string" ? { backend: settings } : settings;
  return LOADERS[resolved.backend ?? DEFAULT_BACKEND](resolved);
}
