/**
 * The content-addressed cache of extracted zips: one folder per SHA-256, published atomically.
 *
 * Layout under the cache folder:
 *
 * ```
 * <sha256-hex>/task/          the extracted package (the task root, /var/task)
 * <sha256-hex>/complete.json  written before publication; only a folder holding it is used
 * .staging-XXXXXX/            an extraction in progress (removed on success and on failure)
 * ```
 *
 * The marker sits beside the task root, not in it, so the function never sees it. A staging folder
 * is renamed to its final name in one `rename(2)`, so readers see all of it or nothing. Two
 * preparations of the same zip (in one process or in several) may both extract; the first rename
 * wins, the other fails with `ENOTEMPTY`/`EEXIST`, deletes its staging folder and uses the winner's.
 */
import { mkdir, mkdtemp, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** Written into `complete.json`; informative only (its presence is what counts). */
export interface PackageCacheMarker {
  readonly codeSha256: string;
  readonly codeSize: number;
}

/** Outcome of {@link PackageCache.publish}. */
export interface PublishedPackage {
  /** The task root, inside the final folder. */
  readonly taskRoot: string;
  /** True when our staging folder became the entry; false when another was there first. */
  readonly published: boolean;
}

const TASK_FOLDER = "task";
const MARKER_FILE = "complete.json";
const STAGING_PREFIX = ".staging-";
const TRASH_PREFIX = ".trash-";
/** A broken entry (a folder without marker, left by hand) is moved aside at most this often. */
const MAX_PUBLISH_ATTEMPTS = 3;

/** The content-addressed cache of extracted zips, in one folder. */
export class PackageCache {
  /** @param directory absolute path of the cache folder; created on first use */
  constructor(readonly directory: string) {}

  /** The task root a zip with this SHA-256 (hex) has, once published. */
  taskRootOf(sha256Hex: string): string {
    return join(this.directory, sha256Hex, TASK_FOLDER);
  }

  /** The task root of a complete entry, or undefined when there is none. Costs one `stat`. */
  async lookup(sha256Hex: string): Promise<string | undefined> {
    return (await this.isComplete(sha256Hex))
      ? this.taskRootOf(sha256Hex)
      : undefined;
  }

  /**
   * Creates an empty staging folder (holding an empty `task/`) inside the cache folder, on the same
   * file system as the final entry so that publication is one rename.
   */
  async stage(): Promise<{
    readonly staging: string;
    readonly taskRoot: string;
  }> {
    await mkdir(this.directory, { recursive: true });
    const staging = await mkdtemp(join(this.directory, STAGING_PREFIX));
    const taskRoot = join(staging, TASK_FOLDER);
    await mkdir(taskRoot, { mode: 0o755 });
    return { staging, taskRoot };
  }

  /**
   * Writes the marker into a staging folder and renames it to its final name; when another
   * publication won, deletes the staging folder and answers the winner's task root.
   */
  async publish(
    staging: string,
    sha256Hex: string,
    marker: PackageCacheMarker,
  ): Promise<PublishedPackage> {
    await writeFile(join(staging, MARKER_FILE), JSON.stringify(marker) + "\n");
    const final = join(this.directory, sha256Hex);
    for (let attempt = 1; ; attempt++) {
      try {
        await rename(staging, final);
        return { taskRoot: this.taskRootOf(sha256Hex), published: true };
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        if (code !== "ENOTEMPTY" && code !== "EEXIST") throw err;
      }
      if (await this.isComplete(sha256Hex)) {
        await this.discard(staging);
        return { taskRoot: this.taskRootOf(sha256Hex), published: false };
      }
      if (attempt >= MAX_PUBLISH_ATTEMPTS) {
        throw new Error(
          `cannot publish ${final}: a folder without ${MARKER_FILE} keeps its place`,
        );
      }
      await this.moveAside(final);
    }
  }

  /** Deletes a staging folder and everything in it; never fails on a missing folder. */
  async discard(staging: string): Promise<void> {
    await rm(staging, { recursive: true, force: true, maxRetries: 2 });
  }

  private async isComplete(sha256Hex: string): Promise<boolean> {
    try {
      return (
        await stat(join(this.directory, sha256Hex, MARKER_FILE))
      ).isFile();
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (code === "ENOENT" || code === "ENOTDIR") return false;
      throw err;
    }
  }

  /** Moves a broken entry out of the way (atomically, in case another process does too). */
  private async moveAside(final: string): Promise<void> {
    const trash = await mkdtemp(join(this.directory, TRASH_PREFIX));
    try {
      await rename(final, join(trash, "entry"));
    } catch (err) {
      if ((err as { code?: unknown }).code !== "ENOENT") throw err;
    } finally {
      await rm(trash, { recursive: true, force: true, maxRetries: 2 });
    }
  }
}
