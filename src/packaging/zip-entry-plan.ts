/**
 * The pure half of extraction: from a zip's central directory, decide what to create where, with
 * which permission bits, and reject what must never be written, before a single byte is.
 */
import { InvalidPackageError } from "../errors/usage-errors.js";
import type { ZipEntry } from "./zip-archive.js";

/** What an entry becomes on disk. */
export type PlannedEntryKind = "file" | "directory" | "symlink";

/** One entry, validated: a safe relative path and the mode to give it. */
export interface PlannedEntry {
  readonly entry: ZipEntry;
  /** Normalised, `/`-separated, relative to the package root, never empty, never escaping it. */
  readonly path: string;
  readonly kind: PlannedEntryKind;
  /** Permission bits (`0o777` at most; no setuid, setgid or sticky bit). */
  readonly mode: number;
}

/** The extraction plan, grouped in the order the entries must be created. */
export interface ZipEntryPlan {
  readonly directories: readonly PlannedEntry[];
  readonly files: readonly PlannedEntry[];
  /** Created last, so that nothing is ever written through a link. */
  readonly symlinks: readonly PlannedEntry[];
  /** Sum of the declared uncompressed sizes of files and links. */
  readonly declaredBytes: number;
}

/** Options of {@link planZipEntries}. */
export interface PlanZipEntriesOptions {
  /** How to name the package in error messages (a path, or `the uploaded zip`). */
  readonly displayName: string;
  /** Upper bound of the declared uncompressed size. */
  readonly maxUnzippedBytes: number;
}

// st_mode as stored by Unix zip tools in the high 16 bits of the external attributes; the
// encoding is the same whatever the host we extract on.
const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
const MSDOS_DIRECTORY = 0x10;
const HOST_UNIX = 3;
const HOST_MACOS = 19;
// Lambda keeps the permission bits as zipped (it does not make files readable: a file without
// world read fails at invocation with EACCES, see
// https://repost.aws/knowledge-center/lambda-deployment-package-errors). Entries zipped without
// Unix attributes (on Windows) come out readable and not executable, which is why a Windows-zipped
// `bootstrap` fails there; we give them 0644 (files) and 0755 (directories).
const DEFAULT_FILE_MODE = 0o644;
const DEFAULT_DIRECTORY_MODE = 0o755;

/**
 * Validates every entry of a zip and plans its extraction. A name that appears twice keeps its last
 * entry (as `unzip -o` does).
 *
 * @throws InvalidPackageError `zip-slip` (absolute name, `..` escaping the root, an entry beneath a
 *   symbolic link of the zip), `unsupported-zip` (encryption, compression other than deflate),
 *   `corrupt-zip` (NUL in a name, an entry beneath a file), `too-large` (declared sizes above
 *   the limit), `empty-package` (no file and no link).
 */
export function planZipEntries(
  entries: readonly ZipEntry[],
  options: PlanZipEntriesOptions,
): ZipEntryPlan {
  const { displayName } = options;
  const byPath = new Map<string, PlannedEntry>();
  for (const entry of entries) {
    const planned = planEntry(entry, displayName);
    if (planned === undefined) continue;
    byPath.delete(planned.path);
    byPath.set(planned.path, planned);
  }

  const directories: PlannedEntry[] = [];
  const files: PlannedEntry[] = [];
  const symlinks: PlannedEntry[] = [];
  let declaredBytes = 0;
  for (const planned of byPath.values()) {
    const segments = planned.path.split("/");
    for (let i = 1; i < segments.length; i++) {
      const prefix = segments.slice(0, i).join("/");
      const parent = byPath.get(prefix);
      if (parent?.kind === "symlink") {
        throw new InvalidPackageError(
          "zip-slip",
          `${displayName}: entry "${planned.entry.name}" lies beneath the symbolic link "${prefix}" of the same zip, so extracting it would write through the link. Re-create the zip without the entries under the link.`,
        );
      }
      if (parent?.kind === "file") {
        throw new InvalidPackageError(
          "corrupt-zip",
          `${displayName}: entry "${planned.entry.name}" lies beneath "${prefix}", which the same zip makes a file. Re-create the zip.`,
        );
      }
    }
    switch (planned.kind) {
      case "directory":
        directories.push(planned);
        break;
      case "file":
        files.push(planned);
        declaredBytes += planned.entry.uncompressedSize;
        break;
      case "symlink":
        symlinks.push(planned);
        declaredBytes += planned.entry.uncompressedSize;
        break;
    }
  }

  if (declaredBytes > options.maxUnzippedBytes) {
    throw new InvalidPackageError(
      "too-large",
      `${displayName}: unzipped size ${declaredBytes} bytes exceeds the limit of ${options.maxUnzippedBytes} bytes (Lambda: 250 MB unzipped, including layers). Remove files from the package, or move dependencies into a container image.`,
    );
  }
  if (files.length === 0 && symlinks.length === 0) {
    throw new InvalidPackageError(
      "empty-package",
      `${displayName}: the zip contains no files. Zip the contents of the function's folder (cd dir && zip -r ../function.zip .).`,
    );
  }
  return { directories, files, symlinks, declaredBytes };
}

function planEntry(
  entry: ZipEntry,
  displayName: string,
): PlannedEntry | undefined {
  const { name } = entry;
  if (name.includes("\0")) {
    throw new InvalidPackageError(
      "corrupt-zip",
      `${displayName}: entry ${JSON.stringify(name)} has a NUL character in its name. Re-create the zip.`,
    );
  }
  if (name.startsWith("/") || /^[a-zA-Z]:/.test(name)) {
    throw new InvalidPackageError(
      "zip-slip",
      `${displayName}: entry "${name}" has an absolute name. Lambda extracts every entry below /var/task; re-create the zip with relative names (cd dir && zip -r ../function.zip .).`,
    );
  }
  const segments: string[] = [];
  for (const segment of name.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") {
      if (segments.pop() === undefined) {
        throw new InvalidPackageError(
          "zip-slip",
          `${displayName}: entry "${name}" climbs out of the package root with "..". Re-create the zip from inside the function's folder (cd dir && zip -r ../function.zip .).`,
        );
      }
      continue;
    }
    segments.push(segment);
  }
  const unixMode = hasUnixAttributes(entry)
    ? entry.externalFileAttributes >>> 16
    : 0;
  const type = unixMode & S_IFMT;
  const kind: PlannedEntryKind =
    name.endsWith("/") ||
    type === S_IFDIR ||
    (unixMode === 0 && (entry.externalFileAttributes & MSDOS_DIRECTORY) !== 0)
      ? "directory"
      : type === S_IFLNK
        ? "symlink"
        : "file";
  if (segments.length === 0) {
    if (kind === "directory") return undefined; // "./": the root itself
    throw new InvalidPackageError(
      "zip-slip",
      `${displayName}: entry "${name}" names the package root itself rather than a file in it. Re-create the zip.`,
    );
  }
  if (kind !== "directory") {
    if (entry.encrypted) {
      throw new InvalidPackageError(
        "unsupported-zip",
        `${displayName}: entry "${name}" is encrypted, which Lambda cannot read. Re-create the zip without a password.`,
      );
    }
    if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) {
      throw new InvalidPackageError(
        "unsupported-zip",
        `${displayName}: entry "${name}" uses compression method ${entry.compressionMethod}; only stored (0) and deflate (8) are supported. Re-create the zip with deflate (the default of zip and of most tools).`,
      );
    }
  }
  const permissions = unixMode & 0o777;
  const mode =
    unixMode === 0
      ? kind === "directory"
        ? DEFAULT_DIRECTORY_MODE
        : DEFAULT_FILE_MODE
      : permissions;
  return { entry, path: segments.join("/"), kind, mode };
}

function hasUnixAttributes(entry: ZipEntry): boolean {
  const host = entry.versionMadeBy >>> 8;
  return host === HOST_UNIX || host === HOST_MACOS;
}
