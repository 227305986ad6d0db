/**
 * thaw's managed Python runtime (`runtimes/python/`) against every case of
 * tests/fixtures/functions/python-variants/README.md: each handler string of that folder is one
 * cold Invocation through `invokeOnce`, runtime `python3.11` (all three versions where the README
 * tells them apart), and each test asserts what the README promises for it (response bytes, init
 * failure or Invocation failure, log records, exit status). The JSON log format, which that README
 * does not cover, is checked against runtimes/python/README.md and the spec (§4.2).
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
  "python-variants",
);

/** The Python runtimes whose behaviour the README describes. */
type RuntimeId = "python3.11" | "python3.12" | "python3.13";

/** awslambdaric's `sys.exit(1)` after reporting an init failure. */
const INIT_FAILURE_EXIT_STATUS = 1;

after(async () => {
  await assertNoLeaks();
});

// -- running one case ------------------------------------------------------------------------------

async function invoke(
  handler: string,
  event: unknown,
  options: {
    runtime?: RuntimeId;
    environment?: Record<string, string>;
  } = {},
): Promise<RecordedRun> {
  return invokeRecorded({
    packagePath: VARIANTS,
    function: {
      functionName: "python-variants",
      runtime: options.runtime ?? "python3.11",
      handler,
      timeout: 2,
      ...(options.environment === undefined
        ? {}
        : { environment: options.environment }),
    },
    payload: Buffer.from(JSON.stringify(event)),
  });
}

// -- reading what came back ------------------------------------------------------------------------

interface ErrorDocument {
  readonly errorMessage: string;
  readonly errorType: string;
  readonly requestId: string;
  readonly stackTrace: readonly string[];
}

/** The runtime's error document: exactly `{"errorMessage", "errorType", "requestId", "stackTrace"}`. */
function errorDocument(body: Buffer): ErrorDocument {
  const parsed = parseJson(body.toString("utf8"));
  assert.ok(isRecord(parsed), body.toString("utf8"));
  assert.deepEqual(Object.keys(parsed), [
    "errorMessage",
    "errorType",
    "requestId",
    "stackTrace",
  ]);
  const { errorMessage, errorType, requestId, stackTrace } = parsed;
  assert.ok(typeof errorMessage === "string");
  assert.ok(typeof errorType === "string");
  assert.ok(typeof requestId === "string");
  assert.ok(isStringArray(stackTrace), "stackTrace is an array of strings");
  return { errorMessage, errorType, requestId, stackTrace };
}

/** `{ISO time}Z` as the Lambda handler's formatter writes it, in UTC with milliseconds. */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

interface TextRecord {
  readonly level: string;
  readonly time: string;
  readonly requestId: string;
  readonly message: string;
}

/** A `logging` record in Lambda's Text format, `[LEVEL]\t{ISO time}Z\t{requestId}\t{message}`. */
function textRecord(line: string): TextRecord | undefined {
  const match = /^\[([A-Z]+)\]\t([^\t]+)\t([^\t]*)\t(.*)$/s.exec(line);
  if (match === null) return undefined;
  const [, level = "", time = "", requestId = "", message = ""] = match;
  assert.match(time, ISO_TIME);
  return { level, time, requestId, message };
}

function stdoutLines(run: RecordedRun): string[] {
  for (const { line, stream } of run.output) {
    assert.equal(stream, "stdout", `on ${stream}: ${JSON.stringify(line)}`);
  }
  return run.output.map(({ line }) => line);
}

/** Where a traceback names a fixture file: its absolute path, which ends in the README's `…/name`. */
function fixtureFile(name: string): string {
  return String.raw`/[^"]*/${name.replace(/\./g, "\\.")}`;
}

// -- handlers that load and answer -----------------------------------------------------------------

interface AnswerCase {
  readonly title: string;
  readonly handler: string;
  readonly event: unknown;
  readonly runtime?: RuntimeId;
  readonly environment?: Record<string, string>;
  /** The response body, byte for byte. */
  readonly body: string | Buffer;
  /** @default "application/json" */
  readonly contentType?: string;
  readonly check?: (run: RecordedRun) => void;
}

const ANSWERS: readonly AnswerCase[] = [
  {
    title: "the event comes back with Python's separators",
    handler: "echo.handler",
    event: { a: [1, "x"] },
    body: '{"a": [1, "x"]}',
  },
  {
    title: "'/' in the module path becomes '.'",
    handler: "pkg/mod.handler",
    event: {},
    body: '{"module": "pkg.mod"}',
  },
  {
    title: "the handler string is split at the last '.'",
    handler: "pkg.mod.handler",
    event: {},
    body: '{"module": "pkg.mod"}',
  },
  {
    title: "two package levels down",
    handler: "pkg/sub/deep.handler",
    event: {},
    body: '{"module": "pkg.sub.deep"}',
  },
  {
    title: "bytes pass through unchanged as application/unknown",
    handler: "results.bytes_result",
    event: {},
    body: Buffer.from("raw\x00bytes", "latin1"),
    contentType: "application/unknown",
  },
  {
    title: "Decimal is written as its exact digits",
    handler: "results.decimal_result",
    event: {},
    body: '{"price": 1.10, "big": 12345678901234567890.5}',
  },
  {
    title: "python3.11 escapes non-ASCII (ensure_ascii)",
    handler: "results.unicode_result",
    event: {},
    runtime: "python3.11",
    body: String.raw`{"text": "h\u00e9llo \u2603"}`,
  },
  {
    title: "python3.12 writes UTF-8",
    handler: "results.unicode_result",
    event: {},
    runtime: "python3.12",
    body: '{"text": "h\u00e9llo \u2603"}',
  },
  {
    title: "python3.13 writes UTF-8",
    handler: "results.unicode_result",
    event: {},
    runtime: "python3.13",
    body: '{"text": "h\u00e9llo \u2603"}',
  },
  {
    title:
      "print() as is, logging records in Lambda's Text format, no DEBUG, basicConfig a no-op",
    handler: "logs.handler",
    event: {},
    body: '{"logged": true}',
    check: (run) => {
      const lines = stdoutLines(run);
      assert.equal(lines.length, 4, printed(run));
      assert.equal(lines[0], "print line");
      const records = lines.slice(1).map((line) => {
        const record = textRecord(line);
        assert.ok(record !== undefined, `not a Lambda record: ${line}`);
        assert.equal(record.requestId, run.result.requestId);
        assert.ok(!record.message.includes("\n"), record.message);
        return record;
      });
      assert.deepEqual(
        records.map(({ level }) => level),
        ["INFO", "WARNING", "ERROR"],
      );
      const [info, warning, error] = records;
      assert.equal(info?.message, "info line 1");
      assert.equal(warning?.message, "first\rsecond");
      assert.match(
        error?.message ?? "",
        /^caught\rTraceback \(most recent call last\):\r.*\rValueError: logged, not raised$/s,
      );
    },
  },
  {
    title:
      "logging records with AWS_LAMBDA_LOG_FORMAT=JSON: awslambdaric's JSON object per record",
    handler: "logs.handler",
    event: {},
    environment: { AWS_LAMBDA_LOG_FORMAT: "JSON" },
    body: '{"logged": true}',
    check: (run) => {
      const lines = stdoutLines(run);
      assert.equal(lines.length, 4, printed(run));
      assert.equal(lines[0], "print line");
      const records = lines.slice(1).map((line) => {
        const record = parseJson(line);
        assert.ok(isRecord(record), line);
        assert.match(String(record.timestamp), ISO_TIME);
        assert.equal(record.logger, "root");
        assert.equal(record.requestId, run.result.requestId);
        return record;
      });
      const base = ["level", "logger", "message", "requestId", "timestamp"];
      const [info, warning, error] = records;
      assert.deepEqual(Object.keys(info ?? {}).sort(), base);
      assert.equal(info?.level, "INFO");
      assert.equal(info?.message, "info line 1");
      assert.deepEqual(Object.keys(warning ?? {}).sort(), base);
      assert.equal(warning?.level, "WARNING");
      assert.equal(warning?.message, "first\nsecond");
      assert.deepEqual(
        Object.keys(error ?? {}).sort(),
        [...base, "errorMessage", "errorType", "location", "stackTrace"].sort(),
      );
      assert.equal(error?.level, "ERROR");
      assert.equal(error?.message, "caught");
      assert.equal(error?.errorType, "ValueError");
      assert.equal(error?.errorMessage, "logged, not raised");
      assert.ok(isStringArray(error?.stackTrace));
      assert.match(String(error?.location), /\/logs\.py:handler:\d+$/);
    },
  },
];

for (const answer of ANSWERS) {
  test(`answers: ${answer.handler} (${answer.runtime ?? "python3.11"}): ${answer.title}`, async () => {
    const run = await invoke(answer.handler, answer.event, {
      ...(answer.runtime === undefined ? {} : { runtime: answer.runtime }),
      ...(answer.environment === undefined
        ? {}
        : { environment: answer.environment }),
    });
    const { result } = run;
    assert.equal(result.init.status, "success", printed(run));
    assert.equal(result.functionError, false, result.body.toString("utf8"));
    assert.equal(result.errorType, undefined);
    assert.equal(
      result.invocation?.contentType,
      answer.contentType ?? "application/json",
    );
    assert.deepEqual(result.body, Buffer.from(answer.body));
    answer.check?.(run);
  });
}

// -- init failures ---------------------------------------------------------------------------------

interface InitFailureCase {
  readonly handler: string;
  readonly errorType: string;
  readonly errorMessage: string;
  /** The stack trace's frames, each a string or a pattern for one frame. */
  readonly stackTrace:
    readonly (string | RegExp)[] | ((frames: readonly string[]) => void);
}

const INIT_FAILURES: readonly InitFailureCase[] = [
  {
    handler: "syntax_error.handler",
    errorType: "Runtime.UserCodeSyntaxError",
    errorMessage:
      "Syntax error in module 'syntax_error': '{' was never closed (syntax_error.py, line 5)",
    stackTrace: [
      new RegExp(
        String.raw`^  File "${fixtureFile("syntax_error.py")}" Line 5\n        return \{"broken": \n$`,
      ),
    ],
  },
  {
    handler: "import_error.handler",
    errorType: "Runtime.ImportModuleError",
    errorMessage:
      "Unable to import module 'import_error': No module named 'thaw_fixture_missing_module'",
    stackTrace: [],
  },
  {
    handler: "does_not_exist.handler",
    errorType: "Runtime.ImportModuleError",
    errorMessage:
      "Unable to import module 'does_not_exist': No module named 'does_not_exist'",
    stackTrace: [],
  },
  {
    handler: "echo.missing",
    errorType: "Runtime.HandlerNotFound",
    errorMessage: "Handler 'missing' missing on module 'echo'",
    stackTrace: [],
  },
  {
    handler: "nodot",
    errorType: "Runtime.MalformedHandlerName",
    errorMessage:
      "Bad handler 'nodot': not enough values to unpack (expected 2, got 1)",
    stackTrace: [],
  },
  {
    handler: "sys.handler",
    errorType: "Runtime.BuiltInModuleConflict",
    errorMessage: "Cannot use built-in module sys as a handler module",
    stackTrace: [],
  },
  {
    handler: "init_raise.handler",
    errorType: "RuntimeError",
    errorMessage: "fixture init failure at import",
    stackTrace: (frames) => {
      // importlib's frames first, as on AWS, then the module's own.
      assert.ok(frames.length >= 2, JSON.stringify(frames));
      for (const frame of frames.slice(0, -1)) {
        assert.match(frame, /^ {2}File "[^"]*importlib[^"]*", line \d+, in /);
      }
      assert.match(
        frames.at(-1) ?? "",
        new RegExp(
          String.raw`^  File "${fixtureFile("init_raise.py")}", line 3, in <module>\n    raise RuntimeError\("fixture init failure at import"\)\n$`,
        ),
      );
    },
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

function assertFrames(
  frames: readonly string[],
  expected: InitFailureCase["stackTrace"],
): void {
  if (typeof expected === "function") {
    expected(frames);
    return;
  }
  assert.equal(frames.length, expected.length, JSON.stringify(frames));
  expected.forEach((frame, index) => {
    if (typeof frame === "string") assert.equal(frames[index], frame);
    else assert.match(frames[index] ?? "", frame);
  });
}

for (const failure of INIT_FAILURES) {
  test(`init failure: ${failure.handler} is ${failure.errorType}, reported on /init/error, exit status 1`, async () => {
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
    assert.equal(document.errorMessage, failure.errorMessage);
    assert.equal(document.requestId, "");
    assertFrames(document.stackTrace, failure.stackTrace);

    assertInitReports(run, initReportType(failure.errorType));

    // Each attempt logs the LAMBDA_WARNING record, then the error record, on stdout.
    const lines = stdoutLines(run);
    assert.equal(lines.length, 4, printed(run));
    for (const attempt of [0, 1]) {
      const warning = textRecord(lines[attempt * 2] ?? "");
      assert.ok(warning !== undefined, printed(run));
      assert.equal(warning.level, "WARNING");
      assert.equal(warning.requestId, "");
      assert.ok(
        warning.message.startsWith("LAMBDA_WARNING: Unhandled exception. "),
        warning.message,
      );
      const error = lines[attempt * 2 + 1] ?? "";
      assert.ok(
        error.startsWith(
          `[ERROR] ${failure.errorType}: ${failure.errorMessage}\rTraceback (most recent call last):`,
        ),
        error,
      );
      assert.ok(!error.includes("\n"), error);
    }

    assert.deepEqual(
      run.exits.map(({ code }) => code),
      [INIT_FAILURE_EXIT_STATUS, INIT_FAILURE_EXIT_STATUS],
    );
  });
}

// -- Invocation failures ---------------------------------------------------------------------------

interface InvocationFailureCase {
  readonly handler: string;
  readonly errorType: string;
  readonly errorMessage: string;
  readonly stackTrace: readonly (string | RegExp)[];
  /** The `[ERROR]` record's traceback lines after its first line, indentation as no-break spaces. */
  readonly traceback: readonly (string | RegExp)[];
}

const NBSP = "\u00a0";

const INVOCATION_FAILURES: readonly InvocationFailureCase[] = [
  {
    handler: "results.unserialisable",
    errorType: "Runtime.MarshalError",
    errorMessage:
      "Unable to marshal response: Object of type set is not JSON serializable",
    stackTrace: [],
    traceback: [],
  },
  {
    handler: "results.raises",
    errorType: "KeyError",
    errorMessage: "'missing'",
    stackTrace: [
      new RegExp(
        String.raw`^  File "${fixtureFile("results.py")}", line 26, in raises\n    return \{\}\["missing"\]\n$`,
      ),
    ],
    traceback: [
      new RegExp(
        String.raw`^${NBSP}{2}File "${fixtureFile("results.py")}", line 26, in raises$`,
      ),
      `${NBSP.repeat(4)}return {}["missing"]`,
    ],
  },
];

for (const failure of INVOCATION_FAILURES) {
  test(`Invocation failure: ${failure.handler} is ${failure.errorType}, then the runtime polls /next again`, async () => {
    const run = await invoke(failure.handler, {});
    const { result } = run;
    assert.equal(result.init.status, "success", printed(run));
    assert.equal(result.functionError, true);
    assert.equal(result.errorType, failure.errorType);

    const document = errorDocument(result.body);
    assert.equal(document.errorType, failure.errorType);
    assert.equal(document.errorMessage, failure.errorMessage);
    assert.equal(document.requestId, result.requestId);
    assertFrames(document.stackTrace, failure.stackTrace);

    // One `[ERROR] Type: message\rTraceback (most recent call last):\r…` record on stdout.
    const lines = stdoutLines(run);
    assert.equal(lines.length, 1, printed(run));
    const [first, ...traceback] = (lines[0] ?? "").split("\r");
    assert.equal(
      first,
      `[ERROR] ${failure.errorType}: ${failure.errorMessage}`,
    );
    assert.equal(traceback[0], "Traceback (most recent call last):");
    assertFrames(traceback.slice(1), failure.traceback);

    // Back in /next ends the Invocation normally; the process ran until torn down.
    assert.equal(result.invocation?.status, "success", printed(run));
    assert.equal(run.exits.length, 1);
    const [exit] = run.exits;
    assert.equal(exit?.code, null, JSON.stringify(exit));
    assert.notEqual(exit?.signal, null, JSON.stringify(exit));
  });
}
