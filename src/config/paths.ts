/**
 * Where thaw's own files are: the managed runtimes it ships, what the set-up builds, its caches.
 * Everything is relative to the checkout, found from this module's own location
 * (`dist/src/config/paths.js`), so thaw works from any working directory.
 */
import { fileURLToPath } from "node:url";
import { join } from "node:path";

/** The root of thaw's checkout. */
export const THAW_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

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
  /** Fixture function packages built by the set-up. */
  fixtures: join(THAW_ROOT, "build", "fixtures"),
} as const;
