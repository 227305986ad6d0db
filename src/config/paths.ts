/**
 * Where thaw's own files are: the managed runtimes it ships, what the set-up builds, its caches.
 * Everything is relative to the checkout, so thaw works from any working directory.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The root of thaw's checkout: the nearest folder above this module that holds thaw's
 * `package.json`. Found by walking up, because this module runs both from `dist/src/config/` and
 * from the bundled CLI `dist/bundle/thaw.mjs`.
 */
export const THAW_ROOT = findRoot(dirname(fileURLToPath(import.meta.url)));

function findRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (
      existsSync(join(dir, "package.json")) &&
      existsSync(join(dir, "runtimes"))
    )
      return dir;
    if (dirname(dir) === dir) return start;
  }
}

/** Folders under {@link THAW_ROOT}. */
export const THAW_PATHS = {
  /** thaw's managed runtimes (`nodejs/index.mjs`, `python/bootstrap.py`). */
  runtimes: join(THAW_ROOT, "runtimes"),
  /** The official Java runtime interface client (`lib/` jars, `jni/` native part), fetched by the set-up. */
  javaRuntimeClient: join(THAW_ROOT, "build", "runtimes", "java"),
  /** Native helpers built by the set-up (`thaw-exec`). */
  native: join(THAW_ROOT, "build", "native"),
  /** Extra language toolchains installed by the set-up (Node.js 22 and 24). */
  toolchains: join(THAW_ROOT, ".thaw", "toolchains"),
  /** Content-addressed cache of extracted function packages. */
  packages: join(THAW_ROOT, ".thaw", "packages"),
  /** SnapStart snapshots (CRIU images), one folder per key. */
  snapshots: join(THAW_ROOT, ".thaw", "snapshots"),
  /** Fixture function packages built by the set-up. */
  fixtures: join(THAW_ROOT, "build", "fixtures"),
} as const;

/** Where a Runtime's launch is resolved from: thaw's managed runtimes, the Java client, toolchains. */
export const RUNTIME_DIRS = {
  runtimesDir: THAW_PATHS.runtimes,
  javaClientDir: THAW_PATHS.javaRuntimeClient,
  toolchainsDir: THAW_PATHS.toolchains,
} as const;
