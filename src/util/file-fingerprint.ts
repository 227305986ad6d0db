/** A cheap fingerprint of a file, for cache keys: its path, size and modification time. */
import { statSync } from "node:fs";

/**
 * `path:size:mtimeMs` of the file at `path`; it changes when the file is replaced or rewritten.
 * @throws the file system's error when the file cannot be read.
 */
export function fileFingerprint(path: string): string {
  const stat = statSync(path);
  return `${path}:${String(stat.size)}:${String(stat.mtimeMs)}`;
}
