/**
 * A deterministic digest of a function folder, standing in for Lambda's `CodeSha256` when a
 * function's code is a folder used in place (templates' `CodeUri`), where there are no zip bytes
 * to hash.
 *
 * The digest is the base64 SHA-256 of a stream of records, one per entry, walked depth-first with
 * the entries of each folder sorted by name (code-unit order):
 *
 * ```
 * "D" NUL path NUL                                   a folder
 * "F" NUL path NUL "x"|"-" NUL size NUL <bytes>      a regular file ("x": any execute bit set)
 * "L" NUL path NUL target NUL                        a symbolic link (not followed)
 * ```
 *
 * `path` is relative to the folder, with `/` separators. Only what Lambda would see counts: names,
 * contents, the execute bit and link targets; timestamps, owners and the other permission bits do
 * not, so a checkout and a copy of it hash alike. Other entry types (sockets, FIFOs) are skipped.
 * The size is the total of the regular files' bytes (Lambda's `CodeSize` counts zip bytes, which a
 * folder does not have).
 */
import { createHash, type Hash } from "node:crypto";
import { createReadStream } from "node:fs";
import { lstat, readdir, readlink } from "node:fs/promises";
import { join } from "node:path";

/** The digest of a folder. */
export interface DirectoryDigest {
  /** Base64 SHA-256 of the records described in this module's documentation. */
  readonly codeSha256: string;
  /** Total size of the regular files, in bytes. */
  readonly codeSize: number;
  /** Number of regular files. */
  readonly fileCount: number;
}

/** Options of {@link digestDirectory}. */
export interface DigestDirectoryOptions {
  /** Stops the walk; the signal's reason is thrown. */
  readonly signal?: AbortSignal | undefined;
}

const SEPARATOR = Buffer.from([0]);

/**
 * Digests the folder at `root` (see the module documentation).
 * @throws the file system's error when `root` or an entry cannot be read, or the signal's reason.
 */
export async function digestDirectory(
  root: string,
  options: DigestDirectoryOptions = {},
): Promise<DirectoryDigest> {
  const hash = createHash("sha256");
  const totals = { codeSize: 0, fileCount: 0 };
  await digestFolder(root, "", hash, totals, options.signal);
  return { codeSha256: hash.digest("base64"), ...totals };
}

async function digestFolder(
  folder: string,
  prefix: string,
  hash: Hash,
  totals: { codeSize: number; fileCount: number },
  signal: AbortSignal | undefined,
): Promise<void> {
  signal?.throwIfAborted();
  const names = (await readdir(folder)).sort();
  for (const name of names) {
    const absolute = join(folder, name);
    const relative = prefix === "" ? name : `${prefix}/${name}`;
    const stats = await lstat(absolute);
    if (stats.isDirectory()) {
      record(hash, "D", relative);
      await digestFolder(absolute, relative, hash, totals, signal);
    } else if (stats.isFile()) {
      record(
        hash,
        "F",
        relative,
        (stats.mode & 0o111) === 0 ? "-" : "x",
        String(stats.size),
      );
      for await (const chunk of createReadStream(absolute, { signal })) {
        hash.update(chunk as Buffer);
      }
      totals.codeSize += stats.size;
      totals.fileCount += 1;
    } else if (stats.isSymbolicLink()) {
      record(hash, "L", relative, await readlink(absolute));
    }
  }
}

function record(hash: Hash, ...fields: readonly string[]): void {
  for (const field of fields) {
    hash.update(field);
    hash.update(SEPARATOR);
  }
}
