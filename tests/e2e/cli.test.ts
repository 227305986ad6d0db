/**
 * The built `thaw` command, spawned as a user runs it: exit statuses, stdout and stderr, packages
 * as folders and zips, bad input of every kind, and the runtime versions it maps to.
 */
import { describe, test, after, before } from "node:test";
import assert from "node:assert/strict";
import {
  chmod,
  copyFile,
  mkdir,
  mkdtemp,
  rm,
  writeFile,
} from "node:fs/promises";
import { createWriteStream } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ZipFile } from "yazl";
import { THAW_PATHS, THAW_ROOT } from "../../src/config/paths.js";
import { assertNoLeaks } from "../support/leaks.js";
import { runThaw } from "../support/run-thaw.js";

const RUST = join(THAW_PATHS.fixtures, "rust");
const NODE_FIXTURE = join(THAW_ROOT, "tests", "fixtures", "functions", "node");
const PYTHON_FIXTURE = join(
  THAW_ROOT,
  "tests",
  "fixtures",
  "functions",
  "python",
);

function zip(
  path: string,
  entries: { name: string; data: Buffer | string; mode?: number }[],
): Promise<void> {
  return new Promise((resolve, reject) => {
    const archive = new ZipFile();
    for (const entry of entries) {
      archive.addBuffer(Buffer.from(entry.data), entry.name, {
        mode: entry.mode ?? 0o100644,
      });
    }
    archive.end();
    archive.outputStream
      .pipe(createWriteStream(path))
      .on("close", resolve)
      .on("error", reject);
  });
}

let scratch = "";

before(async () => {
  scratch = await mkdtemp(join(tmpdir(), "thaw-cli-test-"));
});

after(async () => {
  await rm(scratch, { recursive: true, force: true });
  await assertNoLeaks();
});

describe("thaw invoke", () => {
  test("success: the response on stdout, Lambda's lines on stderr, exit 0", async () => {
    const run = await runThaw([
      "invoke",
      RUST,
      "--runtime",
      "provided.al2023",
      "--event",
      '{"a":1}',
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, '{"a":1}\n');
    assert.match(
      run.stderr,
      /^INIT_START Runtime Version: provided:al2023\tRuntime Version ARN: arn:aws:lambda:us-east-1::runtime:/m,
    );
    assert.match(
      run.stderr,
      /^START RequestId: [0-9a-f-]{36} Version: \$LATEST$/m,
    );
    assert.match(run.stderr, /^END RequestId: [0-9a-f-]{36}$/m);
    assert.match(
      run.stderr,
      /^REPORT RequestId: [0-9a-f-]{36}\tDuration: [\d.]+ ms\tBilled Duration: \d+ ms\tMemory Size: 128 MB\tMax Memory Used: \d+ MB\tInit Duration: [\d.]+ ms\t$/m,
    );
  });

  test("a function error prints the error document and exits 1", async () => {
    const run = await runThaw([
      "invoke",
      RUST,
      "--runtime",
      "provided.al2023",
      "--event",
      '{"action":"error"}',
    ]);
    assert.equal(run.code, 1);
    assert.equal(
      (JSON.parse(run.stdout) as { errorMessage: string }).errorMessage,
      "fixture handled error",
    );
  });

  test("a bootstrap that cannot be executed is Runtime.InvalidEntrypoint, exit 1", async () => {
    const dir = join(scratch, "bad-interpreter");
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "bootstrap"), "#!/nonexistent/interpreter\n");
    await chmod(join(dir, "bootstrap"), 0o755);
    const run = await runThaw(["invoke", dir, "--runtime", "provided.al2023"]);
    assert.equal(run.code, 1, run.stderr);
    const document = JSON.parse(run.stdout) as {
      errorType: string;
      errorMessage: string;
    };
    assert.equal(document.errorType, "Runtime.InvalidEntrypoint");
    assert.match(document.errorMessage, /^RequestId: \S+ Error: /);
    assert.match(
      run.stderr,
      /INIT_REPORT .*Status: error\tError Type: Runtime\.InvalidEntrypoint/,
    );
    assert.match(run.stderr, /REPORT RequestId: .*Status: error/);
  });

  test("--event - reads stdin, and @file reads a file", async () => {
    const fromStdin = await runThaw(
      ["invoke", RUST, "--runtime", "provided.al2023", "--event", "-"],
      '{"from":"stdin"}',
    );
    assert.equal(fromStdin.stdout, '{"from":"stdin"}\n');
    const file = join(scratch, "event.json");
    await writeFile(file, '{"from":"file"}');
    const fromFile = await runThaw([
      "invoke",
      RUST,
      "--runtime",
      "provided.al2023",
      "--event",
      `@${file}`,
    ]);
    assert.equal(fromFile.stdout, '{"from":"file"}\n');
  });

  test("--phases breaks the cold start down", async () => {
    const run = await runThaw([
      "invoke",
      RUST,
      "--runtime",
      "provided.al2023",
      "--phases",
    ]);
    assert.equal(run.code, 0);
    for (const phase of [
      "node start-up (this CLI)",
      "package preparation",
      "sandbox creation",
      "process start until first /next",
      "invoke",
    ]) {
      assert.match(
        run.stderr,
        new RegExp(
          `^  ${phase.replace(/[()/]/g, "\\$&")}.* +\\d+\\.\\d{2} ms$`,
          "m",
        ),
      );
    }
  });

  test("--env and --memory reach the function; --name names it", async () => {
    const run = await runThaw([
      "invoke",
      PYTHON_FIXTURE,
      "--runtime",
      "python3.11",
      "--handler",
      "app.handler",
      "--name",
      "my-fn",
      "--memory",
      "256",
      "--env",
      "THAW_FIXTURE_VAR=a=b",
      "--event",
      '{"action":"context"}',
    ]);
    assert.equal(run.code, 0, run.stderr);
    const context = JSON.parse(run.stdout) as {
      functionName: string;
      memoryLimitInMB: number;
      env: Record<string, unknown>;
    };
    assert.equal(context.functionName, "my-fn");
    assert.equal(context.memoryLimitInMB, 256);
    assert.equal(context.env.THAW_FIXTURE_VAR, "a=b");
  });

  test("a zip package is extracted and runs, its exec bit kept", async () => {
    const bootstrap = await import("node:fs/promises").then((fs) =>
      fs.readFile(join(RUST, "bootstrap")),
    );
    const path = join(scratch, "rust.zip");
    await zip(path, [{ name: "bootstrap", data: bootstrap, mode: 0o100755 }]);
    const run = await runThaw([
      "invoke",
      path,
      "--runtime",
      "provided.al2",
      "--event",
      '{"zip":true}',
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, '{"zip":true}\n');
  });
});

describe("thaw invoke refuses bad input with exit 2 and a message saying what to do", () => {
  const cases: {
    name: string;
    args: () => Promise<string[]>;
    message: RegExp;
  }[] = [
    {
      name: "an unknown runtime",
      args: () => Promise.resolve(["invoke", RUST, "--runtime", "cobol1.x"]),
      message: /runtime.*Member must satisfy enum value set/,
    },
    {
      name: "a managed runtime without --handler",
      args: () =>
        Promise.resolve(["invoke", NODE_FIXTURE, "--runtime", "nodejs20.x"]),
      message: /--handler is required for nodejs20\.x/,
    },
    {
      name: "an event that is not JSON",
      args: () =>
        Promise.resolve([
          "invoke",
          RUST,
          "--runtime",
          "provided.al2023",
          "--event",
          "{nope",
        ]),
      message: /Could not parse the event into JSON/,
    },
    {
      name: "memory out of range",
      args: () =>
        Promise.resolve([
          "invoke",
          RUST,
          "--runtime",
          "provided.al2023",
          "--memory",
          "64",
        ]),
      message: /Value '64' at 'memorySize' failed to satisfy constraint/,
    },
    {
      name: "a timeout that is not a number",
      args: () =>
        Promise.resolve([
          "invoke",
          RUST,
          "--runtime",
          "provided.al2023",
          "--timeout",
          "soon",
        ]),
      message: /'soon' is not a whole number/,
    },
    {
      name: "a reserved environment variable",
      args: () =>
        Promise.resolve([
          "invoke",
          RUST,
          "--runtime",
          "provided.al2023",
          "--env",
          "AWS_REGION=x",
        ]),
      message: /Reserved keys used in this request: AWS_REGION/,
    },
    {
      name: "a package that does not exist",
      args: () =>
        Promise.resolve([
          "invoke",
          join(scratch, "nothing-here"),
          "--runtime",
          "provided.al2023",
        ]),
      message: /InvalidPackageError: .*nothing-here/,
    },
    {
      name: "a corrupt zip",
      args: async () => {
        const path = join(scratch, "corrupt.zip");
        await writeFile(
          path,
          Buffer.concat([Buffer.from("PK\u0003\u0004"), Buffer.alloc(64, 7)]),
        );
        return ["invoke", path, "--runtime", "provided.al2023"];
      },
      message: /InvalidPackageError: .*corrupt\.zip/,
    },
    {
      name: "a zip entry escaping the package (zip-slip)",
      args: async () => {
        const path = join(scratch, "slip.zip");
        await zip(path, [{ name: "bootstrap", data: "x", mode: 0o100755 }]);
        const bytes = await import("node:fs/promises").then((fs) =>
          fs.readFile(path),
        );
        // Rename the entry in place to "../strap" (same length) in both headers.
        const patched = Buffer.from(
          bytes.toString("latin1").replaceAll("bootstrap", "../bstrap"),
          "latin1",
        );
        await writeFile(path, patched);
        return ["invoke", path, "--runtime", "provided.al2023"];
      },
      message: /InvalidPackageError: .*\.\.\/bstrap/,
    },
    {
      name: "a package without bootstrap",
      args: async () => {
        const dir = join(scratch, "no-bootstrap");
        await mkdir(dir, { recursive: true });
        await writeFile(join(dir, "main"), "#!/bin/sh\n");
        return ["invoke", dir, "--runtime", "provided.al2023"];
      },
      message: /no file named 'bootstrap'/,
    },
    {
      name: "a bootstrap that is not executable",
      args: async () => {
        const dir = join(scratch, "not-executable");
        await mkdir(dir, { recursive: true });
        await copyFile(join(RUST, "bootstrap"), join(dir, "bootstrap"));
        await chmod(join(dir, "bootstrap"), 0o644);
        return ["invoke", dir, "--runtime", "provided.al2023"];
      },
      message: /is not executable.*chmod 755 bootstrap/,
    },
  ];
  for (const { name, args, message } of cases) {
    test(name, async () => {
      const run = await runThaw(await args());
      assert.equal(run.code, 2, `${run.stdout}\n${run.stderr}`);
      assert.match(run.stderr, message);
      assert.equal(run.stdout, "");
    });
  }
});

describe("runtime versions map to real interpreters", () => {
  test("nodejs22.x and nodejs24.x run the Node.js the set-up installed", async () => {
    for (const major of ["22", "24"]) {
      const run = await runThaw([
        "invoke",
        NODE_FIXTURE,
        "--runtime",
        `nodejs${major}.x`,
        "--handler",
        "index.handler",
      ]);
      assert.equal(run.code, 0, run.stderr);
      assert.match(
        run.stderr,
        new RegExp(
          `^INIT_START Runtime Version: nodejs:${major}\\.v${major}\\.`,
          "m",
        ),
      );
      assert.doesNotMatch(run.stderr, /thaw: note:/);
    }
  });

  test("python3.12 and python3.13 run those interpreters, never a shim", async () => {
    for (const minor of ["3.12", "3.13"]) {
      const run = await runThaw([
        "invoke",
        PYTHON_FIXTURE,
        "--runtime",
        `python${minor}`,
        "--handler",
        "app.handler",
      ]);
      assert.equal(run.code, 0, run.stderr);
      const version =
        /^INIT_START Runtime Version: python:(\S+)\.v(\S+)\t/m.exec(run.stderr);
      assert.ok(version !== null, run.stderr);
      // Either the exact interpreter, or a note naming the one that ran instead.
      if (!version[2]?.startsWith(minor))
        assert.match(
          run.stderr,
          new RegExp(
            `thaw: note: python${minor}: python ${minor} is not installed here`,
          ),
        );
    }
  });

  test("java21 runs on the nearest JDK and says which when 21 is absent", async () => {
    const run = await runThaw([
      "invoke",
      join(THAW_PATHS.fixtures, "java"),
      "--runtime",
      "java21",
      "--handler",
      "thaw.fixture.Handler::handleRequest",
      "--event",
      '{"java":21}',
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, '{"java":21}\n');
    const version =
      /^INIT_START Runtime Version: java:21\.v(\S+)\t/m.exec(run.stderr)?.[1] ??
      "";
    if (!version.startsWith("21"))
      assert.match(
        run.stderr,
        /thaw: note: java21: java 21 is not installed here; running java /,
      );
  });
});
