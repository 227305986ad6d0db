/**
 * CRIU's cache of its kernel probe (`/run/criu.kdat`). Every `criu` run first probes what the kernel
 * can do (about 25 ms here, a third of a restore) unless it finds that cache. CRIU writes the
 * cache only where `/run` is a tmpfs, so that a reboot, and so a new kernel, clears it; on a
 * machine whose `/run` is an ordinary disk (this one: ext4, in a Firecracker VM) it never does, yet
 * it reads a cache that is there whatever the file system.
 *
 * So, where `/run` is not a tmpfs, thaw has CRIU write the cache once in a mount namespace of its
 * own whose `/run` is a tmpfs (`criu check`), and copies it to `/run/criu.kdat`, with a note of the
 * boot and the CRIU it was made for (`/run/criu.kdat.thaw`); after a reboot or with another CRIU it
 * is made again. Where `/run` is a tmpfs, CRIU keeps its cache itself and thaw does nothing.
 * Measured: `criu restore` of a small image 73–92 ms without the cache, 46–48 ms with it
 * (docs/snapshot.md).
 */
import { execFile } from "node:child_process";
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  statfsSync,
  copyFileSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { fileFingerprint } from "../util/file-fingerprint.js";

const execFileAsync = promisify(execFile);

/** Where CRIU reads (and, on a tmpfs, writes) its cache. */
const KDAT = "/run/criu.kdat";
/** The boot and the CRIU the copied cache was made for. */
const MARKER = "/run/criu.kdat.thaw";
/** `statfs` type of a tmpfs. */
const TMPFS_MAGIC = 0x01021994;

/**
 * Makes sure `criu` finds its kernel probe cached (see the module comment). Never throws: without
 * the cache CRIU only probes the kernel again, more slowly. Returns what it did, for diagnostics.
 */
export async function ensureKerndatCache(
  criu: string,
): Promise<"kept by CRIU" | "present" | "made" | "failed"> {
  try {
    if (statfsSync("/run").type === TMPFS_MAGIC) return "kept by CRIU";
    const wanted = `${readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim()} ${fileFingerprint(criu)}\n`;
    if (existsSync(KDAT) && readMarker() === wanted) return "present";
    const work = mkdtempSync(join(tmpdir(), "thaw-kdat-"));
    try {
      const made = join(work, "criu.kdat");
      await execFileAsync(
        "unshare",
        [
          "--mount",
          "--propagation",
          "private",
          "sh",
          "-c",
          'mount -t tmpfs thaw-kdat /run && "$1" check > /dev/null 2>&1; cp /run/criu.kdat "$2"',
          "sh",
          criu,
          made,
        ],
        { timeout: 30_000 },
      );
      const temporary = `${KDAT}.thaw-tmp`;
      copyFileSync(made, temporary);
      renameSync(temporary, KDAT);
      writeFileSync(MARKER, wanted);
      return "made";
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  } catch {
    return "failed";
  }
}

function readMarker(): string | undefined {
  try {
    return readFileSync(MARKER, "utf8");
  } catch {
    return undefined;
  }
}
