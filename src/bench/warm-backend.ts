/**
 * A backend whose fork server (thaw-spawner) stays up for a whole run, as `thaw serve`'s frozen
 * environments keep it: benchmarks that measure cold starts use it so that no sample pays for
 * starting the fork server.
 */
import { createBackend, type SandboxSettings } from "../app/backends.js";
import type { SandboxBackend } from "../sandbox/sandbox.js";

/**
 * Runs `body` with a backend of `settings` whose fork server stays up: an idle sandbox (`sleep`)
 * holds it for the whole run, then everything is torn down.
 */
export async function withWarmBackend<T>(
  settings: SandboxSettings,
  body: (backend: SandboxBackend) => Promise<T>,
): Promise<T> {
  const backend = await createBackend(settings);
  const holder = await backend.create({
    command: "/bin/sleep",
    args: ["3600"],
    cwd: "/",
    env: {},
    memoryMB: 128,
    onLog: () => undefined,
  });
  try {
    return await body(backend);
  } finally {
    await holder.destroy("run done");
  }
}
