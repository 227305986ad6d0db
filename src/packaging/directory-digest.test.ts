import assert from "node:assert/strict";
import {
  chmod,
  mkdir,
  mkdtemp,
  rm,
  symlink,
  utimes,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it, type TestContext } from "node:test";
import { digestDirectory } from "./directory-digest.js";

/** Makes a folder holding `index.js`, `lib/util.js` and a link to it. */
async function makeFolder(t: TestContext): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "thaw-digest-"));
  t.after(() => rm(root, { recursive: true, force: true }));
  await writeFile(join(root, "index.js"), "exports.handler = () => 1;\n");
  await mkdir(join(root, "lib"));
  await writeFile(join(root, "lib", "util.js"), "module.exports = 2;\n");
  await symlink("lib/util.js", join(root, "util.js"));
  return root;
}

describe("digestDirectory", () => {
  it("hashes names, contents, execute bits and links, not timestamps", async (t) => {
    const a = await makeFolder(t);
    const b = await makeFolder(t);
    const first = await digestDirectory(a);
    assert.equal(first.fileCount, 2);
    assert.equal(first.codeSize, 27 + 20);
    assert.match(first.codeSha256, /^[A-Za-z0-9+/]{43}=$/);
    const old = new Date("2001-01-01T00:00:00Z");
    await utimes(join(b, "index.js"), old, old);
    assert.equal((await digestDirectory(b)).codeSha256, first.codeSha256);

    await chmod(join(b, "index.js"), 0o755);
    const executable = (await digestDirectory(b)).codeSha256;
    assert.notEqual(executable, first.codeSha256);
    await chmod(join(b, "index.js"), 0o644);
    assert.equal((await digestDirectory(b)).codeSha256, first.codeSha256);

    await writeFile(join(b, "index.js"), "exports.handler = () => 2;\n");
    assert.notEqual((await digestDirectory(b)).codeSha256, first.codeSha256);

    await rm(join(a, "util.js"));
    await symlink("index.js", join(a, "util.js"));
    assert.notEqual((await digestDirectory(a)).codeSha256, first.codeSha256);
  });

  it("tells a file from a folder of the same name", async (t) => {
    const root = await mkdtemp(join(tmpdir(), "thaw-digest-"));
    t.after(() => rm(root, { recursive: true, force: true }));
    await mkdir(join(root, "one"));
    await mkdir(join(root, "two"));
    await writeFile(join(root, "one", "x"), "");
    await mkdir(join(root, "two", "x"));
    assert.notEqual(
      (await digestDirectory(join(root, "one"))).codeSha256,
      (await digestDirectory(join(root, "two"))).codeSha256,
    );
  });

  it("stops when its signal aborts, and reports a missing folder", async (t) => {
    const root = await makeFolder(t);
    await assert.rejects(
      () =>
        digestDirectory(root, { signal: AbortSignal.abort(new Error("stop")) }),
      /stop/,
    );
    await assert.rejects(() => digestDirectory(join(root, "missing")), {
      code: "ENOENT",
    });
  });
});
