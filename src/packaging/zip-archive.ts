/**
 * A small typed, promise-based view of a zip file, over yauzl.
 *
 * `@types/yauzl` describes yauzl 2; we run yauzl 3 with `decodeStrings: false` (so that yauzl does
 * not reject `../` names itself with an untyped error: the caller wants to say *which* entry is
 * unsafe) and `validateEntrySizes: false` (the caller counts bytes itself, to tell a zip bomb
 * (`too-large`) from a lying header (`corrupt-zip`)). This file is the only one that touches yauzl.
 */
import type { Readable } from "node:stream";
import yauzl from "yauzl";

// yauzl 3 exports the name decoder it uses internally (Info-ZIP Unicode Path field, UTF-8 flag,
// else CP437); @types/yauzl 2.x does not know it.
declare module "yauzl" {
  function getFileNameLowLevel(
    generalPurposeBitFlag: number,
    fileNameBuffer: Buffer,
    extraFields: readonly { id: number; data: Buffer }[],
    strictFileNames: boolean,
  ): string;
}

/** Where a zip's bytes are: a file on disk, or already in memory. */
export type ZipSource =
  | { readonly kind: "file"; readonly path: string }
  | { readonly kind: "buffer"; readonly bytes: Buffer };

/** One central-directory record, as read; nothing about it is validated yet. */
export interface ZipEntry {
  /** Position in the central directory, from 0. */
  readonly index: number;
  /** The decoded name, with Windows `\` separators turned into `/` (as yauzl and Info-ZIP do). */
  readonly name: string;
  /** High byte: the host system that made the entry (3 = Unix, 19 = macOS, 0 = MS-DOS/Windows). */
  readonly versionMadeBy: number;
  /** On Unix hosts, the high 16 bits are `st_mode` (type and permission bits). */
  readonly externalFileAttributes: number;
  /** 0 = stored, 8 = deflate; yauzl can read no other. */
  readonly compressionMethod: number;
  readonly encrypted: boolean;
  readonly compressedSize: number;
  /** As declared by the central directory; a hostile zip may lie. */
  readonly uncompressedSize: number;
  /** CRC-32 of the uncompressed bytes, as declared. */
  readonly crc32: number;
  /** From the Info-ZIP or NTFS timestamp field when present, else the DOS date in local time. */
  readonly lastModified: Date;
}

/** An open zip file. Close it when done; {@link ZipArchive.close} is idempotent. */
export interface ZipArchive {
  /** Every entry of the central directory, in order. */
  readonly entries: readonly ZipEntry[];
  /** Opens a stream of an entry's uncompressed bytes (not checked against the declared size). */
  openEntry(entry: ZipEntry): Promise<Readable>;
  close(): void;
}

const openOptions = {
  lazyEntries: true,
  autoClose: false,
  decodeStrings: false,
  validateEntrySizes: false,
  strictFileNames: false,
} as const;

/**
 * Opens a zip and reads its whole central directory (metadata only, no file data).
 *
 * @throws Error as yauzl reports it when the file is not a readable zip (no end-of-central-directory
 *   record, truncated, bad signatures…); a system error (with `code`) when the file cannot be read.
 */
export async function openZipArchive(source: ZipSource): Promise<ZipArchive> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) => {
    const done = (err: Error | null, opened: yauzl.ZipFile): void => {
      if (err) reject(err);
      else resolve(opened);
    };
    if (source.kind === "file") yauzl.open(source.path, openOptions, done);
    else yauzl.fromBuffer(source.bytes, openOptions, done);
  });
  const raws = new Map<ZipEntry, yauzl.Entry>();
  let lateError: Error | undefined;
  try {
    const entries = await new Promise<ZipEntry[]>((resolve, reject) => {
      const list: ZipEntry[] = [];
      zip.on("entry", (raw: yauzl.Entry) => {
        try {
          const entry = toZipEntry(raw, list.length);
          raws.set(entry, raw);
          list.push(entry);
          zip.readEntry();
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      });
      zip.once("end", () => {
        resolve(list);
      });
      zip.once("error", reject);
      zip.readEntry();
    });
    // Keep a listener: an unheard "error" event would be thrown as an uncaught exception.
    zip.on("error", (err: Error) => {
      lateError ??= err;
    });
    return {
      entries,
      openEntry: (entry) =>
        new Promise<Readable>((resolve, reject) => {
          const raw = raws.get(entry);
          if (raw === undefined)
            throw new Error(`entry #${entry.index} is not from this archive`);
          if (lateError !== undefined) throw lateError;
          zip.openReadStream(raw, (err, stream) => {
            if (err) reject(err);
            else resolve(stream);
          });
        }),
      close: () => {
        zip.close();
      },
    };
  } catch (err) {
    zip.close();
    throw err;
  }
}

function toZipEntry(raw: yauzl.Entry, index: number): ZipEntry {
  // With decodeStrings: false, yauzl leaves the name as the raw bytes.
  const rawName: unknown = raw.fileName;
  if (!Buffer.isBuffer(rawName))
    throw new Error("yauzl returned a decoded file name unexpectedly");
  return {
    index,
    name: yauzl.getFileNameLowLevel(
      raw.generalPurposeBitFlag,
      rawName,
      raw.extraFields,
      false,
    ),
    versionMadeBy: raw.versionMadeBy,
    externalFileAttributes: raw.externalFileAttributes,
    compressionMethod: raw.compressionMethod,
    encrypted: raw.isEncrypted(),
    compressedSize: raw.compressedSize,
    uncompressedSize: raw.uncompressedSize,
    crc32: raw.crc32,
    lastModified: raw.getLastModDate(),
  };
}
