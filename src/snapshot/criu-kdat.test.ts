/**
 * CRIU's kernel probe cache on this machine: made once where `/run` is not a tmpfs, then found
 * again; and CRIU uses it (its log says so), which is what takes a third off a restore.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statfsSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { probeCriu } from "./criu.js";
import { ensureKerndatCache } from "./criu-kdat.js";

const criu = await probeCriu();
const skip =
  process.getuid?.() !== 0
    ? "CRIU needs root"
    : !criu.available || criu.location === undefined
      ? `CRIU does not work here: ${criu.notes.join("; ")}`
      : false;

test(
  "the kernel probe cache is made once, found again, and read by CRIU",
  { skip },
  async () => {
    const path = criu.location?.path ?? "";
    if (statfsSync("/run").type === 0x01021994) {
      assert.equal(await ensureKerndatCache(path), "kept by CRIU");
      return;
    }
    rmSync("/run/criu.kdat.thaw", { force: true });
    assert.equal(await ensureKerndatCache(path), "made");
    assert.ok(existsSync("/run/criu.kdat"));
    assert.equal(await ensureKerndatCache(path), "present");
    const dir = mkdtempSync(join(tmpdir(), "thaw-kdat-test-"));
    try {
      execFileSync(path, [
        "check",
        "-v4",
        "--log-file",
        join(dir, "check.log"),
      ]);
      assert.match(
        readFileSync(join(dir, "check.log"), "utf8"),
        /Loaded kdat cache from \/run\/criu\.kdat/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
