/**
 * Choosing a sandbox backend by name. The composition root is the only importer of concrete
 * backends, and loads each with a dynamic `import()` only when it is chosen.
 */
import { join } from "node:path";
import { THAW_PATHS } from "../config/paths.js";
import type { SandboxBackend } from "../sandbox/sandbox.js";

/** Names of the backends thaw has. */
export type BackendName = "process";

/** How each backend is loaded: a dynamic import, so an unused backend costs nothing. */
const LOADERS: Readonly<Record<BackendName, () => Promise<SandboxBackend>>> = {
  process: async () => {
    const { createProcessBackend } =
      await import("../sandbox/backends/process/index.js");
    return createProcessBackend({
      thawExecPath: join(THAW_PATHS.native, "thaw-exec"),
      thawSpawnerPath: join(THAW_PATHS.native, "thaw-spawner"),
    });
  },
};

/** Creates the backend called `name`. */
export function createBackend(name: BackendName): Promise<SandboxBackend> {
  return LOADERS[name]();
}
