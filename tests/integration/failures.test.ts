/**
 * Failures of the Runtime process itself, with tiny `bootstrap` runtimes written for each case and
 * the Rust fixture for memory: init that never ends, a Runtime that exits during init without a
 * report, one that exits mid-Invocation without a reason, and an out-of-memory kill.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { invokeOnce } from "../../src/app/invoke-once.js";
import { THAW_PATHS } from "../../src/config/paths.js";
import { assertNoLeaks, processAlive } from "../support/leaks.js";

let scratch = "";

before(async () => {
  scratch = await mkdtemp(join(tmpdir(), "thaw-failures-"));
});

after(async () => {
  await rm(scratch, { recursive: true, force: true });
  await assertNoLeaks();
});

/** A package whose bootstrap is `script` (a Node.js program). */
async function bootstrapPackage(name: string, script: string): Promise<string> {
  const dir = join(scratch, name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "bootstrap"), `#!${process.execPath}\n${script}\n`);
  await chmod(join(dir, "bootstrap"), 0o755);
  return dir;
}

async function invoke(
  packagePath: string,
  options: {
    timeout?: number;
    memorySize?: number;
    initTimeoutMs?: number;
    payload?: unknown;
  } = {},
) {
  const log: string[] = [];
  const result = await invokeOnce(
    {
      packagePath,
      function: {
        functionName: "failures",
        runtime: "provided.al2023",
        handler: "bootstrap",
        ...(options.timeout === undefined ? {} : { timeout: options.timeout }),
        ...(options.memorySize === undefined
          ? {}
          : { memorySize: options.memorySize }),
      },
      payload: Buffer.from(JSON.stringify(options.payload ?? {})),
    },
    {
      onLog: (line) => log.push(line),
      ...(options.initTimeoutMs === undefined
        ? {}
        : { initTimeoutMs: options.initTimeoutMs }),
    },
  );
  return { result, log };
}

test("an init that never reaches /next times out, is retried under the function timeout, and is killed", async () => {
  const dir = await bootstrapPackage(
    "init-hang",
    `const { spawn } = require("node:child_process"); const c = spawn("/bin/sleep", ["1000"], { stdio: "ignore" }); console.log("child-pid=" + c.pid); setInterval(() => {}, 1000);`,
  );
  const { result, log } = await invoke(dir, { timeout: 1, initTimeoutMs: 300 });
  assert.equal(result.functionError, true);
  assert.equal(result.init.status, "timeout");
  assert.deepEqual(JSON.parse(result.body.toString("utf8")), {
    errorType: "Sandbox.Timedout",
    errorMessage: `RequestId: ${result.requestId} Error: Task timed out after 1.00 seconds`,
  });
  const initReports = log.filter((line) => line.startsWith("INIT_REPORT "));
  assert.match(initReports[0] ?? "", /\tPhase: init\tStatus: timeout$/);
  assert.match(initReports[1] ?? "", /\tPhase: invoke\tStatus: timeout$/);
  assert.match(
    log.find((line) => line.startsWith("REPORT ")) ?? "",
    /\tStatus: timeout$/,
  );
  for (const line of log.filter((l) => l.startsWith("child-pid="))) {
    assert.equal(
      processAlive(Number(line.slice("child-pid=".length))),
      false,
      line,
    );
  }
});

test("a Runtime that exits during init without reporting gives Runtime.ExitError", async () => {
  const dir = await bootstrapPackage(
    "init-exit",
    `console.error("cannot start"); process.exit(2);`,
  );
  const { result, log } = await invoke(dir);
  assert.equal(result.functionError, true);
  assert.deepEqual(JSON.parse(result.body.toString("utf8")), {
    errorType: "Runtime.ExitError",
    errorMessage: `RequestId: ${result.requestId} Error: Runtime exited with error: exit status 2`,
  });
  assert.match(
    log.find((line) => line.startsWith("INIT_REPORT ")) ?? "",
    /\tStatus: error\tError Type: Runtime.ExitError$/,
  );
  assert.ok(log.includes("cannot start"));
});

test("a Runtime that exits cleanly while it owes an answer: 'exited without providing a reason'", async () => {
  const dir = await bootstrapPackage(
    "exit-zero",
    `require("node:http").get("http://" + process.env.AWS_LAMBDA_RUNTIME_API + "/2018-06-01/runtime/invocation/next", (res) => { res.resume(); res.on("end", () => process.exit(0)); });`,
  );
  const { result, log } = await invoke(dir);
  assert.deepEqual(JSON.parse(result.body.toString("utf8")), {
    errorType: "Runtime.ExitError",
    errorMessage: `RequestId: ${result.requestId} Error: Runtime exited without providing a reason`,
  });
  assert.match(
    log.find((line) => line.startsWith("REPORT ")) ?? "",
    /\tStatus: error\tError Type: Runtime.ExitError$/,
  );
});

test("memory over the limit: the kernel kills the Runtime and the caller gets Runtime.OutOfMemory", async () => {
  const { result, log } = await invoke(join(THAW_PATHS.fixtures, "rust"), {
    memorySize: 128,
    payload: { action: "memory", mb: 256 },
  });
  assert.equal(result.functionError, true);
  assert.deepEqual(JSON.parse(result.body.toString("utf8")), {
    errorType: "Runtime.OutOfMemory",
    errorMessage: `RequestId: ${result.requestId} Error: Runtime exited with error: signal: killed`,
  });
  const report = log.find((line) => line.startsWith("REPORT ")) ?? "";
  assert.match(report, /\tMax Memory Used: 128 MB\t/);
  assert.match(report, /\tStatus: error\tError Type: Runtime.OutOfMemory$/);
});
