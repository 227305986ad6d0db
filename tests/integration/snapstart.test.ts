/**
 * SnapStart end to end, with real Runtimes, real CRIU and the snapshot backend: `invokeOnce` with
 * `snapStart` takes a snapshot of the function after its init (thaw's Python runtime at
 * `/restore/next`, after its before-snapshot hooks; a Rust `lambda_runtime` at its first `/next`),
 * caches it, and answers from a restored clone, with Lambda's lines (INIT_REPORT, RESTORE_START,
 * RESTORE_REPORT, Restore Duration on REPORT). A second call restores from the cache; clones differ
 * in what they must not share; a corrupt snapshot is taken again; a restore that fails (CRIU, or the
 * after-restore hook) falls back to a normal init; many clones of one snapshot run at once.
 * Skipped, with the reason, where snapshots cannot work (not root, no CRIU ≥ 4.2).
 */
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  cpSync,
  mkdtempSync,
  openSync,
  readdirSync,
  rmSync,
  statSync,
  utimesSync,
  writeSync,
  closeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSnapshotBackend } from "../../src/app/backends.js";
import {
  invokeOnce,
  type InvokeOnceResult,
} from "../../src/app/invoke-once.js";
import { THAW_PATHS, THAW_ROOT } from "../../src/config/paths.js";
import type { FunctionConfigInput } from "../../src/config/function-config.js";
import {
  CreateFunctionCommand,
  GetFunctionConfigurationCommand,
  InvokeCommand,
  LambdaClient,
  PublishVersionCommand,
  waitUntilFunctionActiveV2,
  waitUntilPublishedVersionActive,
} from "@aws-sdk/client-lambda";
import { ZipFile } from "yazl";
import { ThawApp } from "../../src/app/create-app.js";
import { assertNoLeaks } from "../support/leaks.js";

const snapshots = await createSnapshotBackend();
const probe = await snapshots.probe();
const skip = probe.available
  ? false
  : `snapshots do not work here: ${probe.notes.join("; ")}`;

const CLONE_FIXTURE = join(
  THAW_ROOT,
  "tests",
  "fixtures",
  "functions",
  "snapstart",
  "clone",
);

interface CloneAnswer {
  init: string;
  random: number;
  netns: number;
  initializationType: string;
  event: unknown;
}

describe("SnapStart (thaw invoke --snapstart)", { skip }, () => {
  let work: string;
  let cacheDir: string;
  let packageDir: string;

  before(() => {
    work = mkdtempSync(join(tmpdir(), "thaw-snapstart-"));
    cacheDir = join(work, "snapshots");
    packageDir = join(work, "clone");
    cpSync(CLONE_FIXTURE, packageDir, { recursive: true });
  });

  after(async () => {
    rmSync(work, { recursive: true, force: true });
    await assertNoLeaks();
  });

  async function invoke(
    fn: Partial<FunctionConfigInput> & { packagePath?: string },
    event: unknown,
  ): Promise<{ result: InvokeOnceResult; lines: string[]; notes: string[] }> {
    const lines: string[] = [];
    const notes: string[] = [];
    const { packagePath, ...config } = fn;
    const result = await invokeOnce(
      {
        packagePath: packagePath ?? packageDir,
        function: {
          functionName: "clone",
          runtime: "python3.12",
          handler: "clone.handler",
          ...config,
        },
        payload: Buffer.from(JSON.stringify(event)),
      },
      {
        onLog: (line) => lines.push(line),
        onNote: (note) => notes.push(note),
        snapStart: true,
        snapshotDir: cacheDir,
        sandbox: { backend: "process" },
      },
    );
    return { result, lines, notes };
  }

  function line(lines: string[], prefix: string): string | undefined {
    return lines.find((entry) => entry.startsWith(prefix));
  }

  test("the first call takes the snapshot at /restore/next and answers from a restored clone", async () => {
    const { result, lines } = await invoke({}, { n: 1 });
    assert.equal(result.functionError, false, result.body.toString());
    const answer = JSON.parse(result.body.toString()) as CloneAnswer;
    assert.deepEqual(answer.event, { n: 1 });
    assert.equal(answer.initializationType, "snap-start");
    assert.match(
      line(lines, "INIT_START") ?? "",
      /^INIT_START Runtime Version: python:3\.12/,
    );
    assert.match(
      line(lines, "INIT_REPORT") ?? "",
      /^INIT_REPORT Init Duration: [\d.]+ ms$/,
    );
    assert.ok(lines.includes("before-snapshot hook ran"), lines.join("\n"));
    assert.ok(lines.includes("after-restore hook ran"), lines.join("\n"));
    // The before-snapshot hook ran in the template, before the snapshot; the after-restore one in
    // the clone, after RESTORE_START.
    assert.ok(
      lines.indexOf("before-snapshot hook ran") <
        lines.findIndex((l) => l.startsWith("RESTORE_START")),
    );
    assert.ok(
      lines.indexOf("after-restore hook ran") >
        lines.findIndex((l) => l.startsWith("RESTORE_START")),
    );
    assert.match(
      line(lines, "RESTORE_REPORT") ?? "",
      /^RESTORE_REPORT Restore Duration: [\d.]+ ms$/,
    );
    const report = line(lines, "REPORT ") ?? "";
    assert.match(
      report,
      /\tRestore Duration: [\d.]+ ms\tBilled Restore Duration: \d+ ms\t/,
    );
    assert.doesNotMatch(report, /Init Duration/);
    assert.equal(readdirSync(cacheDir).length, 1, "one snapshot cached");
  });

  test("the second call restores from the cache: same init, reseeded randomness, another clone", async () => {
    const first = await invoke({}, { n: 2 });
    const second = await invoke({}, { n: 3 });
    for (const { lines } of [first, second]) {
      assert.equal(line(lines, "INIT_START"), undefined, "no init: restored");
      assert.ok(line(lines, "RESTORE_REPORT"));
    }
    const a = JSON.parse(first.result.body.toString()) as CloneAnswer;
    const b = JSON.parse(second.result.body.toString()) as CloneAnswer;
    assert.equal(a.init, b.init, "both are clones of one snapshot");
    assert.notEqual(a.random, b.random, "random was reseeded after restore");
  });

  test("a Rust lambda_runtime function is snapshotted at its first /next", async () => {
    const { result, lines } = await invoke(
      {
        packagePath: join(THAW_PATHS.fixtures, "rust"),
        functionName: "rust",
        runtime: "provided.al2023",
        handler: "bootstrap",
      },
      { rust: true },
    );
    assert.equal(result.body.toString(), '{"rust":true}');
    assert.ok(line(lines, "RESTORE_REPORT"));
    assert.match(line(lines, "REPORT ") ?? "", /Restore Duration/);
  });

  test("Go (aws-lambda-go, which keeps its cgroup's CPU quota file open) and Node.js restore too", async () => {
    for (const fn of [
      {
        packagePath: join(THAW_PATHS.fixtures, "go"),
        functionName: "go",
        runtime: "provided.al2023",
        handler: "bootstrap",
      },
      {
        packagePath: join(THAW_ROOT, "tests", "fixtures", "functions", "node"),
        functionName: "node",
        runtime: "nodejs20.x",
        handler: "index.handler",
      },
    ]) {
      const { result, lines, notes } = await invoke(fn, {
        language: fn.runtime,
      });
      assert.deepEqual(
        notes,
        [],
        `${fn.functionName}: restored without a fallback`,
      );
      assert.deepEqual(JSON.parse(result.body.toString()), {
        language: fn.runtime,
      });
      assert.match(line(lines, "REPORT ") ?? "", /Restore Duration/);
    }
  });

  test("Java: the runtime interface client runs the function's CRaC hooks (org.crac) around the snapshot", async () => {
    const { result, lines, notes } = await invoke(
      {
        packagePath: join(THAW_PATHS.fixtures, "java"),
        functionName: "java",
        runtime: "java17",
        handler: "thaw.fixture.SnapStartHandler::handleRequest",
        memorySize: 512,
      },
      {},
    );
    assert.deepEqual(notes, []);
    assert.deepEqual(JSON.parse(result.body.toString()), {
      restored: true,
      initializationType: "snap-start",
    });
    const restoreStart = lines.findIndex((l) => l.startsWith("RESTORE_START"));
    assert.ok(lines.indexOf("java before-checkpoint hook ran") < restoreStart);
    assert.ok(lines.indexOf("java after-restore hook ran") > restoreStart);
  });

  test("a corrupt snapshot is detected and taken again, never restored", async () => {
    const { result: warm } = await invoke({ memorySize: 256 }, { warm: true });
    assert.equal(warm.functionError, false);
    const key = newestKey(cacheDir);
    const image = join(cacheDir, key, "image");
    const pages = readdirSync(image).find((name) => name.startsWith("pages-"));
    assert.ok(pages !== undefined);
    rmSync(join(image, pages));
    const { result, lines, notes } = await invoke(
      { memorySize: 256 },
      { n: 4 },
    );
    assert.equal(result.functionError, false, result.body.toString());
    assert.ok(
      notes.some((note) =>
        /was corrupt \(its image file pages-.* is missing\): it is taken again/.test(
          note,
        ),
      ),
      notes.join("\n"),
    );
    assert.ok(line(lines, "INIT_START"), "taken again");
    assert.ok(
      statSync(join(image, pages)).size > 0,
      "the new image is complete",
    );
  });

  test("a restore that fails falls back to a normal init, and the snapshot is removed", async () => {
    await invoke({ memorySize: 384 }, { warm: true });
    const key = newestKey(cacheDir);
    // Garble an image file without changing its size or time: only CRIU can tell.
    const image = join(cacheDir, key, "image");
    const core = join(
      image,
      readdirSync(image).find((n) => n.startsWith("core-")) ?? "",
    );
    const { size, atime, mtime } = statSync(core);
    const fd = openSync(core, "r+");
    writeSync(
      fd,
      Buffer.alloc(Math.min(size, 64), 0xff),
      0,
      Math.min(size, 64),
      0,
    );
    closeSync(fd);
    utimesSync(core, atime, mtime);
    const { result, lines, notes } = await invoke(
      { memorySize: 384 },
      { n: 5 },
    );
    assert.equal(result.functionError, false, result.body.toString());
    assert.ok(
      notes.some((note) =>
        /SnapStart restore failed .*falling back to a normal init/.test(note),
      ),
      notes.join("\n"),
    );
    assert.match(line(lines, "RESTORE_REPORT") ?? "", /Status: error/);
    assert.match(
      line(lines, "REPORT ") ?? "",
      /Init Duration/,
      "answered by a normal init",
    );
    assert.deepEqual(
      readdirSync(cacheDir).filter((name) => name === key),
      [],
      "the snapshot was removed",
    );
  });

  test("an after-restore hook that fails: RESTORE_REPORT with Runtime.AfterRestoreError, then a normal init", async () => {
    const { result, lines, notes } = await invoke(
      { environment: { FAIL_AFTER_RESTORE: "1" } },
      { n: 6 },
    );
    assert.match(
      line(lines, "RESTORE_REPORT") ?? "",
      /^RESTORE_REPORT Restore Duration: [\d.]+ ms\tStatus: error\tError Type: Runtime\.AfterRestoreError$/,
    );
    assert.ok(
      notes.some((note) => /Runtime\.AfterRestoreError/.test(note)),
      notes.join("\n"),
    );
    assert.equal(result.functionError, false, result.body.toString());
    const answer = JSON.parse(result.body.toString()) as CloneAnswer;
    assert.equal(answer.initializationType, "on-demand");
  });

  test("many clones of one snapshot run at once, each in namespaces of its own", async () => {
    await invoke({ memorySize: 512 }, { warm: true });
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        invoke({ memorySize: 512 }, { clone: i }),
      ),
    );
    const parsed = answers.map(
      ({ result }) => JSON.parse(result.body.toString()) as CloneAnswer,
    );
    assert.deepEqual(
      parsed.map((answer) => answer.event),
      Array.from({ length: 6 }, (_, i) => ({ clone: i })),
    );
    assert.equal(
      new Set(parsed.map((answer) => answer.init)).size,
      1,
      "one snapshot",
    );
    assert.equal(
      new Set(parsed.map((answer) => answer.netns)).size,
      6,
      "six network namespaces",
    );
    assert.equal(new Set(parsed.map((answer) => answer.random)).size, 6);
  });
});

/** The most recently written snapshot key in `dir`. */
function newestKey(dir: string): string {
  const keys = readdirSync(dir).sort(
    (a, b) => statSync(join(dir, b)).mtimeMs - statSync(join(dir, a)).mtimeMs,
  );
  assert.ok(keys[0] !== undefined);
  return keys[0];
}

describe(
  "SnapStart in thaw serve: PublishVersion with ApplyOn PublishedVersions",
  { skip },
  () => {
    let app: ThawApp;
    let client: LambdaClient;

    before(async () => {
      app = await ThawApp.start({ port: 0, sandbox: { backend: "process" } });
      client = new LambdaClient({
        endpoint: app.url,
        region: "us-east-1",
        credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
        maxAttempts: 1,
      });
    });

    after(async () => {
      client.destroy();
      await app.close();
      await assertNoLeaks();
    });

    /** Creates `name` with SnapStart on published versions, and publishes version 1. */
    async function createAndPublish(name: string, handler: string) {
      const zip = new ZipFile();
      zip.addFile(join(CLONE_FIXTURE, "clone.py"), "clone.py");
      zip.end();
      const chunks: Buffer[] = [];
      for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
      await client.send(
        new CreateFunctionCommand({
          FunctionName: name,
          Runtime: "python3.12",
          Handler: handler,
          Role: "arn:aws:iam::000000000000:role/lambda",
          Code: { ZipFile: Buffer.concat(chunks) },
          SnapStart: { ApplyOn: "PublishedVersions" },
          // Its own memory size: its own snapshot key, apart from the other tests'.
          MemorySize: 320,
        }),
      );
      await waitUntilFunctionActiveV2(
        { client, maxWaitTime: 30 },
        { FunctionName: name },
      );
      return client.send(new PublishVersionCommand({ FunctionName: name }));
    }

    test("PublishVersion takes the snapshot; the version's first call is a restore; $LATEST initialises as usual", async () => {
      const version = await createAndPublish("snappy", "clone.handler");
      assert.equal(version.SnapStart?.OptimizationStatus, "On");
      assert.equal(
        version.State,
        "Pending",
        "Pending while the snapshot is taken",
      );
      await waitUntilPublishedVersionActive(
        { client, maxWaitTime: 60 },
        { FunctionName: "snappy", Qualifier: version.Version },
      );
      const invoke = async (qualifier: string) => {
        const answer = await client.send(
          new InvokeCommand({
            FunctionName: "snappy",
            Qualifier: qualifier,
            LogType: "Tail",
            Payload: Buffer.from('{"q":1}'),
          }),
        );
        return {
          body: JSON.parse(
            Buffer.from(answer.Payload ?? []).toString(),
          ) as CloneAnswer,
          log: Buffer.from(answer.LogResult ?? "", "base64").toString(),
        };
      };
      const published = await invoke(version.Version ?? "1");
      assert.equal(published.body.initializationType, "snap-start");
      assert.doesNotMatch(
        published.log,
        /INIT_START/,
        "the snapshot was taken at publish",
      );
      assert.match(published.log, /RESTORE_REPORT Restore Duration: [\d.]+ ms/);
      assert.match(
        published.log,
        /\tRestore Duration: [\d.]+ ms\tBilled Restore Duration/,
      );
      const latest = await invoke("$LATEST");
      assert.equal(latest.body.initializationType, "on-demand");
      assert.match(latest.log, /\tInit Duration: /);
      assert.doesNotMatch(latest.log, /RESTORE/);
    });

    test("a version whose init fails cannot be optimized: PublishVersion leaves it Failed, with the reason", async () => {
      const version = await createAndPublish("snapfail", "clone.missing");
      let configuration = version;
      const deadline = Date.now() + 30_000;
      while (configuration.State === "Pending") {
        assert.ok(Date.now() < deadline, "the version never settled");
        await new Promise((resolve) => setTimeout(resolve, 50));
        configuration = await client.send(
          new GetFunctionConfigurationCommand({
            FunctionName: "snapfail",
            Qualifier: version.Version,
          }),
        );
      }
      assert.equal(configuration.State, "Failed");
      assert.equal(configuration.StateReasonCode, "FunctionError");
      assert.match(
        configuration.StateReason ?? "",
        /SnapStart could not take the snapshot of version 1: its init failed with Runtime\.HandlerNotFound/,
      );
    });
  },
);
