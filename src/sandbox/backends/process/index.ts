/**
 * The `process` Backend: every ExecutionEnvironment is a plain child process of thaw, started
 * through the small `thaw-exec` helper (native/thaw-exec.c) so that it joins its cgroups, leads its
 * own session and dies with thaw before the Runtime runs an instruction of its own. Cgroups (v1 or
 * v2, detected once) enforce the memory limit and Lambda's process quota, measure peak memory,
 * detect OOM kills and let thaw kill every process of the environment; where they are unavailable
 * the backend still runs, with the gaps listed by `probe()`.
 *
 * `app/` loads this folder with a dynamic `import()` and calls {@link createProcessBackend}.
 */
import {
  ProcessBackend,
  type ProcessBackendOptions,
} from "./process-backend.js";

export type { ProcessBackendOptions } from "./process-backend.js";
export type {
  ProcessSandbox,
  ProcessSandboxTimings,
} from "./process-sandbox.js";

/**
 * Makes the `process` Backend. Nothing is touched until `probe()` or the first `create()`.
 * @param options where thaw-exec is, and the cgroup settings.
 */
export function createProcessBackend(
  options: ProcessBackendOptions,
): ProcessBackend {
  return new ProcessBackend(options);
}
