/** The CreateFunction package: one executable `bootstrap` entry holding the file's bytes. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import yauzl from "yauzl";
import { rustFunctionZip } from "./serve-function-zip.js";

void test("zips the file as an executable bootstrap", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "thaw-serve-zip-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, "some-binary");
  await writeFile(file, "#!/bin/sh\necho hi\n");
  const zip = await rustFunctionZip(file);
  assert.equal(zip.readUInt32LE(0), 0x04034b50, "a zip's local header");

  const entries = await new Promise<{ name: string; mode: number }[]>(
    (resolve, reject) => {
      yauzl.fromBuffer(zip, { lazyEntries: false }, (error, archive) => {
        if (error !== null) {
          reject(error);
          return;
        }
        const found: { name: string; mode: number }[] = [];
        archive.on("entry", (entry: yauzl.Entry) => {
          found.push({
            name: entry.fileName,
            mode: entry.externalFileAttributes >>> 16,
          });
        });
        archive.on("end", () => {
          resolve(found);
        });
        archive.on("error", reject);
      });
    },
  );
  assert.deepEqual(entries, [{ name: "bootstrap", mode: 0o100755 }]);
});
