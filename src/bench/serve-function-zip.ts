/**
 * The deployment package the serve benchmark uploads with CreateFunction: the Rust fixture's
 * `bootstrap`, zipped the way `zip function.zip bootstrap` does (executable bit kept).
 */
import { join } from "node:path";
import { ZipFile } from "yazl";
import { THAW_PATHS } from "../config/paths.js";

/** Path of the Rust fixture binary built by `scripts/setup.sh`. */
export const RUST_BOOTSTRAP = join(THAW_PATHS.fixtures, "rust", "bootstrap");

/**
 * Zips `bootstrap` (default: the Rust fixture) in memory.
 * @throws when the file cannot be read (the fixtures are not built: run `scripts/setup.sh`).
 */
export async function rustFunctionZip(
  bootstrap: string = RUST_BOOTSTRAP,
): Promise<Buffer> {
  const zip = new ZipFile();
  zip.addFile(bootstrap, "bootstrap", { mode: 0o100755 });
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
