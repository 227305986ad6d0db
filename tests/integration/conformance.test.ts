/**
 * The conformance suite: the same cases for the fixture function of every language (Rust
 * `lambda_runtime`, Go `aws-lambda-go`, the Java runtime interface client, thaw's Node.js and Python
 * runtimes), each a real cold Invocation through a real Runtime API and a real sandboxed process.
 * The fixtures' behaviour is specified in tests/fixtures/functions/README.md. Every case runs on
 * both sandbox backends: `process` and `namespace` (bubblewrap).
 */
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { createBackend, type BackendName } from "../../src/app/backends.js";
import type { SandboxBackend } from "../../src/sandbox/sandbox.js";
import { FIXTURE_FUNCTIONS, type FixtureFunction } from "../../src/app/demo.js";
import {
  invokeOnce,
  type InvokeOnceResult,
} from "../../src/app/invoke-once.js";
import { MAX_RESPONSE_PAYLOAD_BYTES } from "../../src/protocol/runtime-api.js";
import { assertNoLeaks, processesRunning } from "../support/leaks.js";

interface Run {
  readonly result: InvokeOnceResult;
  readonly log: string[];
}

const BACKENDS: readonly BackendName[] = ["process", "namespace"];

async function run(
  backend: SandboxBackend,
  fixture: FixtureFunction,
  event: unknown,
  config: {
    memorySize?: number;
    timeout?: number;
    environment?: Record<string, string>;
    clientContext?: string;
  } = {},
): Promise<Run> {
  const log: string[] = [];
  const result = await invokeOnce(
    {
      packagePath: fixture.packagePath,
      function: {
        functionName: `conformance-${fixture.language}`,
        runtime: fixture.runtime,
        handler: fixture.handler,
        ...(config.memorySize === undefined
          ? {}
          : { memorySize: config.memorySize }),
        ...(config.timeout === undefined ? {} : { timeout: config.timeout }),
        ...(config.environment === undefined
          ? {}
          : { environment: config.environment }),
      },
      payload: Buffer.from(JSON.stringify(event)),
      ...(config.clientContext === undefined
        ? {}
        : { clientContext: config.clientContext }),
    },
    { onLog: (line) => log.push(line), backend },
  );
  return { result, log };
}

function json(result: InvokeOnceResult): Record<string, unknown> {
  return JSON.parse(result.body.toString("utf8")) as Record<string, unknown>;
}

function reportOf(log: string[]): string {
  const report = log.find((line) => line.startsWith("REPORT "));
  assert.ok(report !== undefined, `no REPORT line in:\n${log.join("\n")}`);
  return report;
}

after(async () => {
  await assertNoLeaks();
});

for (const backendName of BACKENDS) {
  for (const fixture of FIXTURE_FUNCTIONS) {
    describe(`conformance on ${backendName}: ${fixture.language} (${fixture.runtime})`, () => {
      let backend: SandboxBackend;
      before(async () => {
        backend = await createBackend(backendName);
      });

      test("the fixture package exists (built by scripts/setup.sh)", () => {
        assert.ok(
          existsSync(fixture.packagePath),
          `${fixture.packagePath} is missing: run scripts/setup.sh`,
        );
      });

      test("success: the event comes back, with START, END and a measured REPORT", async () => {
        const event = { hello: "world", n: [1, 2, 3], nested: { ok: true } };
        const { result, log } = await run(backend, fixture, event);
        assert.equal(result.functionError, false, result.body.toString());
        assert.deepEqual(json(result), event);
        assert.ok(
          log.some((line) => line.startsWith("INIT_START Runtime Version: ")),
        );
        assert.ok(
          log.includes(`START RequestId: ${result.requestId} Version: $LATEST`),
        );
        assert.ok(log.includes(`END RequestId: ${result.requestId}`));
        const report = reportOf(log);
        assert.match(
          report,
          /^REPORT RequestId: [0-9a-f-]{36}\tDuration: \d+\.\d{2} ms\tBilled Duration: \d+ ms\tMemory Size: 128 MB\tMax Memory Used: \d+ MB\tInit Duration: \d+\.\d{2} ms\t$/,
        );
        const used = Number(/Max Memory Used: (\d+) MB/.exec(report)?.[1]);
        assert.ok(
          used > 0 && used <= 128,
          `Max Memory Used ${used} MB must be measured, within the limit`,
        );
      });

      test("a response just under the limit is delivered whole", async () => {
        const bytes = MAX_RESPONSE_PAYLOAD_BYTES - 1024;
        const { result } = await run(
          backend,
          fixture,
          { action: "size", bytes },
          { memorySize: 512 },
        );
        assert.equal(
          result.functionError,
          false,
          result.body.subarray(0, 300).toString(),
        );
        assert.equal(result.body.length, bytes);
      });

      test("a response over the limit is Function.ResponseSizeTooLarge", async () => {
        const { result, log } = await run(
          backend,
          fixture,
          { action: "size", bytes: MAX_RESPONSE_PAYLOAD_BYTES + 1 },
          { memorySize: 512 },
        );
        assert.equal(result.functionError, true);
        assert.deepEqual(json(result), {
          errorType: "Function.ResponseSizeTooLarge",
          errorMessage:
            "Response payload size exceeded maximum allowed payload size (6291556 bytes).",
        });
        // Our runtimes go on polling after the 413; the Rust, Go and Java clients exit on it.
        assert.match(
          reportOf(log),
          /Status: error\tError Type: (Function.ResponseSizeTooLarge|Runtime.ExitError)$/,
        );
      });

      test("handled error: the runtime's error document, verbatim", async () => {
        const { result } = await run(backend, fixture, { action: "error" });
        assert.equal(result.functionError, true);
        const document = json(result);
        assert.equal(document.errorMessage, "fixture handled error");
        assert.equal(typeof document.errorType, "string");
      });

      test("unhandled exception: a function error naming it, or Runtime.ExitError where the runtime dies", async () => {
        const { result, log } = await run(backend, fixture, {
          action: "throw",
        });
        assert.equal(result.functionError, true);
        const document = json(result);
        const text = JSON.stringify(document);
        assert.ok(
          text.includes("fixture unhandled error") ||
            document.errorType === "Runtime.ExitError",
          `unexpected document ${text}`,
        );
        assert.ok(log.some((line) => line.startsWith("REPORT ")));
      });

      test("init failure: INIT_REPORT with Status: error, and the caller gets a function error", async () => {
        const { result, log } = await run(
          backend,
          fixture,
          {},
          { environment: { THAW_FIXTURE_FAIL_INIT: "1" } },
        );
        assert.equal(result.functionError, true);
        assert.equal(result.init.status, "error");
        const initReports = log.filter((line) =>
          line.startsWith("INIT_REPORT "),
        );
        assert.equal(initReports.length, 2, log.join("\n"));
        assert.match(
          initReports[0] ?? "",
          /^INIT_REPORT Init Duration: \d+\.\d{2} ms\tPhase: init\tStatus: error\tError Type: \S+$/,
        );
        assert.match(initReports[1] ?? "", /\tPhase: invoke\tStatus: error\t/);
        assert.match(reportOf(log), /\tStatus: error\tError Type: \S+$/);
        const text = result.body.toString("utf8");
        assert.ok(
          text.includes("fixture init failure") ||
            text.includes("Runtime.ExitError"),
          text,
        );
      });

      test("crash mid-invoke: Runtime.ExitError with the exit status", async () => {
        const { result, log } = await run(backend, fixture, {
          action: "crash",
          code: 3,
        });
        assert.equal(result.functionError, true);
        assert.deepEqual(json(result), {
          errorType: "Runtime.ExitError",
          errorMessage: `RequestId: ${result.requestId} Error: Runtime exited with error: exit status 3`,
        });
        assert.match(
          reportOf(log),
          /\tStatus: error\tError Type: Runtime.ExitError$/,
        );
      });

      test("timeout: Sandbox.Timedout, and the whole process tree is killed", async () => {
        const { result, log } = await run(
          backend,
          fixture,
          { action: "sleep", ms: 10_000, spawnChild: true },
          { timeout: 1 },
        );
        assert.equal(result.functionError, true);
        assert.deepEqual(json(result), {
          errorType: "Sandbox.Timedout",
          errorMessage: `RequestId: ${result.requestId} Error: Task timed out after 1.00 seconds`,
        });
        assert.ok(
          log.some((line) =>
            line.endsWith(
              `${result.requestId} Task timed out after 1.00 seconds`,
            ),
          ),
        );
        assert.match(reportOf(log), /\tStatus: timeout$/);
        const childLine = log.find((line) => line.includes("child-pid="));
        assert.ok(
          childLine !== undefined,
          `the fixture did not report its child:\n${log.join("\n")}`,
        );
        // The pid it printed is its own namespace's on the namespace backend: look for the
        // process itself.
        assert.deepEqual(
          processesRunning("/bin/sleep 1000"),
          [],
          "the child survived the timeout",
        );
      });

      test("context: the handler sees Lambda's context and environment", async () => {
        const before = Date.now();
        // The mobile SDKs' wire shape, which every client parses (Rust insists on every client field).
        const clientContext = JSON.stringify({
          client: {
            installation_id: "i1",
            app_title: "a",
            app_version_name: "1",
            app_version_code: "1",
            app_package_name: "p",
          },
          custom: { tenant: "t1" },
          env: { platform: "test" },
        });
        const { result } = await run(
          backend,
          fixture,
          { action: "context" },
          {
            memorySize: 256,
            timeout: 7,
            environment: { THAW_FIXTURE_VAR: "custom value" },
            clientContext,
          },
        );
        assert.equal(result.functionError, false, result.body.toString());
        const context = json(result);
        const name = `conformance-${fixture.language}`;
        assert.equal(context.requestId, result.requestId);
        assert.equal(
          context.invokedFunctionArn,
          `arn:aws:lambda:us-east-1:000000000000:function:${name}`,
        );
        assert.equal(context.functionName, name);
        assert.equal(context.functionVersion, "$LATEST");
        assert.equal(Number(context.memoryLimitInMB), 256);
        assert.equal(context.logGroupName, `/aws/lambda/${name}`);
        assert.match(
          String(context.logStreamName),
          /^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/,
        );
        const deadline = Number(context.deadlineMs);
        assert.ok(
          deadline >= before + 6_000 && deadline <= Date.now() + 7_000,
          `deadline ${deadline}`,
        );
        const remaining = Number(context.remainingTimeMs);
        assert.ok(
          remaining > 0 && remaining <= 7_000,
          `remaining ${remaining}`,
        );
        assert.ok(
          context.clientContext !== null,
          "client context reached the handler",
        );
        assert.match(JSON.stringify(context.clientContext), /t1/);
        const env = context.env as Record<string, unknown>;
        assert.equal(env.AWS_LAMBDA_FUNCTION_NAME, name);
        assert.equal(env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE, "256");
        assert.equal(env.AWS_LAMBDA_FUNCTION_VERSION, "$LATEST");
        assert.equal(env.AWS_REGION, "us-east-1");
        assert.equal(env._HANDLER, fixture.handler);
        assert.equal(env.TZ, ":UTC");
        assert.equal(env.THAW_FIXTURE_VAR, "custom value");
        assert.equal(env.LAMBDA_TASK_ROOT, context.cwd);
        if (backendName === "namespace") assert.equal(context.cwd, "/var/task");
        assert.match(String(env.AWS_LAMBDA_RUNTIME_API), /^127\.0\.0\.1:\d+$/);
        assert.equal(
          env.AWS_EXECUTION_ENV,
          fixture.runtime.startsWith("provided")
            ? null
            : `AWS_Lambda_${fixture.runtime}`,
        );
      });

      test("memory: Max Memory Used is measured, not echoed", async () => {
        const { result, log } = await run(
          backend,
          fixture,
          { action: "memory", mb: 64 },
          { memorySize: 512 },
        );
        assert.equal(result.functionError, false, result.body.toString());
        const used = Number(
          /Max Memory Used: (\d+) MB/.exec(reportOf(log))?.[1],
        );
        assert.ok(
          used >= 64 && used < 512,
          `Max Memory Used ${used} MB after allocating 64 MiB`,
        );
      });
    });
  }
}
