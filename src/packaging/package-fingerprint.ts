/**
 * A fingerprint of a function package used in place (a folder), for caches keyed by its content
 * (SnapStart snapshots): every file's relative path, size and modification time, hashed. Cheap
 * enough to take at every use (no file is read), and it changes whenever a file is added, removed
 * or rewritten. A zip package has its CodeSha256 instead. `__pycache__` folders are left out: Python
 * writes them into a writable package at the first import, and they only cache what is there.
 */
import { createHash } from "node:crypto";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

/** The fingerprint of the folder `root` (hex SHA-256). */
export function directoryFingerprint(root: string): string {
  const hash = createHash("sha256");
  const pending = [""];
  for (
    let relative = pending.pop();
    relative !== undefined;
    relative = pending.pop()
  ) {
    const entries = readdirSync(join(root, relative), {
      withFileTypes: true,
    }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const path = relative === "" ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) {
        if (entry.name !== "__pycache__") pending.push(path);
        continue;
      }
      const stat = statSync(join(root, path));
      hash.update(`${path}\0${String(stat.size)}\0${String(stat.mtimeMs)}\n`);
    }
  }
  return hash.digest("hex");
}
