import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { watch } from "node:fs";
import {
  lstat,
  mkdir,
  mkdtemp,
  readFile,
  readdir,
  readlink,
  rm,
  stat,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it, type TestContext } from "node:test";
import { promisify } from "node:util";
import yazl from "yazl";
import { InvalidPackageError } from "../errors/usage-errors.js";
import {
  prepareFunctionPackage,
  prepareFunctionPackageFromZipBytes,
} from "./function-artifact.js";

const execFileAsync = promisify(execFile);

interface ZipItem {
  readonly name: string;
  /** File body, or link target for a symlink. Omitted for a directory. */
  readonly body?: string | Buffer;
  /** Full st_mode (type and permission bits), as zip tools store it. */
  readonly mode?: number;
  readonly mtime?: Date;
  readonly compress?: boolean;
}

const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;

/** Builds a zip in memory with yazl (which writes Unix attributes, "version made by" 3). */
async function makeZip(items: readonly ZipItem[]): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const item of items) {
    const options = {
      ...(item.mode === undefined ? {} : { mode: item.mode }),
      ...(item.mtime === undefined ? {} : { mtime: item.mtime }),
    };
    if (item.body === undefined) {
      zip.addEmptyDirectory(item.name, options);
    } else {
      const body =
        typeof item.body === "string" ? Buffer.from(item.body) : item.body;
      zip.addBuffer(body, item.name, {
        ...options,
        compress: item.compress ?? true,
      });
    }
  }
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream as AsyncIterable<Buffer>)
    chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** Replaces every occurrence of a string by another of the same length (yazl refuses unsafe names). */
function replaceBytes(zip: Buffer, from: string, to: string): Buffer {
  assert.equal(from.length, to.length);
  const out = Buffer.from(zip);
  const needle = Buffer.from(from);
  let found = 0;
  for (
    let at = out.indexOf(needle);
    at !== -1;
    at = out.indexOf(needle, at + 1)
  ) {
    out.write(to, at);
    found += 1;
  }
  assert.ok(found > 0, `${from} not found in the zip`);
  return out;
}

/** Calls `patch` with the offset of the central directory header of the entry named `name`. */
function patchCentral(
  zip: Buffer,
  name: string,
  patch: (out: Buffer, offset: number) => void,
): Buffer {
  const out = Buffer.from(zip);
  const signature = Buffer.from([0x50, 0x4b, 0x01, 0x02]);
  for (
    let at = out.indexOf(signature);
    at !== -1;
    at = out.indexOf(signature, at + 1)
  ) {
    const nameLength = out.readUInt16LE(at + 28);
    if (out.toString("utf8", at + 46, at + 46 + nameLength) === name) {
      patch(out, at);
      return out;
    }
  }
  throw new Error(`no central directory entry ${name}`);
}

/** Makes an entry look zipped on Windows: host MS-DOS, DOS attributes only. */
function asWindowsEntry(
  zip: Buffer,
  name: string,
  dosAttributes: number,
): Buffer {
  return patchCentral(zip, name, (out, at) => {
    out.writeUInt8(0, at + 5);
    out.writeUInt32LE(dosAttributes, at + 38);
  });
}

/** Makes the central directory declare another uncompressed size (as a zip bomb does). */
function declareSize(zip: Buffer, name: string, size: number): Buffer {
  return patchCentral(zip, name, (out, at) => {
    out.writeUInt32LE(size, at + 24);
  });
}

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "thaw-artifact-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A temp dir holding `cache/`, plus a helper to write a zip in it. */
async function workspace(t: TestContext): Promise<{
  readonly dir: string;
  readonly cacheDir: string;
  readonly writeZip: (name: string, bytes: Buffer) => Promise<string>;
}> {
  const dir = await tempDir(t);
  return {
    dir,
    cacheDir: join(dir, "cache"),
    writeZip: async (name, bytes) => {
      const path = join(dir, name);
      await writeFile(path, bytes);
      return path;
    },
  };
}

async function rejectsWithReason(
  promise: Promise<unknown>,
  reason: string,
  messagePattern?: RegExp,
): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(
      err instanceof InvalidPackageError,
      `expected InvalidPackageError, got ${String(err)}`,
    );
    assert.equal(err.name, "InvalidPackageError");
    assert.equal(err.blame, "client");
    assert.equal(err.reason, reason, err.message);
    if (messagePattern !== undefined) assert.match(err.message, messagePattern);
    return true;
  });
}

async function cacheListing(cacheDir: string): Promise<string[]> {
  try {
    return (await readdir(cacheDir)).sort();
  } catch (err) {
    if ((err as { code?: unknown }).code === "ENOENT") return [];
    throw err;
  }
}

/** After a rejection: no entry, no staging folder, nothing at all. */
async function assertCacheEmpty(cacheDir: string): Promise<void> {
  assert.deepEqual(await cacheListing(cacheDir), []);
}

const modeOf = async (path: string): Promise<number> =>
  (await stat(path)).mode & 0o777;

void describe("prepareFunctionPackage: directories", () => {
  void it("uses a folder in place, without copying or caching", async (t) => {
    const { dir, cacheDir } = await workspace(t);
    const fn = join(dir, "fn");
    await mkdir(fn);
    await writeFile(join(fn, "index.js"), "exports.handler = async () => 1;\n");
    const prepared = await prepareFunctionPackage(fn, { cacheDir });
    assert.equal(prepared.taskRoot, fn);
    assert.equal(prepared.kind, "directory");
    assert.equal(prepared.codeSha256, undefined);
    assert.equal(prepared.codeSize, undefined);
    assert.equal(prepared.extracted, false);
    assert.ok(prepared.durationMs >= 0);
    await assertCacheEmpty(cacheDir);
  });

  void it("rejects a missing path as not-found", async (t) => {
    const { dir, cacheDir } = await workspace(t);
    await rejectsWithReason(
      prepareFunctionPackage(join(dir, "nope"), { cacheDir }),
      "not-found",
      /nope does not exist/,
    );
    await assertCacheEmpty(cacheDir);
  });

  void it("rejects a path through a file as not-a-directory", async (t) => {
    const { dir, cacheDir } = await workspace(t);
    await writeFile(join(dir, "file.txt"), "x");
    await rejectsWithReason(
      prepareFunctionPackage(join(dir, "file.txt", "sub"), { cacheDir }),
      "not-a-directory",
    );
  });

  void it("rejects a file that is not a zip as not-a-zip, whatever its extension", async (t) => {
    const { dir, cacheDir } = await workspace(t);
    const path = join(dir, "function.zip");
    await writeFile(path, "this is text, not a zip");
    await rejectsWithReason(
      prepareFunctionPackage(path, { cacheDir }),
      "not-a-zip",
      /function\.zip/,
    );
    await writeFile(join(dir, "empty.zip"), "");
    await rejectsWithReason(
      prepareFunctionPackage(join(dir, "empty.zip"), { cacheDir }),
      "not-a-zip",
    );
    await rejectsWithReason(
      prepareFunctionPackageFromZipBytes(Buffer.from("nope"), { cacheDir }),
      "not-a-zip",
    );
    await assertCacheEmpty(cacheDir);
  });
});

void describe("prepareFunctionPackage: zips", () => {
  void it("extracts a zip found by its content, keeping modes, times and hash", async (t) => {
    const { cacheDir, writeZip } = await workspace(t);
    const mtime = new Date("2021-03-04T05:06:08Z");
    let zip = await makeZip([
      {
        name: "bootstrap",
        body: "#!/bin/sh\necho hi\n",
        mode: S_IFREG | 0o755,
        mtime,
      },
      { name: "lib/", mode: S_IFDIR | 0o755 },
      { name: "lib/data.json", body: "{}", mode: S_IFREG | 0o644, mtime },
      { name: "lib/private.txt", body: "p", mode: S_IFREG | 0o600 },
      { name: "deep/er/file.txt", body: "deep", mode: S_IFREG | 0o640 },
      { name: "win.txt", body: "zipped on Windows" },
      { name: "windir/", mode: S_IFDIR | 0o700 },
    ]);
    zip = asWindowsEntry(zip, "win.txt", 0x20);
    zip = asWindowsEntry(zip, "windir/", 0x10);
    const path = await writeZip("code.bin", zip);

    const prepared = await prepareFunctionPackage(path, { cacheDir });
    const hex = createHash("sha256").update(zip).digest("hex");
    assert.equal(prepared.kind, "zip");
    assert.equal(prepared.extracted, true);
    assert.equal(prepared.codeSize, zip.length);
    assert.equal(
      prepared.codeSha256,
      createHash("sha256").update(zip).digest("base64"),
    );
    assert.equal(prepared.taskRoot, join(cacheDir, hex, "task"));

    const root = prepared.taskRoot;
    assert.equal(
      await readFile(join(root, "bootstrap"), "utf8"),
      "#!/bin/sh\necho hi\n",
    );
    assert.equal(await modeOf(join(root, "bootstrap")), 0o755);
    assert.equal(await modeOf(join(root, "lib/data.json")), 0o644);
    assert.equal(await modeOf(join(root, "lib/private.txt")), 0o600);
    assert.equal(await modeOf(join(root, "deep/er/file.txt")), 0o640);
    assert.equal(
      await readFile(join(root, "deep/er/file.txt"), "utf8"),
      "deep",
    );
    // No Unix attributes: readable, not executable.
    assert.equal(await modeOf(join(root, "win.txt")), 0o644);
    assert.equal(await modeOf(join(root, "windir")), 0o755);
    assert.equal(
      (await stat(join(root, "bootstrap"))).mtime.getTime(),
      mtime.getTime(),
    );
    assert.deepEqual((await readdir(root)).sort(), [
      "bootstrap",
      "deep",
      "lib",
      "win.txt",
      "windir",
    ]);
    // Only the published entry is in the cache: no staging folder is left.
    assert.deepEqual(await cacheListing(cacheDir), [hex]);
  });

  void it("keeps a bootstrap zipped without its exec bit as it is", async (t) => {
    const { cacheDir } = await workspace(t);
    const zip = await makeZip([
      { name: "bootstrap", body: "#!/bin/sh\n", mode: S_IFREG | 0o644 },
    ]);
    const prepared = await prepareFunctionPackageFromZipBytes(zip, {
      cacheDir,
    });
    assert.equal(await modeOf(join(prepared.taskRoot, "bootstrap")), 0o644);
  });

  void it("reuses the cache: extracted=false and the same task root, from a path or bytes", async (t) => {
    const { cacheDir, writeZip } = await workspace(t);
    const zip = await makeZip([
      { name: "index.js", body: "module.exports = 1;\n" },
    ]);
    const path = await writeZip("fn.zip", zip);
    const first = await prepareFunctionPackage(path, { cacheDir });
    const second = await prepareFunctionPackage(path, { cacheDir });
    const third = await prepareFunctionPackageFromZipBytes(zip, { cacheDir });
    assert.equal(first.extracted, true);
    assert.equal(second.extracted, false);
    assert.equal(third.extracted, false);
    assert.equal(second.taskRoot, first.taskRoot);
    assert.equal(third.taskRoot, first.taskRoot);
    assert.equal(second.codeSha256, first.codeSha256);
    assert.equal(third.codeSha256, first.codeSha256);
    assert.equal(third.codeSize, zip.length);
  });

  void it("replaces a cache folder that has no completion marker", async (t) => {
    const { cacheDir } = await workspace(t);
    const zip = await makeZip([{ name: "index.js", body: "1" }]);
    const hex = createHash("sha256").update(zip).digest("hex");
    await mkdir(join(cacheDir, hex, "task"), { recursive: true });
    await writeFile(join(cacheDir, hex, "task", "junk"), "left by hand");
    const prepared = await prepareFunctionPackageFromZipBytes(zip, {
      cacheDir,
    });
    assert.equal(prepared.extracted, true);
    assert.deepEqual(await readdir(prepared.taskRoot), ["index.js"]);
    assert.deepEqual(await cacheListing(cacheDir), [hex]);
  });

  void it("keeps symbolic links that stay inside the package", async (t) => {
    const { cacheDir } = await workspace(t);
    const zip = await makeZip([
      { name: "lib/libfoo.so.1", body: "ELF", mode: S_IFREG | 0o755 },
      { name: "lib/libfoo.so", body: "libfoo.so.1", mode: S_IFLNK | 0o777 },
      { name: "current", body: "lib", mode: S_IFLNK | 0o777 },
      { name: "up/link", body: "../lib/libfoo.so.1", mode: S_IFLNK | 0o777 },
    ]);
    const { taskRoot } = await prepareFunctionPackageFromZipBytes(zip, {
      cacheDir,
    });
    assert.ok((await lstat(join(taskRoot, "lib/libfoo.so"))).isSymbolicLink());
    assert.equal(
      await readlink(join(taskRoot, "lib/libfoo.so")),
      "libfoo.so.1",
    );
    assert.equal(await readlink(join(taskRoot, "current")), "lib");
    assert.equal(
      await readFile(join(taskRoot, "current/libfoo.so"), "utf8"),
      "ELF",
    );
    assert.equal(await readFile(join(taskRoot, "up/link"), "utf8"), "ELF");
  });

  void it("keeps the last of two entries with the same name", async (t) => {
    const { cacheDir } = await workspace(t);
    const zip = await makeZip([
      { name: "a.txt", body: "first" },
      { name: "a.txt", body: "second" },
    ]);
    const { taskRoot } = await prepareFunctionPackageFromZipBytes(zip, {
      cacheDir,
    });
    assert.equal(await readFile(join(taskRoot, "a.txt"), "utf8"), "second");
  });
});

void describe("prepareFunctionPackage: rejected zips leave nothing behind", () => {
  const cases: readonly {
    readonly title: string;
    readonly reason: string;
    readonly message?: RegExp;
    readonly zip: () => Promise<Buffer>;
    readonly maxUnzippedBytes?: number;
  }[] = [
    {
      title: "a name climbing out with ..",
      reason: "zip-slip",
      message: /"\.\.\/evil"/,
      zip: async () =>
        replaceBytes(
          await makeZip([{ name: "QQ/evil", body: "x" }]),
          "QQ/evil",
          "../evil",
        ),
    },
    {
      title: "a name climbing out after a folder",
      reason: "zip-slip",
      message: /"a\/\.\.\/\.\.\/evil"/,
      zip: async () =>
        replaceBytes(
          await makeZip([
            { name: "ok.txt", body: "1" },
            { name: "a/QQ/QQ/evil", body: "x" },
          ]),
          "a/QQ/QQ/evil",
          "a/../../evil",
        ),
    },
    {
      title: "an absolute name",
      reason: "zip-slip",
      message: /"\/tmp\/evil"/,
      zip: async () =>
        replaceBytes(
          await makeZip([{ name: "Qtmp/evil", body: "x" }]),
          "Qtmp/evil",
          "/tmp/evil",
        ),
    },
    {
      title: "an entry beneath a link of the zip",
      reason: "zip-slip",
      message: /beneath the symbolic link "out"/,
      zip: () =>
        makeZip([
          { name: "out", body: "sub", mode: S_IFLNK | 0o777 },
          { name: "sub/", mode: S_IFDIR | 0o755 },
          { name: "out/file", body: "x" },
        ]),
    },
    {
      title: "a link climbing out",
      reason: "link-outside",
      message: /"escape".*"\.\.\/\.\.\/etc\/passwd"/,
      zip: () =>
        makeZip([
          { name: "index.js", body: "1" },
          { name: "escape", body: "../../etc/passwd", mode: S_IFLNK | 0o777 },
        ]),
    },
    {
      title: "an absolute link",
      reason: "link-outside",
      message: /"\/etc\/passwd"/,
      zip: () =>
        makeZip([
          { name: "passwd", body: "/etc/passwd", mode: S_IFLNK | 0o777 },
        ]),
    },
    {
      title: "a link escaping through another link (a -> ., b -> a/..)",
      reason: "link-outside",
      message: /"b"/,
      zip: () =>
        makeZip([
          { name: "a", body: ".", mode: S_IFLNK | 0o777 },
          { name: "b", body: "a/..", mode: S_IFLNK | 0o777 },
        ]),
    },
    {
      title: "a truncated zip",
      reason: "corrupt-zip",
      message: /re-create it/i,
      zip: async () => {
        const zip = await makeZip([
          { name: "index.js", body: "x".repeat(5000) },
        ]);
        return zip.subarray(0, Math.floor(zip.length / 2));
      },
    },
    {
      title: "damaged stored data (CRC mismatch)",
      reason: "corrupt-zip",
      message: /"index\.js".*CRC/,
      zip: async () =>
        replaceBytes(
          await makeZip([
            { name: "index.js", body: "hello world", compress: false },
          ]),
          "hello world",
          "hellO world",
        ),
    },
    {
      title: "damaged deflate data",
      reason: "corrupt-zip",
      message: /"index\.js"/,
      zip: async () => {
        const zip = await makeZip([
          { name: "index.js", body: "abc".repeat(1000) },
        ]);
        const out = Buffer.from(zip);
        const dataStart = 30 + "index.js".length + out.readUInt16LE(28);
        out.fill(0xff, dataStart, dataStart + 20);
        return out;
      },
    },
    {
      title: "an entry inflating to more than its header declares",
      reason: "corrupt-zip",
      message: /1000 bytes inflated, 10 declared/,
      zip: async () =>
        declareSize(
          await makeZip([{ name: "a.txt", body: "a".repeat(1000) }]),
          "a.txt",
          10,
        ),
    },
    {
      title: "a file under a name that is also a file",
      reason: "corrupt-zip",
      message: /"a\/b"/,
      zip: () =>
        makeZip([
          { name: "a", body: "file" },
          { name: "a/b", body: "file" },
        ]),
    },
    {
      title: "declared sizes above the limit",
      reason: "too-large",
      message: /2048 bytes exceeds the limit of 1024/,
      maxUnzippedBytes: 1024,
      zip: () =>
        makeZip([
          { name: "a.bin", body: Buffer.alloc(1024) },
          { name: "b.bin", body: Buffer.alloc(1024) },
        ]),
    },
    {
      title: "a zip bomb lying about its sizes",
      reason: "too-large",
      message: /more than 1048576 bytes/,
      maxUnzippedBytes: 1024 * 1024,
      zip: async () =>
        declareSize(
          await makeZip([
            { name: "bomb.bin", body: Buffer.alloc(8 * 1024 * 1024) },
          ]),
          "bomb.bin",
          100,
        ),
    },
    {
      title: "a zip without entries",
      reason: "empty-package",
      zip: () => makeZip([]),
    },
    {
      title: "a zip holding only folders",
      reason: "empty-package",
      zip: () => makeZip([{ name: "a/" }, { name: "a/b/" }]),
    },
  ];

  for (const testCase of cases) {
    void it(`rejects ${testCase.title} (${testCase.reason})`, async (t) => {
      const { cacheDir, writeZip } = await workspace(t);
      const zip = await testCase.zip();
      const options = {
        cacheDir,
        ...(testCase.maxUnzippedBytes === undefined
          ? {}
          : { maxUnzippedBytes: testCase.maxUnzippedBytes }),
      };
      const path = await writeZip("function.zip", zip);
      const fromFile =
        testCase.message === undefined ? undefined : /function\.zip/;
      await rejectsWithReason(
        prepareFunctionPackage(path, options),
        testCase.reason,
        testCase.message,
      );
      await assertCacheEmpty(cacheDir);
      await rejectsWithReason(
        prepareFunctionPackageFromZipBytes(zip, options),
        testCase.reason,
      );
      await assertCacheEmpty(cacheDir);
      if (fromFile !== undefined) {
        await rejectsWithReason(
          prepareFunctionPackage(path, options),
          testCase.reason,
          fromFile,
        );
      }
    });
  }
});

void describe("prepareFunctionPackage: concurrency and abort", () => {
  void it("gives one folder and no leftovers when 5 calls prepare the same zip at once", async (t) => {
    const { cacheDir, writeZip } = await workspace(t);
    const files = Array.from({ length: 50 }, (_, i) => ({
      name: `f${i}.js`,
      body: `module.exports = ${i};`,
    }));
    const zip = await makeZip(files);
    const path = await writeZip("fn.zip", zip);
    const results = await Promise.all(
      Array.from({ length: 5 }, () =>
        prepareFunctionPackage(path, { cacheDir }),
      ),
    );
    const roots = new Set(results.map((r) => r.taskRoot));
    assert.equal(roots.size, 1);
    assert.equal(results.filter((r) => r.extracted).length, 1);
    const hex = createHash("sha256").update(zip).digest("hex");
    assert.deepEqual(await cacheListing(cacheDir), [hex]);
    assert.equal((await readdir(join(cacheDir, hex, "task"))).length, 50);
  });

  void it("gives one folder when 4 processes prepare the same zip at once", async (t) => {
    const { cacheDir, writeZip } = await workspace(t);
    const files = Array.from({ length: 200 }, (_, i) => ({
      name: `d${i % 7}/f${i}.js`,
      body: "x".repeat(i),
    }));
    const zip = await makeZip(files);
    const path = await writeZip("fn.zip", zip);
    const moduleUrl = new URL("./function-artifact.js", import.meta.url).href;
    const script =
      "const { prepareFunctionPackage } = await import(process.argv[1]);" +
      "const r = await prepareFunctionPackage(process.argv[2], { cacheDir: process.argv[3] });" +
      "process.stdout.write(JSON.stringify(r));";
    const outputs = await Promise.all(
      Array.from({ length: 4 }, () =>
        execFileAsync(process.execPath, [
          "--input-type=module",
          "-e",
          script,
          moduleUrl,
          path,
          cacheDir,
        ]),
      ),
    );
    const results = outputs.map(
      (o) => JSON.parse(o.stdout) as { taskRoot: string; extracted: boolean },
    );
    assert.equal(new Set(results.map((r) => r.taskRoot)).size, 1);
    assert.equal(results.filter((r) => r.extracted).length, 1);
    const hex = createHash("sha256").update(zip).digest("hex");
    assert.deepEqual(await cacheListing(cacheDir), [hex]);
    assert.equal((await readdir(join(cacheDir, hex, "task"))).length, 7);
  });

  void it("throws the reason of an already aborted signal and touches nothing", async (t) => {
    const { cacheDir, writeZip } = await workspace(t);
    const path = await writeZip(
      "fn.zip",
      await makeZip([{ name: "a", body: "1" }]),
    );
    const reason = new Error("stop");
    await assert.rejects(
      prepareFunctionPackage(path, {
        cacheDir,
        signal: AbortSignal.abort(reason),
      }),
      (err: unknown) => err === reason,
    );
    await assertCacheEmpty(cacheDir);
  });

  void it("aborts an extraction under way and removes its staging folder", async (t) => {
    const { cacheDir } = await workspace(t);
    const files = Array.from({ length: 3000 }, (_, i) => ({
      name: `m${i % 30}/f${i}.txt`,
      body: `${i}`,
    }));
    const zip = await makeZip(files);
    await mkdir(cacheDir);
    const controller = new AbortController();
    const reason = new Error("deadline");
    // Abort as soon as the staging folder appears: the extraction is then under way.
    const watcher = watch(cacheDir, (_event, name) => {
      if (name?.startsWith(".staging-") === true) controller.abort(reason);
    });
    t.after(() => {
      watcher.close();
    });
    await assert.rejects(
      prepareFunctionPackageFromZipBytes(zip, {
        cacheDir,
        signal: controller.signal,
      }),
      (err: unknown) => err === reason,
    );
    watcher.close();
    await assertCacheEmpty(cacheDir);
  });
});
