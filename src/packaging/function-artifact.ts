/**
 * Function packages: turn what the user gave (a folder, a zip file, or the bytes of a zip) into the
 * folder that becomes `/var/task`.
 *
 * A folder is used in place. A zip is hashed (SHA-256, which is also Lambda's `CodeSha256`) and
 * extracted once into a content-addressed cache ({@link PackageCache}); later preparations of the
 * same bytes cost the hash and one `stat`. Extraction follows what Lambda accepts: permission bits
 * as zipped (exec bits kept), symbolic links kept when they stay inside the package, and nothing
 * written outside the root whatever the zip says. A rejected or aborted preparation leaves nothing
 * in the cache.
 */
import { createHash } from "node:crypto";
import { open, stat } from "node:fs/promises";
import { resolve } from "node:path";
import { pipeline } from "node:stream/promises";
import { performance } from "node:perf_hooks";
import { InvalidPackageError } from "../errors/usage-errors.js";
import { PackageCache } from "./package-cache.js";
import {
  openZipArchive,
  type ZipArchive,
  type ZipSource,
} from "./zip-archive.js";
import { planZipEntries } from "./zip-entry-plan.js";
import { extractZipArchive } from "./zip-extraction.js";

/** A function package ready to be mounted or used as `/var/task`. */
export interface PreparedPackage {
  /** Absolute path of the folder that becomes `/var/task`. Treat it as read-only, as Lambda does. */
  readonly taskRoot: string;
  /** `zip` when the package came from a zip (file or bytes), `directory` when used in place. */
  readonly kind: "zip" | "directory";
  /** Base64 SHA-256 of the zip's bytes, as Lambda's `CodeSha256`; undefined for a directory. */
  readonly codeSha256: string | undefined;
  /** Size of the zip in bytes (Lambda's `CodeSize`); undefined for a directory. */
  readonly codeSize: number | undefined;
  /**
   * True when this call's extraction became the cache entry; false when the cache already had it
   * (or another concurrent preparation of the same zip published first) and for a directory.
   */
  readonly extracted: boolean;
  /** Milliseconds spent preparing (checks, hash, and extraction when there was one). */
  readonly durationMs: number;
}

/** Options of {@link prepareFunctionPackage} and {@link prepareFunctionPackageFromZipBytes}. */
export interface PreparePackageOptions {
  /** Folder of the content-addressed cache of extracted zips; created when missing. */
  readonly cacheDir: string;
  /** Aborts hashing and extraction; whatever was extracted is removed and the reason is thrown. */
  readonly signal?: AbortSignal | undefined;
  /**
   * Limit of the unzipped size, checked against the declared sizes before extracting and against
   * the bytes actually inflated while extracting. It is not re-checked on a cache hit.
   * @default 262144000 (250 MiB: Lambda's limit for a function and its layers, unzipped)
   */
  readonly maxUnzippedBytes?: number | undefined;
}

/** Lambda quotas: "250 MB" deployment package size, unzipped, including layers. */
const LAMBDA_MAX_UNZIPPED_BYTES = 250 * 1024 * 1024;
/** Read size when hashing: large reads keep the cached path close to the speed of SHA-256. */
const HASH_CHUNK_BYTES = 1024 * 1024;
/** A zip starts with a local file header, or (when empty) the end-of-central-directory record. */
const ZIP_SIGNATURES = [
  Buffer.from([0x50, 0x4b, 0x03, 0x04]),
  Buffer.from([0x50, 0x4b, 0x05, 0x06]),
  Buffer.from([0x50, 0x4b, 0x07, 0x08]), // spanning marker before the first local header
];

/**
 * Prepares a function package from a path: a folder (used in place, not copied) or a zip file
 * (recognised by its content, whatever its extension).
 *
 * @param source path of a folder or of a zip file, relative to the working directory or absolute
 * @throws InvalidPackageError `not-found`, `not-a-directory` (neither a folder nor a regular file,
 *   or a path through a file), `not-a-zip`, `unreadable`, `corrupt-zip`, `unsupported-zip`,
 *   `zip-slip`, `link-outside`, `too-large`, `empty-package`
 * @throws the signal's reason when it aborts
 */
export async function prepareFunctionPackage(
  source: string,
  options: PreparePackageOptions,
): Promise<PreparedPackage> {
  const started = performance.now();
  const { signal } = options;
  signal?.throwIfAborted();
  const path = resolve(source);
  const stats = await stat(path).catch((err: unknown) => {
    throw sourceError(err, path);
  });
  if (stats.isDirectory()) {
    return {
      taskRoot: path,
      kind: "directory",
      codeSha256: undefined,
      codeSize: undefined,
      extracted: false,
      durationMs: performance.now() - started,
    };
  }
  if (!stats.isFile()) {
    throw new InvalidPackageError(
      "not-a-directory",
      `${path} is neither a folder nor a zip file. Pass the function's folder, or a zip of its contents.`,
    );
  }

  const handle = await open(path, "r").catch((err: unknown) => {
    throw sourceError(err, path);
  });
  let digest: Buffer;
  let codeSize = 0;
  try {
    const head = Buffer.alloc(4);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    if (!isZipSignature(head.subarray(0, bytesRead))) throw notAZip(path);
    const hash = createHash("sha256");
    await pipeline(
      handle.createReadStream({
        start: 0,
        highWaterMark: HASH_CHUNK_BYTES,
        autoClose: false,
      }),
      async (chunks: AsyncIterable<Buffer>) => {
        for await (const chunk of chunks) {
          hash.update(chunk);
          codeSize += chunk.length;
        }
      },
      { signal },
    );
    digest = hash.digest();
  } catch (err) {
    throw signal?.aborted === true ? signal.reason : err;
  } finally {
    await handle.close();
  }
  return prepareZip(
    { kind: "file", path },
    digest,
    codeSize,
    path,
    options,
    started,
  );
}

/**
 * Prepares a function package from the bytes of a zip (as CreateFunction's `Code.ZipFile`). The
 * bytes are read in memory, never written to disk as a zip.
 *
 * @throws InvalidPackageError `not-a-zip`, `corrupt-zip`, `unsupported-zip`, `zip-slip`,
 *   `link-outside`, `too-large`, `empty-package`
 * @throws the signal's reason when it aborts
 */
export async function prepareFunctionPackageFromZipBytes(
  bytes: Buffer,
  options: PreparePackageOptions,
): Promise<PreparedPackage> {
  const started = performance.now();
  options.signal?.throwIfAborted();
  const displayName = `the zip (${bytes.length} bytes)`;
  if (!isZipSignature(bytes.subarray(0, 4))) throw notAZip(displayName);
  const digest = createHash("sha256").update(bytes).digest();
  return prepareZip(
    { kind: "buffer", bytes },
    digest,
    bytes.length,
    displayName,
    options,
    started,
  );
}

async function prepareZip(
  source: ZipSource,
  digest: Buffer,
  codeSize: number,
  displayName: string,
  options: PreparePackageOptions,
  started: number,
): Promise<PreparedPackage> {
  const { signal } = options;
  const maxUnzippedBytes =
    options.maxUnzippedBytes ?? LAMBDA_MAX_UNZIPPED_BYTES;
  const sha256Hex = digest.toString("hex");
  const codeSha256 = digest.toString("base64");
  const cache = new PackageCache(resolve(options.cacheDir));
  const prepared = (taskRoot: string, extracted: boolean): PreparedPackage => ({
    taskRoot,
    kind: "zip",
    codeSha256,
    codeSize,
    extracted,
    durationMs: performance.now() - started,
  });

  const cached = await cache.lookup(sha256Hex);
  if (cached !== undefined) return prepared(cached, false);

  signal?.throwIfAborted();
  let archive: ZipArchive;
  try {
    archive = await openZipArchive(source);
  } catch (err) {
    if (typeof (err as { code?: unknown }).code === "string") throw err; // EACCES, EMFILE…
    throw new InvalidPackageError(
      "corrupt-zip",
      `${displayName} is not a readable zip (${(err as Error).message}); it may be truncated or damaged. Re-create it (cd dir && zip -r ../function.zip .) and try again.`,
      { cause: err },
    );
  }
  try {
    // Validate every name and size before anything exists on disk.
    const plan = planZipEntries(archive.entries, {
      displayName,
      maxUnzippedBytes,
    });
    const { staging, taskRoot } = await cache.stage();
    try {
      await extractZipArchive(archive, plan, taskRoot, {
        displayName,
        maxUnzippedBytes,
        signal,
      });
      signal?.throwIfAborted();
      const published = await cache.publish(staging, sha256Hex, {
        codeSha256,
        codeSize,
      });
      return prepared(published.taskRoot, published.published);
    } catch (err) {
      await cache.discard(staging);
      throw signal?.aborted === true ? signal.reason : err;
    }
  } finally {
    archive.close();
  }
}

function isZipSignature(head: Buffer): boolean {
  return ZIP_SIGNATURES.some((signature) => signature.equals(head));
}

function notAZip(displayName: string): InvalidPackageError {
  return new InvalidPackageError(
    "not-a-zip",
    `${displayName} is neither a folder nor a zip file (it does not start with a zip signature). Pass the function's folder, or a zip of its contents.`,
  );
}

/** Maps a failure to reach the source path to a reason; other failures pass through. */
function sourceError(err: unknown, path: string): unknown {
  const code = (err as { code?: unknown }).code;
  switch (code) {
    case "ENOENT":
      return new InvalidPackageError(
        "not-found",
        `${path} does not exist. Pass the path of the function's folder or of its zip file.`,
        { cause: err },
      );
    case "ENOTDIR":
      return new InvalidPackageError(
        "not-a-directory",
        `${path} goes through something that is not a folder. Check the path of the function's folder or zip file.`,
        { cause: err },
      );
    case "EACCES":
    case "EPERM":
      return new InvalidPackageError(
        "unreadable",
        `${path} cannot be read (${code}). Fix its permissions so that the user running thaw can read it.`,
        { cause: err },
      );
    default:
      return err;
  }
}
