/**
 * A function's code as the control plane sees it: where it comes from (the bytes of a zip given to
 * CreateFunction or UpdateFunctionCode, or a local folder or zip named by a template), its identity
 * (`CodeSha256`, `CodeSize`) known before the response, and its preparation into a task root,
 * which happens after the response.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import { ServiceException } from "../errors/service-exceptions.js";
import { digestDirectory } from "../packaging/directory-digest.js";
import {
  prepareFunctionPackage,
  prepareFunctionPackageFromZipBytes,
} from "../packaging/function-artifact.js";

/** Where a function's code comes from. */
export type CodeSource =
  | { readonly kind: "zip-bytes"; readonly bytes: Buffer }
  | { readonly kind: "path"; readonly path: string };

/** `CodeSha256` and `CodeSize` of a function's code. */
export interface CodeIdentity {
  /** Base64 SHA-256 of the zip; for a folder, its digest (`packaging/directory-digest.ts`). */
  readonly codeSha256: string;
  /** Bytes of the zip; for a folder, the total of its files. */
  readonly codeSize: number;
}

/** Prepares code into the folder that becomes `/var/task`; rejects when the code is unusable. */
export type PreparePackage = (
  source: CodeSource,
  options: { readonly cacheDir: string; readonly signal: AbortSignal },
) => Promise<{ readonly taskRoot: string }>;

/** Lambda's limit for a zip uploaded in the request (spec §6.2). */
export const MAX_ZIPPED_BYTES = 52_428_800;
const ZIP_SIGNATURES = [
  Buffer.from([0x50, 0x4b, 0x03, 0x04]),
  Buffer.from([0x50, 0x4b, 0x05, 0x06]),
  Buffer.from([0x50, 0x4b, 0x07, 0x08]),
];

/**
 * Identity of a zip given as bytes; checks what Lambda checks before answering.
 * @throws {ServiceException} `InvalidParameterValueException` for empty bytes or bytes that are
 *   not a zip; `RequestTooLargeException` over 50 MiB.
 */
export function zipBytesIdentity(bytes: Buffer): CodeIdentity {
  if (bytes.length === 0) {
    throw new ServiceException(
      "InvalidParameterValueException",
      "Uploaded file must be a non-empty zip",
    );
  }
  if (bytes.length > MAX_ZIPPED_BYTES) {
    throw new ServiceException(
      "RequestTooLargeException",
      `Zipped size must be smaller than ${MAX_ZIPPED_BYTES} bytes`,
    );
  }
  const head = bytes.subarray(0, 4);
  if (!ZIP_SIGNATURES.some((signature) => signature.equals(head))) {
    throw new ServiceException(
      "InvalidParameterValueException",
      "Could not unzip uploaded file. Please check your file, then try to upload again.",
    );
  }
  return {
    codeSha256: createHash("sha256").update(bytes).digest("base64"),
    codeSize: bytes.length,
  };
}

/**
 * Identity of a local folder or file: the folder's digest, or the file's SHA-256 and size.
 * @throws {ServiceException} `InvalidParameterValueException` when the path cannot be read or is
 *   neither a folder nor a regular file.
 */
export async function pathIdentity(path: string): Promise<CodeIdentity> {
  const absolute = resolve(path);
  try {
    const stats = await stat(absolute);
    if (stats.isDirectory()) {
      const digest = await digestDirectory(absolute);
      return { codeSha256: digest.codeSha256, codeSize: digest.codeSize };
    }
    if (!stats.isFile()) {
      throw new ServiceException(
        "InvalidParameterValueException",
        `The function code at ${absolute} is neither a folder nor a zip file. Point the function at its folder or at a zip of its contents.`,
      );
    }
    const hash = createHash("sha256");
    for await (const chunk of createReadStream(absolute)) {
      hash.update(chunk as Buffer);
    }
    return { codeSha256: hash.digest("base64"), codeSize: stats.size };
  } catch (err) {
    if (err instanceof ServiceException) throw err;
    const code = (err as { code?: unknown }).code;
    const why = typeof code === "string" ? code : (err as Error).message;
    throw new ServiceException(
      "InvalidParameterValueException",
      code === "ENOENT"
        ? `The function code at ${absolute} does not exist. Point the function at its folder or at its zip file.`
        : `The function code at ${absolute} cannot be read (${why}). Make it readable by the user running thaw.`,
      { cause: err },
    );
  }
}

/** The default {@link PreparePackage}: the packaging module's content-addressed extraction. */
export const preparePackage: PreparePackage = async (source, options) => {
  const prepared =
    source.kind === "zip-bytes"
      ? await prepareFunctionPackageFromZipBytes(source.bytes, options)
      : await prepareFunctionPackage(source.path, options);
  return { taskRoot: prepared.taskRoot };
};
