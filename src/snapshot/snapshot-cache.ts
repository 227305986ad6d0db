/**
 * The on-disk cache of SnapStart snapshots: one folder per key under `.thaw/snapshots/`, holding
 * CRIU's image files in `image/` and a `manifest.json` written last, once the dump has succeeded.
 *
 * The key is a SHA-256 over everything the image depends on (the caller's fingerprint of the
 * package, configuration and runtime, plus this machine's kernel release and the CRIU and thaw-init
 * in use), so a change to any of them means another key: a stale snapshot is never found. A
 * snapshot is used only when its manifest is there, names the same key, and every image file it
 * lists has the size and modification time recorded: a missing, truncated or rewritten file makes
 * it corrupt, and it is removed and taken again, never restored. (CRIU also checks each image
 * file's magic number when it restores; a restore that fails removes the snapshot too.)
 */
import { createHash } from "node:crypto";
import {
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { release } from "node:os";
import { join } from "node:path";
import type { SnapshotImage } from "./snapshot-backend.js";

/** The manifest's format; another one is not read. */
const MANIFEST_VERSION = 1;

/** What the manifest records of one image file. */
interface FileRecord {
  readonly size: number;
  readonly mtimeMs: number;
}

/** `manifest.json`: what a complete snapshot is. */
interface Manifest {
  readonly version: number;
  readonly key: string;
  readonly image: Omit<SnapshotImage, "dir">;
  /** The template's Init Duration, in ms (INIT_REPORT's). */
  readonly initDurationMs: number;
  readonly createdAt: string;
  readonly files: Readonly<Record<string, FileRecord>>;
}

/** A snapshot found in (or just added to) the cache. */
export interface CachedSnapshot {
  readonly key: string;
  readonly image: SnapshotImage;
  readonly initDurationMs: number;
  /** Total size of the image files, in bytes. */
  readonly sizeBytes: number;
}

/** What makes a snapshot's key, besides the machine's own facts. */
export interface SnapshotKeyParts {
  /** Anything that identifies the function's code, configuration and runtime; hashed as JSON. */
  readonly function: unknown;
  /** A fingerprint of the CRIU program in use. */
  readonly criu: string;
  /** A fingerprint of the thaw-init program, whose code is in every image. */
  readonly thawInit: string;
}

/** The cache key of a snapshot: a hex SHA-256. */
export function snapshotKey(parts: SnapshotKeyParts): string {
  return createHash("sha256")
    .update(
      JSON.stringify({ ...parts, kernel: release(), format: MANIFEST_VERSION }),
    )
    .digest("hex");
}

/** Snapshots under one folder. */
export class SnapshotCache {
  readonly #dir: string;

  constructor(dir: string) {
    this.#dir = dir;
  }

  /**
   * The complete snapshot of `key`, or undefined. A corrupt one (see the module comment) is removed,
   * and `onCorrupt` is told why.
   */
  find(
    key: string,
    onCorrupt: (reason: string) => void = () => undefined,
  ): CachedSnapshot | undefined {
    const folder = join(this.#dir, key);
    let manifest: Manifest;
    try {
      manifest = JSON.parse(
        readFileSync(join(folder, "manifest.json"), "utf8"),
      ) as Manifest;
    } catch {
      // No manifest: never completed (or never taken). A partial folder is removed.
      rmSync(folder, { recursive: true, force: true });
      return undefined;
    }
    const problem = check(folder, key, manifest);
    if (problem !== undefined) {
      onCorrupt(problem);
      this.remove(key);
      return undefined;
    }
    let sizeBytes = 0;
    for (const record of Object.values(manifest.files))
      sizeBytes += record.size;
    return {
      key,
      image: { ...manifest.image, dir: join(folder, "image") },
      initDurationMs: manifest.initDurationMs,
      sizeBytes,
    };
  }

  /**
   * A fresh, empty folder for the image of `key`, where CRIU dumps before {@link commit}. Any old
   * content of `key` is removed first.
   */
  prepare(key: string): string {
    const folder = join(this.#dir, key);
    rmSync(folder, { recursive: true, force: true });
    const image = join(folder, "image");
    mkdirSync(image, { recursive: true });
    return image;
  }

  /** Records a finished dump of `key`: writes its manifest, last. */
  commit(
    key: string,
    image: SnapshotImage,
    initDurationMs: number,
  ): CachedSnapshot {
    const folder = join(this.#dir, key);
    const files: Record<string, FileRecord> = {};
    let sizeBytes = 0;
    for (const name of readdirSync(image.dir)) {
      const stat = statSync(join(image.dir, name));
      if (!stat.isFile()) continue;
      files[name] = { size: stat.size, mtimeMs: stat.mtimeMs };
      sizeBytes += stat.size;
    }
    const manifest: Manifest = {
      version: MANIFEST_VERSION,
      key,
      image: {
        upstreamPath: image.upstreamPath,
        pipes: image.pipes,
        dumpMs: image.dumpMs,
      },
      initDurationMs,
      createdAt: new Date().toISOString(),
      files,
    };
    const temporary = join(folder, "manifest.json.tmp");
    writeFileSync(temporary, JSON.stringify(manifest, null, 2));
    renameSync(temporary, join(folder, "manifest.json"));
    return { key, image, initDurationMs, sizeBytes };
  }

  /** Removes the snapshot of `key`, complete or not. */
  remove(key: string): void {
    rmSync(join(this.#dir, key), { recursive: true, force: true });
  }
}

/** Why the snapshot in `folder` cannot be used, or undefined when it can. */
function check(
  folder: string,
  key: string,
  manifest: Manifest,
): string | undefined {
  if (manifest.version !== MANIFEST_VERSION)
    return `its manifest has format ${String(manifest.version)}, not ${String(MANIFEST_VERSION)}`;
  if (manifest.key !== key)
    return `its manifest is for key ${manifest.key}, not ${key}`;
  const image = join(folder, "image");
  for (const [name, record] of Object.entries(manifest.files)) {
    let stat;
    try {
      stat = statSync(join(image, name));
    } catch {
      return `its image file ${name} is missing`;
    }
    if (stat.size !== record.size)
      return `its image file ${name} has ${String(stat.size)} bytes, not ${String(record.size)}`;
    // Within a millisecond: a time set again through utimes() comes back rounded.
    if (Math.abs(stat.mtimeMs - record.mtimeMs) >= 1)
      return `its image file ${name} was changed after the snapshot was taken`;
  }
  return undefined;
}
