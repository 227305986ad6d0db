/**
 * thaw's managed Node.js runtime (`runtimes/nodejs/`) against every case of
 * tests/fixtures/functions/node-variants/README.md: each handler string of that folder is one cold
 * Invocation through `invokeOnce`, runtime `nodejs20.x`, and each test asserts what the README
 * promises for it (answer, init failure or Invocation failure, log lines, exit status). The JSON log
 * format, which that README does not cover, is checked against runtimes/nodejs/README.md and the
 * spec (§4.2).
 *
 * `invokeOnce` does not report how a Runtime process ended, nor on which stream a line came, so the
 * sandbox backend is wrapped to record both (tests/support/recorded-invoke.ts).
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { THAW_ROOT } from "../../src/config/paths.js";
import { assertNoLeaks } from "../support/leaks.js";
import {
  invokeRecorded,
  isRecord,
  isStringArray,
  parseJson,
  printed,
  type RecordedRun,
} from "../support/recorded-invoke.js";

const VARIANTS = join(
  THAW_ROOT,
  "tests",
  "fixtures",
  "functions",
  "node-variants",
);

/** The exit status of AWS's Node.js runtime after an init failure or an uncaught exception. */
const UNCAUGHT_EXIT_STATUS = 129;
/** The exit status after an unhandled promise rejection. */
const UNHANDLED_REJECTION_EXIT_STATUS = 128;

after(async () => {
  await assertNoLeaks();
});

// -- running one case ------------------------------------------------------------------------------

async function invoke(
  handler: string,
  event: unknown,
  environment?: Record<string, string>,
): Promise<RecordedRun> {
  return invokeRecorded({
    packagePath: VARIANTS,
    function: {
      functionName: "node-variants",
      runtime: "nodejs20.x",
      handler,
      timeout: 2,
      ...(environment === undefined ? {} : { environment }),
    },
    payload: Buffer.from(JSON.stringify(event)),
  });
}

// -- reading what came back ------------------------------------------------------------------------

interface ErrorDocument {
  readonly errorType: string;
  readonly errorMessage: string;
  readonly trace: readonly string[];
}

/** The runtime's error document: exactly `{"errorType","errorMessage","trace":[stack lines]}`. */
function errorDocument(body: Buffer): ErrorDocument {
  const parsed = parseJson(body.toString("utf8"));
  assert.ok(isRecord(parsed), body.toString("utf8"));
  assert.deepEqual(Object.keys(parsed), ["errorType", "errorMessage", "trace"]);
  const { errorType, errorMessage, trace } = parsed;
  assert.ok(typeof errorType === "string");
  assert.ok(typeof errorMessage === "string");
  assert.ok(isStringArray(trace), "trace is an array of strings");
  for (const line of trace) assert.ok(!line.includes("\n"), line);
  return { errorType, errorMessage, trace };
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

interface TextRecord {
  readonly time: string;
  readonly requestId: string;
  readonly level: string;
  readonly message: string;
}

/** A Text-format console record, `{ISO time}\t{requestId}\t{LEVEL}\t{message}`. */
function textRecord(line: string): TextRecord {
  const match = /^([^\t]+)\t([^\t]+)\t([A-Z]+)\t(.*)$/s.exec(line);
  assert.ok(match !== null, `not a console record: ${JSON.stringify(line)}`);
  const [, time = "", requestId = "", level = "", message = ""] = match;
  assert.match(time, ISO_TIME);
  return { time, requestId, level, message };
}

function assertMessage(actual: string, expected: string | RegExp): void {
  if (typeof expected === "string") assert.equal(actual, expected);
  else assert.match(actual, expected);
}

function stdoutLines(run: RecordedRun): string[] {
  for (const { line, stream } of run.output) {
    assert.equal(stream, "stdout", `on ${stream}: ${JSON.stringify(line)}`);
  }
  return run.output.map(({ line }) => line);
}

// -- handlers that load and answer -----------------------------------------------------------------

interface AnswerCase {
  readonly title: string;
  readonly handler: string;
  readonly event: unknown;
  /** The response body, parsed. */
  readonly body: unknown;
  readonly environment?: Record<string, string>;
  readonly check?: (run: RecordedRun) => void;
}

const ANSWERS: readonly AnswerCase[] = [
  {
    title:
      "callback style waits for the empty event loop (callbackWaitsForEmptyEventLoop defaults to true)",
    handler: "cjs-callback.handler",
    event: {},
    body: { style: "callback", waits: true },
    check: (run) => {
      const { result } = run;
      assert.ok(
        result.phases.invokeMs >= 200,
        `answered after ${String(result.phases.invokeMs)} ms, before the 200 ms timer`,
      );
      assert.ok(
        stdoutLines(run).some((line) => {
          const record = textRecord(line);
          return (
            record.requestId === result.requestId &&
            record.level === "INFO" &&
            record.message === "timer fired"
          );
        }),
        "no 'timer fired' record under this requestId",
      );
    },
  },
  {
    title:
      "callback style with callbackWaitsForEmptyEventLoop = false answers at once",
    handler: "cjs-callback.handler",
    event: { dontWait: true },
    body: { style: "callback", waits: false },
    check: ({ result }) => {
      assert.ok(
        result.phases.invokeMs < 150,
        `answered after ${String(result.phases.invokeMs)} ms: it waited for the timer`,
      );
    },
  },
  {
    title: "a non-async handler's return value is ignored: null",
    handler: "sync-return.handler",
    event: { any: true },
    body: null,
    check: ({ result }) => {
      assert.equal(result.body.toString("utf8"), "null");
    },
  },
  {
    title: "the deprecated context.done(err, result) answers",
    handler: "legacy-done.handler",
    event: {},
    body: { style: "context.done" },
  },
  {
    title: "an ES module (.mjs) gets the event",
    handler: "esm-async.handler",
    event: { a: 1 },
    body: { style: "esm", event: { a: 1 } },
  },
  {
    title: "a CommonJS module with the .cjs extension",
    handler: "cjs-ext.handler",
    event: {},
    body: { style: "cjs-ext" },
  },
  {
    title: "a CommonJS file without extension",
    handler: "extensionless.handler",
    event: {},
    body: { style: "extensionless" },
  },
  {
    title: "a nested export: the property path after the first '.'",
    handler: "nested.api.v1.handler",
    event: {},
    body: { style: "nested" },
  },
  {
    title: 'ESM in a .js file under "type": "module"',
    handler: "type-module/app.handler",
    event: {},
    body: { style: "type-module", esm: true },
  },
  {
    title: "a handler module in a sub-folder",
    handler: "lib/deep/handlers.main",
    event: {},
    body: { style: "subdir" },
  },
  {
    title:
      "console output: one Text record per call on stdout, inner newlines as \\r",
    handler: "logs.handler",
    event: {},
    body: { logged: true },
    check: (run) => {
      const records = stdoutLines(run).map(textRecord);
      assert.deepEqual(
        records.map(({ level }) => level),
        ["INFO", "WARN", "ERROR", "DEBUG"],
        printed(run),
      );
      for (const record of records) {
        assert.equal(record.requestId, run.result.requestId);
      }
      const [info, warn, error, debug] = records;
      assert.equal(info?.message, "info line { n: 1 }");
      assert.equal(warn?.message, "first\rsecond");
      assert.match(
        error?.message ?? "",
        /^Error: logged, not thrown\r {4}at .*logs\.js:\d+:\d+\)/,
      );
      assert.ok(!(error?.message ?? "").includes("\n"));
      assert.equal(debug?.message, "debug line");
    },
  },
  {
    title:
      "console output with AWS_LAMBDA_LOG_FORMAT=JSON: {timestamp, level, requestId, message} per call",
    handler: "logs.handler",
    event: {},
    body: { logged: true },
    environment: { AWS_LAMBDA_LOG_FORMAT: "JSON" },
    check: (run) => {
      const records = stdoutLines(run).map((line) => {
        const record = parseJson(line);
        assert.ok(isRecord(record), line);
        assert.deepEqual(Object.keys(record), [
          "timestamp",
          "level",
          "requestId",
          "message",
        ]);
        assert.match(String(record.timestamp), ISO_TIME);
        assert.equal(record.requestId, run.result.requestId);
        return record;
      });
      assert.deepEqual(
        records.map(({ level }) => level),
        ["INFO", "WARN", "ERROR", "DEBUG"],
        printed(run),
      );
      const [info, warn, error, debug] = records;
      assert.equal(info?.message, "info line { n: 1 }");
      // JSON escapes the newline itself: no \r replacement in this format.
      assert.equal(warn?.message, "first\nsecond");
      // A lone Error argument is serialised as the message object, as AWS's runtime does.
      const serialised = error?.message;
      assert.ok(isRecord(serialised), JSON.stringify(error));
      assert.deepEqual(Object.keys(serialised), [
        "errorType",
        "errorMessage",
        "stackTrace",
      ]);
      assert.equal(serialised.errorType, "Error");
      assert.equal(serialised.errorMessage, "logged, not thrown");
      assert.ok(isStringArray(serialised.stackTrace));
      assert.equal(serialised.stackTrace[0], "Error: logged, not thrown");
      assert.equal(debug?.message, "debug line");
    },
  },
];

for (const answer of ANSWERS) {
  test(`answers: ${answer.handler} ${JSON.stringify(answer.event)}: ${answer.title}`, async () => {
    const run = await invoke(answer.handler, answer.event, answer.environment);
    const { result } = run;
    assert.equal(result.init.status, "success", printed(run));
    assert.equal(result.functionError, false, result.body.toString("utf8"));
    assert.equal(result.errorType, undefined);
    assert.equal(result.invocation?.contentType, "application/json");
    assert.deepEqual(parseJson(result.body.toString("utf8")), answer.body);
    answer.check?.(run);
  });
}

// -- init failures ---------------------------------------------------------------------------------

interface InitFailureCase {
  readonly handler: string;
  readonly errorType: string;
  readonly errorMessage: string | RegExp;
  /** Checks of the JSON in the `Uncaught Exception` log line, beyond errorType and errorMessage. */
  readonly logged?: (logged: Record<string, unknown>) => void;
}

const INIT_FAILURES: readonly InitFailureCase[] = [
  {
    handler: "nested.api.notAFunction",
    errorType: "Runtime.HandlerNotFound",
    errorMessage: "nested.api.notAFunction is not a function",
  },
  {
    handler: "nested.missing",
    errorType: "Runtime.HandlerNotFound",
    errorMessage: "nested.missing is undefined or not exported",
  },
  {
    handler: "syntax-error.handler",
    errorType: "Runtime.UserCodeSyntaxError",
    // nodejs20.x is Node.js 20, whose wording the README gives.
    errorMessage: "SyntaxError: Unexpected token ';'",
  },
  {
    handler: "esm-syntax-error.handler",
    errorType: "Runtime.UserCodeSyntaxError",
    errorMessage: /^SyntaxError: /,
  },
  {
    handler: "missing-dependency.handler",
    errorType: "Runtime.ImportModuleError",
    errorMessage:
      /^Error: Cannot find module 'thaw-fixture-missing-package'\nRequire stack:\n- \/.*\/missing-dependency\.js\n- \/.*\/runtimes\/nodejs\/index\.mjs$/,
  },
  {
    handler: "esm-missing-dependency.handler",
    errorType: "Error",
    errorMessage:
      /^Cannot find package 'thaw-fixture-missing-package' imported from \/.*\/esm-missing-dependency\.mjs$/,
    logged: (logged) => {
      assert.equal(logged.code, "ERR_MODULE_NOT_FOUND");
    },
  },
  {
    handler: "does-not-exist.handler",
    errorType: "Runtime.ImportModuleError",
    errorMessage: /^Error: Cannot find module 'does-not-exist'(\n|$)/,
  },
  {
    handler: "../outside.handler",
    errorType: "Runtime.MalformedHandlerName",
    errorMessage:
      "'../outside.handler' is not a valid handler name. Use absolute paths when specifying root directories in handler names.",
  },
  {
    handler: "index",
    errorType: "Runtime.MalformedHandlerName",
    errorMessage: "Bad handler",
  },
  {
    handler: "init-throw.handler",
    errorType: "TypeError",
    errorMessage: "fixture init failure at module load",
  },
];

/**
 * The error type INIT_REPORT shows for the type a Runtime reported: Lambda keeps only a type shaped
 * `Runtime.X` or `Function.X`; any other (`Error`, `TypeError`…) is `Runtime.Unknown`.
 */
function initReportType(errorType: string): string {
  return /(Runtime|Function)\.[A-Z][a-zA-Z]+/.test(errorType)
    ? errorType
    : "Runtime.Unknown";
}

/** The two INIT_REPORT lines of a failed init and its retry inside the Invocation. */
function assertInitReports(run: RecordedRun, errorType: string): void {
  const reports = run.log.filter(
    ({ line, source }) =>
      source === "platform" && line.startsWith("INIT_REPORT "),
  );
  assert.equal(reports.length, 2, printed(run));
  for (const [index, phase] of ["init", "invoke"].entries()) {
    const [duration, ...fields] = reports[index]?.line.split("\t") ?? [];
    assert.match(duration ?? "", /^INIT_REPORT Init Duration: \d+\.\d{2} ms$/);
    assert.deepEqual(fields, [
      `Phase: ${phase}`,
      "Status: error",
      `Error Type: ${errorType}`,
    ]);
  }
}

for (const failure of INIT_FAILURES) {
  test(`init failure: ${failure.handler} is ${failure.errorType}, reported on /init/error, exit status 129`, async () => {
    const run = await invoke(failure.handler, {});
    const { result } = run;
    const { init } = result;
    assert.ok(init.status === "error", printed(run));
    assert.equal(init.errorType, initReportType(failure.errorType));
    // The Runtime posted /init/error with the header naming the type.
    assert.ok(init.report !== undefined, "no /init/error report");
    assert.equal(init.report.errorType, failure.errorType);
    assert.equal(result.invocation, undefined);
    assert.equal(result.functionError, true);
    assert.equal(result.errorType, initReportType(failure.errorType));

    // The Invoke caller sees the Runtime's own document.
    assert.deepEqual(result.body, init.report.body);
    const document = errorDocument(result.body);
    assert.equal(document.errorType, failure.errorType);
    assertMessage(document.errorMessage, failure.errorMessage);
    assert.ok(document.trace.length > 0, "trace holds the stack");
    assert.ok(
      document.trace[0]?.includes(document.errorMessage.split("\n")[0] ?? ""),
      `trace starts with the error: ${JSON.stringify(document.trace)}`,
    );

    assertInitReports(run, initReportType(failure.errorType));

    // Each attempt logs `{time}\tundefined\tERROR\tUncaught Exception \t{JSON}` on stdout.
    const lines = stdoutLines(run);
    assert.equal(lines.length, 2, printed(run));
    for (const line of lines) {
      const record = textRecord(line);
      assert.equal(record.requestId, "undefined");
      assert.equal(record.level, "ERROR");
      const prefix = "Uncaught Exception \t";
      assert.ok(record.message.startsWith(prefix), record.message);
      const logged = parseJson(record.message.slice(prefix.length));
      assert.ok(isRecord(logged));
      assert.equal(logged.errorType, failure.errorType);
      assert.equal(logged.errorMessage, document.errorMessage);
      failure.logged?.(logged);
    }

    assert.deepEqual(
      run.exits.map(({ code }) => code),
      [UNCAUGHT_EXIT_STATUS, UNCAUGHT_EXIT_STATUS],
    );
  });
}

// -- Invocation failures ---------------------------------------------------------------------------

interface InvocationFailureCase {
  readonly handler: string;
  readonly errorType: string;
  readonly errorMessage: string | RegExp;
  /** The whole trace, where the README gives it. */
  readonly trace?: readonly string[];
  /** The console record the runtime logs for it: `{ISO}\t{requestId}\tERROR\t{label} \t{JSON}`. */
  readonly label: string;
  /** "next": the runtime polls /next again (it was still running at teardown); else its exit status. */
  readonly afterwards: "next" | number;
}

const INVOCATION_FAILURES: readonly InvocationFailureCase[] = [
  {
    handler: "callback-error.handler",
    errorType: "string",
    errorMessage: "plain string failure",
    trace: [],
    label: "Invoke Error",
    afterwards: "next",
  },
  {
    handler: "never-settles.handler",
    errorType: "Runtime.NodeJsExit",
    errorMessage:
      /^The Lambda runtime client detected an unexpected Node\.js exit code\. This is most commonly caused by a Promise that was never settled\. /,
    label: "Invoke Error",
    afterwards: "next",
  },
  {
    handler: "uncaught.handler",
    errorType: "RangeError",
    errorMessage: "fixture uncaught exception",
    label: "Uncaught Exception",
    afterwards: UNCAUGHT_EXIT_STATUS,
  },
  {
    handler: "unhandled-rejection.handler",
    errorType: "Runtime.UnhandledPromiseRejection",
    errorMessage: "Error: fixture unhandled rejection",
    label: "Unhandled Promise Rejection",
    afterwards: UNHANDLED_REJECTION_EXIT_STATUS,
  },
];

for (const failure of INVOCATION_FAILURES) {
  const then =
    failure.afterwards === "next"
      ? "then polls /next again"
      : `then exits with status ${String(failure.afterwards)}`;
  test(`Invocation failure: ${failure.handler} is ${failure.errorType}, ${then}`, async () => {
    const run = await invoke(failure.handler, {});
    const { result } = run;
    assert.equal(result.init.status, "success", printed(run));
    assert.equal(result.functionError, true);
    assert.equal(result.errorType, failure.errorType);

    const document = errorDocument(result.body);
    assert.equal(document.errorType, failure.errorType);
    assertMessage(document.errorMessage, failure.errorMessage);
    if (failure.trace === undefined) {
      assert.ok(document.trace.length > 0, "trace holds the stack");
    } else {
      assert.deepEqual(document.trace, failure.trace);
    }

    const records = stdoutLines(run).map(textRecord);
    const prefix = `${failure.label} \t`;
    assert.ok(
      records.some(
        (record) =>
          record.requestId === result.requestId &&
          record.level === "ERROR" &&
          record.message.startsWith(prefix),
      ),
      `no '${failure.label}' record under this requestId:\n${printed(run)}`,
    );

    assert.equal(run.exits.length, 1);
    const [exit] = run.exits;
    if (failure.afterwards === "next") {
      // Back in /next ends the Invocation normally; the process ran until torn down.
      assert.equal(result.invocation?.status, "success", printed(run));
      assert.equal(exit?.code, null, JSON.stringify(exit));
      assert.notEqual(exit?.signal, null, JSON.stringify(exit));
    } else {
      assert.equal(exit?.code, failure.afterwards, JSON.stringify(exit));
    }
  });
}
