/**
 * Every failure of spec §1.7 through `thaw serve`'s pools, end to end: the Invoke API server in front
 * of the real ThawService, function registry, scheduler, function invoker and `process` Backend, as
 * `app/create-app.ts` wires them. For each failure the test checks the caller's answer (HTTP status,
 * `X-Amz-Function-Error`, the error document), Lambda's log lines (through `X-Amz-Log-Type: Tail`
 * and the invoker's log sink), and what the next Invocation of the same function runs on: a fresh
 * ExecutionEnvironment (a new log stream, `Init Duration` on its REPORT) after a reset, the same
 * warm one where Lambda keeps the environment (a handler error, an oversized response, a refused
 * post of a Runtime that goes on serving).
 *
 * The ordinary failures use the fixture functions (Rust, Node.js, Python); the misbehaving Runtimes
 * are one small Node.js `bootstrap` that speaks the Runtime API and breaks it as the event asks.
 */
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RUNTIME_DIRS, THAW_PATHS, THAW_ROOT } from "../../src/config/paths.js";
import { FunctionRegistry } from "../../src/control-plane/function-registry.js";
import { InvokeApiServer } from "../../src/invoke-api/server.js";
import { MAX_RESPONSE_PAYLOAD_BYTES } from "../../src/protocol/runtime-api.js";
import { Scheduler } from "../../src/scheduler/scheduler.js";
import { createBackend } from "../../src/app/backends.js";
import { FunctionInvoker } from "../../src/app/function-invoker.js";
import { ThawService } from "../../src/app/thaw-service.js";
import { assertNoLeaks } from "../support/leaks.js";

const RUST = join(THAW_PATHS.fixtures, "rust");
const NODE = join(THAW_ROOT, "tests", "fixtures", "functions", "node");
const PYTHON = join(THAW_ROOT, "tests", "fixtures", "functions", "python");

/** The first init's limit in this suite (Lambda's is 10 s): an init timeout is reached quickly. */
const INIT_TIMEOUT_MS = 2_000;

/**
 * A Runtime written for this suite. It echoes the event, reports its log stream for
 * `{"action":"context"}`, and breaks the protocol as `misbehave` asks; each refused post is printed
 * as `<case>: <status> <body>`. With `THAW_TEST_HANG_INIT=1` it never calls `/next`.
 */
const MISBEHAVING_RUNTIME = `#!${process.execPath}
const { randomUUID } = require("node:crypto");
const api = "http://" + process.env.AWS_LAMBDA_RUNTIME_API + "/2018-06-01/runtime/invocation";
async function post(path, body) {
  const reply = await fetch(api + "/" + path, { method: "POST", body });
  return { status: reply.status, body: await reply.json() };
}
void (async () => {
  if (process.env.THAW_TEST_HANG_INIT === "1") {
    console.log("init never ends");
    setInterval(() => {}, 60000);
    return;
  }
  for (;;) {
    const next = await fetch(api + "/next");
    const id = next.headers.get("lambda-runtime-aws-request-id");
    const event = JSON.parse(await next.text());
    const respond = (value) => post(id + "/response", JSON.stringify(value));
    switch (event.misbehave) {
      case "unknown-id": {
        const refused = await post(randomUUID() + "/response", "{}");
        console.log("unknown-id: " + refused.status + " " + JSON.stringify(refused.body));
        await respond({ refused });
        break;
      }
      case "second-response": {
        await respond({ first: true });
        const refused = await post(id + "/response", JSON.stringify({ second: true }));
        console.log("second-response: " + refused.status + " " + JSON.stringify(refused.body));
        break;
      }
      case "error-after-response": {
        await respond({ answered: true });
        const refused = await post(id + "/error", JSON.stringify({ errorType: "Late", errorMessage: "too late" }));
        console.log("error-after-response: " + refused.status + " " + JSON.stringify(refused.body));
        break;
      }
      case "no-next":
        await respond({ answered: true });
        console.log("no-next: answered, never polling again");
        setInterval(() => {}, 60000);
        return;
      default:
        await respond(event.action === "context" ? { logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME } : event);
    }
  }
})();
`;

/** What a caller of the Invoke API got. */
interface Answer {
  readonly status: number;
  readonly functionError: string | null;
  readonly requestId: string | null;
  readonly body: Buffer;
  /** The decoded `X-Amz-Log-Result`, when Tail was asked for. */
  readonly log: string;
}

describe("failure recovery through thaw serve's pools", () => {
  let work: string;
  let registry: FunctionRegistry;
  let scheduler: Scheduler;
  let invoker: FunctionInvoker;
  let server: InvokeApiServer;
  let misbehaving: string;
  /** Every line the invoker logged, with the function it belongs to. */
  const sink: { functionName: string; line: string }[] = [];

  before(async () => {
    work = await mkdtemp(join(tmpdir(), "thaw-failure-recovery-"));
    misbehaving = join(work, "misbehaving");
    await mkdir(misbehaving);
    await writeFile(join(misbehaving, "bootstrap"), MISBEHAVING_RUNTIME);
    await chmod(join(misbehaving, "bootstrap"), 0o755);
    registry = new FunctionRegistry({ cacheDir: join(work, "cache") });
    scheduler = new Scheduler();
    invoker = new FunctionInvoker({
      registry,
      scheduler,
      backend: await createBackend("process"),
      dirs: RUNTIME_DIRS,
      onLog: (line, _source, config) => {
        sink.push({ functionName: config.functionName, line });
      },
      onNote: () => undefined,
      initTimeoutMs: INIT_TIMEOUT_MS,
    });
    server = await InvokeApiServer.start(new ThawService(registry, invoker), {
      port: 0,
    });
  });

  after(async () => {
    await server.close();
    await invoker.close();
    await scheduler.close();
    await registry.close();
    await rm(work, { recursive: true, force: true });
    await assertNoLeaks();
  });

  async function create(
    name: string,
    codePath: string,
    options: {
      runtime?: string;
      handler?: string;
      timeout?: number;
      memorySize?: number;
      variables?: Record<string, string>;
    } = {},
  ): Promise<void> {
    await registry.createFunction(
      {
        FunctionName: name,
        Runtime: options.runtime ?? "provided.al2023",
        Handler: options.handler ?? "bootstrap",
        Code: {},
        ...(options.timeout === undefined ? {} : { Timeout: options.timeout }),
        ...(options.memorySize === undefined
          ? {}
          : { MemorySize: options.memorySize }),
        Environment: { Variables: options.variables ?? {} },
      },
      { codePath },
    );
    await registry.settled(name);
  }

  /** UpdateFunctionConfiguration over the wire, then wait until the update is done. */
  async function updateVariables(
    name: string,
    variables: Record<string, string>,
  ): Promise<void> {
    const response = await fetch(
      `${server.url}/2015-03-31/functions/${name}/configuration`,
      {
        method: "PUT",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ Environment: { Variables: variables } }),
      },
    );
    assert.equal(response.status, 200, await response.text());
    await registry.settled(name);
  }

  async function invoke(
    name: string,
    event: unknown,
    tail = true,
  ): Promise<Answer> {
    const response = await fetch(
      `${server.url}/2015-03-31/functions/${name}/invocations`,
      {
        method: "POST",
        headers: tail ? { "x-amz-log-type": "Tail" } : {},
        body: JSON.stringify(event),
      },
    );
    const logResult = response.headers.get("x-amz-log-result");
    return {
      status: response.status,
      functionError: response.headers.get("x-amz-function-error"),
      requestId: response.headers.get("x-amzn-requestid"),
      body: Buffer.from(await response.arrayBuffer()),
      log:
        logResult === null
          ? ""
          : Buffer.from(logResult, "base64").toString("utf8"),
    };
  }

  function json(answer: Answer): Record<string, unknown> {
    return JSON.parse(answer.body.toString("utf8")) as Record<string, unknown>;
  }

  /** A function error as Lambda answers it: 200, `X-Amz-Function-Error: Unhandled`. */
  function assertFunctionError(answer: Answer): Record<string, unknown> {
    assert.equal(answer.status, 200);
    assert.equal(answer.functionError, "Unhandled");
    return json(answer);
  }

  /** The REPORT line of `requestId` in a log. */
  function reportOf(log: string, requestId: string | null): string {
    const report = log
      .split("\n")
      .find((line) =>
        line.startsWith(`REPORT RequestId: ${requestId ?? ""}\t`),
      );
    assert.ok(
      report !== undefined,
      `no REPORT for ${String(requestId)} in:\n${log}`,
    );
    return report;
  }

  /** The Duration of a REPORT line, in ms. */
  function durationOf(report: string): number {
    return Number(/\tDuration: (\d+\.\d\d) ms\t/.exec(report)?.[1]);
  }

  /** The sink's lines of one function, as one text. */
  function logged(name: string): string {
    return sink
      .filter((entry) => entry.functionName === name)
      .map((entry) => entry.line)
      .join("\n");
  }

  /** Waits (under a deadline) until `check` holds. */
  async function until(check: () => boolean, what: string): Promise<void> {
    const deadline = Date.now() + 5_000;
    while (!check()) {
      assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /**
   * Waits until the function's Invocations have ended (the caller may have its answer earlier, at
   * `/response`), so that the next call sees what the pool kept.
   */
  async function settledPool(name: string): Promise<void> {
    const key = registry.resolve({
      functionName: name,
      qualifier: undefined,
    }).key;
    await until(() => {
      const counts: Partial<Record<string, number>> =
        invoker.environments().get(key) ?? {};
      return (counts.busy ?? 0) === 0 && (counts.creating ?? 0) === 0;
    }, `the environments of ${name} to be released`);
  }

  /** The log stream of the environment that serves the next call, and whether it was a cold start. */
  async function nextEnvironment(
    name: string,
  ): Promise<{ logStreamName: string; cold: boolean; report: string }> {
    await settledPool(name);
    const answer = await invoke(name, { action: "context" });
    assert.equal(answer.status, 200);
    assert.equal(answer.functionError, null, answer.body.toString());
    const { logStreamName } = json(answer);
    assert.equal(typeof logStreamName, "string");
    const report = reportOf(answer.log, answer.requestId);
    assert.doesNotMatch(report, /Status:/);
    return {
      logStreamName: logStreamName as string,
      cold: /\tInit Duration: \d+\.\d\d ms\t/.test(report),
      report,
    };
  }

  /** The next call runs on a new environment: another log stream, with an Init Duration. */
  async function assertFresh(name: string, before: string): Promise<void> {
    const next = await nextEnvironment(name);
    assert.notEqual(next.logStreamName, before, "a new environment");
    assert.equal(
      next.cold,
      true,
      `Init Duration on the REPORT line: ${next.report}`,
    );
  }

  /** The next call runs on the same, warm environment. */
  async function assertKept(name: string, before: string): Promise<void> {
    const next = await nextEnvironment(name);
    assert.equal(next.logStreamName, before, "the same environment");
    assert.equal(next.cold, false, "no Init Duration on a warm call");
  }

  test("handler error: the Runtime's document verbatim; the environment is kept", async () => {
    await create("handler-error", RUST);
    const { logStreamName } = await nextEnvironment("handler-error");
    const answer = await invoke("handler-error", { action: "error" });
    assert.deepEqual(assertFunctionError(answer), {
      errorType:
        "&alloc::boxed::Box<dyn core::error::Error + core::marker::Send + core::marker::Sync>",
      errorMessage: "fixture handled error",
    });
    // The Runtime's own error: REPORT carries no platform Status (docs/errors.md).
    assert.doesNotMatch(reportOf(answer.log, answer.requestId), /Status:/);
    await assertKept("handler-error", logStreamName);
  });

  test("unhandled exception (Python): reported by the runtime, which goes on serving", async () => {
    await create("python-throw", PYTHON, {
      runtime: "python3.11",
      handler: "app.handler",
    });
    const { logStreamName } = await nextEnvironment("python-throw");
    const answer = await invoke("python-throw", { action: "throw" });
    const document = assertFunctionError(answer);
    assert.equal(document.errorType, "ValueError");
    assert.equal(document.errorMessage, "fixture unhandled error");
    assert.ok(Array.isArray(document.stackTrace));
    assert.doesNotMatch(reportOf(answer.log, answer.requestId), /Status:/);
    await assertKept("python-throw", logStreamName);
  });

  test("unhandled exception (Node.js): the error is posted, the Runtime exits 129, the environment is reset", async () => {
    await create("node-throw", NODE, {
      runtime: "nodejs20.x",
      handler: "index.handler",
    });
    const { logStreamName } = await nextEnvironment("node-throw");
    const answer = await invoke("node-throw", { action: "throw" });
    const document = assertFunctionError(answer);
    assert.equal(document.errorType, "Error");
    assert.equal(document.errorMessage, "fixture unhandled error");
    assert.ok(Array.isArray(document.trace));
    assert.match(
      reportOf(answer.log, answer.requestId),
      /\tStatus: error\tError Type: Runtime\.ExitError$/,
    );
    await assertFresh("node-throw", logStreamName);
  });

  test("crash: Runtime.ExitError with the exit status; the environment is reset", async () => {
    await create("crash", RUST);
    const { logStreamName } = await nextEnvironment("crash");
    const answer = await invoke("crash", { action: "crash", code: 9 });
    assert.deepEqual(assertFunctionError(answer), {
      errorType: "Runtime.ExitError",
      errorMessage: `RequestId: ${answer.requestId ?? ""} Error: Runtime exited with error: exit status 9`,
    });
    assert.match(
      answer.log,
      new RegExp(
        `^RequestId: ${answer.requestId ?? ""} Error: Runtime exited with error: exit status 9\nRuntime\\.ExitError$`,
        "m",
      ),
    );
    assert.match(
      reportOf(answer.log, answer.requestId),
      /\tStatus: error\tError Type: Runtime\.ExitError$/,
    );
    await assertFresh("crash", logStreamName);
  });

  test("out of memory: the kernel kills the Runtime, Runtime.OutOfMemory; the environment is reset", async () => {
    await create("oom", RUST, { memorySize: 128 });
    const { logStreamName } = await nextEnvironment("oom");
    const answer = await invoke("oom", { action: "memory", mb: 256 });
    assert.deepEqual(assertFunctionError(answer), {
      errorType: "Runtime.OutOfMemory",
      errorMessage: `RequestId: ${answer.requestId ?? ""} Error: Runtime exited with error: signal: killed`,
    });
    const report = reportOf(answer.log, answer.requestId);
    assert.match(report, /\tMax Memory Used: 128 MB\t/);
    assert.match(report, /\tStatus: error\tError Type: Runtime\.OutOfMemory$/);
    await assertFresh("oom", logStreamName);
  });

  test("invoke timeout: Sandbox.Timedout after the function's timeout; the environment is reset", async () => {
    await create("invoke-timeout", RUST, { timeout: 1 });
    const { logStreamName } = await nextEnvironment("invoke-timeout");
    const answer = await invoke("invoke-timeout", {
      action: "sleep",
      ms: 5_000,
    });
    assert.deepEqual(assertFunctionError(answer), {
      errorType: "Sandbox.Timedout",
      errorMessage: `RequestId: ${answer.requestId ?? ""} Error: Task timed out after 1.00 seconds`,
    });
    assert.match(
      answer.log,
      new RegExp(
        `^\\d{4}-\\d\\d-\\d\\dT\\S+Z ${answer.requestId ?? ""} Task timed out after 1\\.00 seconds$`,
        "m",
      ),
    );
    const report = reportOf(answer.log, answer.requestId);
    assert.match(report, /\tStatus: timeout$/);
    assert.ok(durationOf(report) >= 1_000, report);
    await assertFresh("invoke-timeout", logStreamName);
  });

  test("oversized response: Function.ResponseSizeTooLarge; the environment is kept", async () => {
    await create("oversize", RUST);
    const { logStreamName } = await nextEnvironment("oversize");
    const fits = await invoke(
      "oversize",
      { action: "size", bytes: MAX_RESPONSE_PAYLOAD_BYTES },
      false,
    );
    assert.equal(fits.status, 200);
    assert.equal(fits.functionError, null);
    assert.equal(fits.body.length, MAX_RESPONSE_PAYLOAD_BYTES);
    await settledPool("oversize");
    const answer = await invoke("oversize", {
      action: "size",
      bytes: MAX_RESPONSE_PAYLOAD_BYTES + 1,
    });
    assert.deepEqual(assertFunctionError(answer), {
      errorMessage:
        "Response payload size exceeded maximum allowed payload size (6291556 bytes).",
      errorType: "Function.ResponseSizeTooLarge",
    });
    assert.match(
      reportOf(answer.log, answer.requestId),
      /\tStatus: error\tError Type: Function\.ResponseSizeTooLarge$/,
    );
    await assertKept("oversize", logStreamName);
  });

  test("init error: the Runtime's /init/error body, twice; an update removing the cause recovers", async () => {
    await create("init-error", NODE, {
      runtime: "nodejs20.x",
      handler: "index.handler",
      variables: { THAW_FIXTURE_FAIL_INIT: "1" },
    });
    const answer = await invoke("init-error", {});
    const document = assertFunctionError(answer);
    assert.equal(document.errorType, "Error");
    assert.equal(document.errorMessage, "fixture init failure");
    const initReports = answer.log
      .split("\n")
      .filter((line) => line.startsWith("INIT_REPORT "));
    assert.equal(initReports.length, 2, answer.log);
    assert.match(
      initReports[0] ?? "",
      /^INIT_REPORT Init Duration: \d+\.\d\d ms\tPhase: init\tStatus: error\tError Type: Runtime\.Unknown$/,
    );
    assert.match(
      initReports[1] ?? "",
      /^INIT_REPORT Init Duration: \d+\.\d\d ms\tPhase: invoke\tStatus: error\tError Type: Runtime\.Unknown$/,
    );
    assert.match(
      reportOf(answer.log, answer.requestId),
      /\tStatus: error\tError Type: Runtime\.Unknown$/,
    );
    // Nothing was fixed: the next call fails the same way, in new environments.
    await settledPool("init-error");
    const again = await invoke("init-error", {});
    assert.equal(
      assertFunctionError(again).errorMessage,
      "fixture init failure",
    );
    await updateVariables("init-error", {});
    await assertFresh("init-error", "");
  });

  test("init timeout: INIT_REPORT Status: timeout twice, Sandbox.Timedout; an update removing the cause recovers", async () => {
    await create("init-timeout", misbehaving, {
      timeout: 1,
      variables: { THAW_TEST_HANG_INIT: "1" },
    });
    const answer = await invoke("init-timeout", {});
    assert.deepEqual(assertFunctionError(answer), {
      errorType: "Sandbox.Timedout",
      errorMessage: `RequestId: ${answer.requestId ?? ""} Error: Task timed out after 1.00 seconds`,
    });
    const initReports = answer.log
      .split("\n")
      .filter((line) => line.startsWith("INIT_REPORT "));
    assert.match(initReports[0] ?? "", /\tPhase: init\tStatus: timeout$/);
    assert.match(initReports[1] ?? "", /\tPhase: invoke\tStatus: timeout$/);
    assert.match(reportOf(answer.log, answer.requestId), /\tStatus: timeout$/);
    await updateVariables("init-timeout", {});
    await assertFresh("init-timeout", "");
  });

  test("a response for an unknown request id: 400 InvalidRequestID to the Runtime, the Invocation stays open", async () => {
    await create("unknown-id", misbehaving);
    const { logStreamName } = await nextEnvironment("unknown-id");
    const answer = await invoke("unknown-id", { misbehave: "unknown-id" });
    assert.equal(answer.status, 200);
    assert.equal(answer.functionError, null);
    const { refused } = json(answer) as {
      refused: { status: number; body: { errorType: string } };
    };
    assert.equal(refused.status, 400);
    assert.equal(refused.body.errorType, "InvalidRequestID");
    assert.doesNotMatch(reportOf(answer.log, answer.requestId), /Status:/);
    await assertKept("unknown-id", logStreamName);
  });

  test("a second response for the same id: the caller keeps the first, the Runtime gets 400 InvalidRequestID", async () => {
    await create("second-response", misbehaving);
    const { logStreamName } = await nextEnvironment("second-response");
    const answer = await invoke("second-response", {
      misbehave: "second-response",
    });
    assert.equal(answer.status, 200);
    assert.equal(answer.functionError, null);
    assert.deepEqual(json(answer), { first: true });
    assert.match(
      answer.log,
      /^second-response: 400 \{"errorType":"InvalidRequestID","errorMessage":"[^"]+"\}$/m,
    );
    assert.doesNotMatch(reportOf(answer.log, answer.requestId), /Status:/);
    await assertKept("second-response", logStreamName);
  });

  test("an error after the response: the caller keeps the response, the Runtime gets 400 InvalidRequestID", async () => {
    await create("error-after-response", misbehaving);
    const { logStreamName } = await nextEnvironment("error-after-response");
    const answer = await invoke("error-after-response", {
      misbehave: "error-after-response",
    });
    assert.equal(answer.status, 200);
    assert.equal(answer.functionError, null);
    assert.deepEqual(json(answer), { answered: true });
    assert.match(
      answer.log,
      /^error-after-response: 400 \{"errorType":"InvalidRequestID","errorMessage":"[^"]+"\}$/m,
    );
    assert.doesNotMatch(reportOf(answer.log, answer.requestId), /Status:/);
    await assertKept("error-after-response", logStreamName);
  });

  test("a Runtime that never comes back to /next: the caller has its answer at once, the Invocation times out at the deadline", async () => {
    await create("no-next", misbehaving, { timeout: 1 });
    const { logStreamName } = await nextEnvironment("no-next");
    const answer = await invoke("no-next", { misbehave: "no-next" }, false);
    // Answered at /response: the Invocation has not ended yet.
    assert.doesNotMatch(
      logged("no-next"),
      new RegExp(`^REPORT RequestId: ${answer.requestId ?? ""}\t`, "m"),
    );
    assert.equal(answer.status, 200);
    assert.equal(answer.functionError, null);
    assert.deepEqual(json(answer), { answered: true });
    // The Invocation itself ends at the deadline: REPORT says timeout, the environment is reset.
    await until(
      () =>
        logged("no-next").includes(
          `REPORT RequestId: ${answer.requestId ?? ""}\t`,
        ),
      "the REPORT line",
    );
    const report = reportOf(logged("no-next"), answer.requestId);
    assert.match(report, /\tStatus: timeout$/);
    assert.ok(durationOf(report) >= 1_000, report);
    assert.doesNotMatch(logged("no-next"), /Task timed out/);
    await assertFresh("no-next", logStreamName);
  });
});
