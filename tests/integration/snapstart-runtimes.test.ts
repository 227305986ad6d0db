/**
 * SnapStart in thaw's managed Python and Node.js runtimes (spec §1.8; runtimes/python/README.md
 * and runtimes/nodejs/README.md, "SnapStart"): each test starts the real Runtime process, with the
 * environment `lambdaEnvironment()` gives a SnapStart environment, against a small fake Runtime
 * API served here on port 0 that records every call in order. The fake answers
 * `GET /restore/next` at once, as if the Snapshot had been taken and this process were the
 * restored clone, so what is checked is the Runtime's side of the flow: hook order around
 * `restore/next`, error reports and exit statuses, reseeding. The fixtures are
 * tests/fixtures/functions/snapstart/ (see its README.md).
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { EventEmitter, once } from "node:events";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createFunctionConfig } from "../../src/config/function-config.js";
import { RUNTIME_DIRS, THAW_PATHS, THAW_ROOT } from "../../src/config/paths.js";
import {
  lambdaEnvironment,
  newLogStreamName,
  type InitializationType,
} from "../../src/runtimes/lambda-environment.js";
import { resolveRuntime } from "../../src/runtimes/resolve-runtime.js";
import { assertNoLeaks } from "../support/leaks.js";

const FIXTURES = join(THAW_ROOT, "tests", "fixtures", "functions", "snapstart");

/** How long one case may take, start to exit. */
const CASE_DEADLINE_MS = 15_000;

/** awslambdaric's `sys.exit(64)`: a before-snapshot hook or `restore/next` failed. */
const BEFORE_SNAPSHOT_EXIT_STATUS = 64;
/** awslambdaric's `sys.exit(65)`: an after-restore hook failed. */
const AFTER_RESTORE_EXIT_STATUS = 65;

const PREFIX = "/2018-06-01/runtime";
const REQUEST_ID = "8476a536-e9f4-11e8-9739-2dfe598c3fcd";

after(async () => {
  await assertNoLeaks();
});

// -- the fake Runtime API ----------------------------------------------------------------------------

/** One request the Runtime made, in arrival order. */
interface RecordedCall {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage["headers"];
  readonly body: string;
}

/** Options of {@link FakeRuntimeApi}. */
interface FakeRuntimeApiOptions {
  /**
   * The status of every `GET /restore/next` answer.
   * @default 200
   */
  readonly restoreStatus?: number;
  /** Called when `GET /restore/next` arrives, before it is answered. */
  readonly onRestoreNext?: () => void;
  /** Called when the first `GET /invocation/next` arrives, before it is answered. */
  readonly onFirstNext?: () => void;
}

/**
 * A Runtime API that records each call, answers `restore/next` at once, gives one Invocation on
 * the first `/invocation/next` and holds every later one open (the Runtime is then idle in its
 * loop), and accepts every post with `202`.
 */
class FakeRuntimeApi {
  readonly calls: RecordedCall[] = [];
  readonly #events = new EventEmitter();
  readonly #server: Server;
  readonly #options: FakeRuntimeApiOptions;
  #nexts = 0;

  private constructor(server: Server, options: FakeRuntimeApiOptions) {
    this.#server = server;
    this.#options = options;
  }

  static async start(
    options: FakeRuntimeApiOptions = {},
  ): Promise<FakeRuntimeApi> {
    const server = createServer();
    const api = new FakeRuntimeApi(server, options);
    server.on("request", (req, res) => {
      api.#receive(req, res);
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    return api;
  }

  /** `host:port`, the value of `AWS_LAMBDA_RUNTIME_API`. */
  get address(): string {
    const { port } = this.#server.address() as AddressInfo;
    return `127.0.0.1:${String(port)}`;
  }

  /** The calls as `METHOD /path` after `/2018-06-01/runtime`, the request id as `{id}`. */
  get sequence(): string[] {
    return this.calls.map(
      (call) =>
        `${call.method} ${call.path.slice(PREFIX.length).replace(REQUEST_ID, "{id}")}`,
    );
  }

  /** Resolves once `count` calls have been recorded. */
  async waitForCalls(count: number, signal: AbortSignal): Promise<void> {
    while (this.calls.length < count) {
      await once(this.#events, "call", { signal });
    }
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    const closed = once(this.#server, "close");
    this.#server.close();
    await closed;
  }

  #receive(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const path = req.url ?? "";
      this.calls.push({
        method: req.method ?? "",
        path,
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      });
      this.#answer(req.method ?? "", path, res);
      this.#events.emit("call");
    });
  }

  #answer(method: string, path: string, res: ServerResponse): void {
    const route = `${method} ${path.slice(PREFIX.length)}`;
    if (route === "GET /restore/next") {
      this.#options.onRestoreNext?.();
      const status = this.#options.restoreStatus ?? 200;
      if (status === 200) {
        res.writeHead(200, { "Content-Length": 0 }).end();
      } else {
        json(res, status, {
          errorType: "InternalServerError",
          errorMessage: "fake restore failure",
        });
      }
    } else if (route === "GET /invocation/next") {
      this.#nexts += 1;
      if (this.#nexts > 1) return; // held open: the Runtime waits in its loop
      this.#options.onFirstNext?.();
      res
        .writeHead(200, {
          "Content-Type": "application/json",
          "Lambda-Runtime-Aws-Request-Id": REQUEST_ID,
          "Lambda-Runtime-Deadline-Ms": String(Date.now() + 3_000),
          "Lambda-Runtime-Invoked-Function-Arn":
            "arn:aws:lambda:us-east-1:000000000000:function:snapstart",
        })
        .end("{}");
    } else if (method === "POST") {
      json(res, 202, { status: "OK" });
    } else {
      json(res, 404, { errorType: "NotFound", errorMessage: route });
    }
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res
    .writeHead(status, {
      "Content-Type": "application/json",
      "Content-Length": Buffer.byteLength(text),
    })
    .end(text);
}

// -- running a Runtime ---------------------------------------------------------------------------------

type Family = "python" | "node";

interface FamilyCase {
  readonly runtime: string;
  readonly handler: string;
  /** The hook lines in the order they must be written when nothing fails. */
  readonly beforeLines: readonly string[];
  readonly afterLines: readonly string[];
  /** The hook lines written when the fixture's before-snapshot hook fails (it is among the first to run). */
  readonly beforeFailureLines: readonly string[];
  /** The keys of this runtime's error document, in order. */
  readonly errorKeys: readonly string[];
  /** `errorType` in the document when each fixture hook fails, and when `restore/next` is refused. */
  readonly beforeErrorType: string;
  readonly afterErrorType: string;
  readonly refusedRestoreErrorType: string;
}

const FAMILIES: Readonly<Record<Family, FamilyCase>> = {
  python: {
    runtime: "python3.11",
    handler: "hooks.handler",
    beforeLines: ["before:args", "before:decorated", "before:capture"],
    afterLines: ["after:decorated", "after:kwargs"],
    beforeFailureLines: ["before:args", "before:decorated"],
    errorKeys: ["errorMessage", "errorType", "requestId", "stackTrace"],
    beforeErrorType: "RuntimeError",
    afterErrorType: "ValueError",
    refusedRestoreErrorType: "LambdaRuntimeClientError",
  },
  node: {
    runtime: "nodejs20.x",
    handler: "index.handler",
    beforeLines: ["before:last-registered", "before:args!", "before:async"],
    afterLines: ["after:async", "after:second"],
    beforeFailureLines: ["before:last-registered"],
    errorKeys: ["errorType", "errorMessage", "trace"],
    beforeErrorType: "Error",
    afterErrorType: "TypeError",
    refusedRestoreErrorType: "Runtime.RuntimeApiError",
  },
};

/** One started Runtime and what it needs to be torn down. */
interface RunningRuntime {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: string | null }>;
  /** stdout and stderr so far. */
  output(): string;
  /** The hook lines written so far. */
  logLines(): string[];
}

interface StartOptions {
  readonly initializationType: InitializationType;
  /** `THAW_SNAPSTART_FAIL` (fixtures README); the last two are Node.js only. */
  readonly fail?: "before" | "after" | "before-never" | "after-uncaught";
}

/**
 * Starts `family`'s fixture under thaw's managed runtime with `api` as its Runtime API, the way an
 * ExecutionEnvironment starts it: resolved launch, `lambdaEnvironment()`, task root as cwd. The
 * process is killed and the temporary folder removed when the test ends.
 */
function startRuntime(
  t: { after(fn: () => Promise<void>): void },
  family: Family,
  api: FakeRuntimeApi,
  options: StartOptions,
): RunningRuntime {
  const { runtime, handler } = FAMILIES[family];
  const dir = mkdtempSync(join(tmpdir(), "thaw-snapstart-"));
  // Registered before anything can throw: the server and the folder go even if the launch fails.
  const launched: { child?: ChildProcess; exited?: Promise<unknown> } = {};
  t.after(async () => {
    const { child, exited } = launched;
    if (child?.exitCode === null && child.signalCode === null)
      child.kill("SIGKILL");
    await exited;
    await api.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const logPath = join(dir, "hooks.log");
  const config = createFunctionConfig({
    functionName: `snapstart-${family}`,
    runtime,
    handler,
    environment: {
      THAW_SNAPSTART_LOG: logPath,
      ...(options.fail === undefined
        ? {}
        : { THAW_SNAPSTART_FAIL: options.fail }),
    },
  });
  const taskRoot = join(FIXTURES, family);
  const launch = resolveRuntime(config, taskRoot, RUNTIME_DIRS);
  const env = {
    ...lambdaEnvironment(config, launch, {
      runtimeApi: api.address,
      taskRoot,
      runtimeDir: THAW_PATHS.runtimes,
      logStreamName: newLogStreamName(config.version),
      initializationType: options.initializationType,
    }),
    AWS_LAMBDA_RUNTIME_API: api.address,
  };
  const spawned = spawn(launch.command, [...launch.args], {
    cwd: taskRoot,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  launched.child = spawned;
  let output = "";
  spawned.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  spawned.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const ended = once(spawned, "exit").then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as string | null,
  }));
  launched.exited = ended;
  return {
    child: spawned,
    exited: ended,
    output: () => output,
    logLines: () =>
      existsSync(logPath)
        ? readFileSync(logPath, "utf8").split("\n").filter(Boolean)
        : [],
  };
}

/** The body of the first call to `route` (`METHOD /path`, as in {@link FakeRuntimeApi.sequence}). */
function bodyOf(api: FakeRuntimeApi, route: string): Record<string, unknown> {
  const index = api.sequence.indexOf(route);
  const call = api.calls[index];
  assert.ok(call !== undefined, `no ${route} in ${api.sequence.join(", ")}`);
  const parsed: unknown = JSON.parse(call.body);
  assert.ok(
    typeof parsed === "object" && parsed !== null && !Array.isArray(parsed),
    call.body,
  );
  return parsed as Record<string, unknown>;
}

function headerOf(api: FakeRuntimeApi, route: string, name: string): unknown {
  return api.calls[api.sequence.indexOf(route)]?.headers[name];
}

/** Waits for the process to end and returns its exit status, with its output on failure. */
async function exitStatus(
  running: RunningRuntime,
  signal: AbortSignal,
): Promise<number | null> {
  const aborted = once(signal, "abort").then(() => {
    throw new Error(`the Runtime did not exit:\n${running.output()}`);
  });
  aborted.catch(() => undefined);
  const { code } = await Promise.race([running.exited, aborted]);
  return code;
}

// -- the cases, for both runtimes ------------------------------------------------------------------

for (const family of ["python", "node"] as const) {
  const expected = FAMILIES[family];

  test(`${family}: with snap-start the hooks run in AWS's order around restore/next, then the invoke loop`, async (t) => {
    const deadline = AbortSignal.timeout(CASE_DEADLINE_MS);
    let atRestoreNext: string[] = [];
    let atFirstNext: string[] = [];
    const api = await FakeRuntimeApi.start({
      onRestoreNext: () => (atRestoreNext = running.logLines()),
      onFirstNext: () => (atFirstNext = running.logLines()),
    });
    const running = startRuntime(t, family, api, {
      initializationType: "snap-start",
    });
    await api.waitForCalls(4, deadline);

    assert.deepEqual(
      api.sequence,
      [
        "GET /restore/next",
        "GET /invocation/next",
        "POST /invocation/{id}/response",
        "GET /invocation/next",
      ],
      running.output(),
    );
    // Every before-snapshot hook ran before restore/next, and no after-restore hook...
    assert.deepEqual(atRestoreNext, expected.beforeLines);
    // ...and every after-restore hook after it, before the first Invocation was asked for.
    assert.deepEqual(atFirstNext, [
      ...expected.beforeLines,
      ...expected.afterLines,
    ]);
    const response = bodyOf(api, "POST /invocation/{id}/response");
    assert.deepEqual(response.log, [
      ...expected.beforeLines,
      ...expected.afterLines,
    ]);
    if (family === "python") {
      // awslambdaric pops the before-snapshot hooks off the registry as it runs them.
      assert.deepEqual(response.registered, [0, 2]);
    } else {
      assert.deepEqual(response.global, [
        "registerBeforeSnapshot",
        "registerAfterRestore",
      ]);
    }
    assert.equal(running.child.exitCode, null, "the Runtime keeps serving");
  });

  test(`${family}: without snap-start there is no restore/next and no hook runs`, async (t) => {
    const deadline = AbortSignal.timeout(CASE_DEADLINE_MS);
    const api = await FakeRuntimeApi.start();
    const running = startRuntime(t, family, api, {
      initializationType: "on-demand",
    });
    await api.waitForCalls(3, deadline);

    assert.deepEqual(
      api.sequence,
      [
        "GET /invocation/next",
        "POST /invocation/{id}/response",
        "GET /invocation/next",
      ],
      running.output(),
    );
    assert.deepEqual(running.logLines(), []);
    if (family === "python") {
      // Registering worked; the hooks are still there, never run.
      const response = bodyOf(api, "POST /invocation/{id}/response");
      assert.deepEqual(response.registered, [3, 2]);
      assert.equal(response.randomAtSnapshot, null);
    }
  });

  test(`${family}: a failing before-snapshot hook is posted to /init/error as Runtime.BeforeSnapshotError, exit 64`, async (t) => {
    const deadline = AbortSignal.timeout(CASE_DEADLINE_MS);
    const api = await FakeRuntimeApi.start();
    const running = startRuntime(t, family, api, {
      initializationType: "snap-start",
      fail: "before",
    });
    const status = await exitStatus(running, deadline);

    assert.equal(status, BEFORE_SNAPSHOT_EXIT_STATUS, running.output());
    assert.deepEqual(api.sequence, ["POST /init/error"]);
    assert.equal(
      headerOf(api, "POST /init/error", "lambda-runtime-function-error-type"),
      "Runtime.BeforeSnapshotError",
    );
    const document = bodyOf(api, "POST /init/error");
    assert.deepEqual(Object.keys(document), expected.errorKeys);
    assert.equal(document.errorType, expected.beforeErrorType);
    assert.equal(document.errorMessage, "fixture before-snapshot failure");
    // The hooks registered before the failing one (they run later) never ran.
    assert.deepEqual(running.logLines(), expected.beforeFailureLines);
    if (family === "python") {
      assert.equal(document.requestId, "");
      const stackTrace = document.stackTrace as string[];
      assert.match(
        stackTrace.at(-1) ?? "",
        /hooks\.py", line \d+, in before_decorated/,
      );
      assert.match(
        running.output(),
        /^\[ERROR\] RuntimeError: fixture before-snapshot failure\rTraceback/m,
      );
    } else {
      assert.match(
        running.output(),
        /\tERROR\tUncaught Exception \t\{"errorType":"Error","errorMessage":"fixture before-snapshot failure"/,
      );
    }
  });

  test(`${family}: a failing after-restore hook is posted to /restore/error as Runtime.AfterRestoreError, exit 65`, async (t) => {
    const deadline = AbortSignal.timeout(CASE_DEADLINE_MS);
    const api = await FakeRuntimeApi.start();
    const running = startRuntime(t, family, api, {
      initializationType: "snap-start",
      fail: "after",
    });
    const status = await exitStatus(running, deadline);

    assert.equal(status, AFTER_RESTORE_EXIT_STATUS, running.output());
    assert.deepEqual(api.sequence, [
      "GET /restore/next",
      "POST /restore/error",
    ]);
    assert.equal(
      headerOf(
        api,
        "POST /restore/error",
        "lambda-runtime-function-error-type",
      ),
      "Runtime.AfterRestoreError",
    );
    const document = bodyOf(api, "POST /restore/error");
    assert.deepEqual(Object.keys(document), expected.errorKeys);
    assert.equal(document.errorType, expected.afterErrorType);
    assert.equal(document.errorMessage, "fixture after-restore failure");
    // The failing hook is the first after-restore one: the second never ran.
    assert.deepEqual(running.logLines(), [
      ...expected.beforeLines,
      ...expected.afterLines.slice(0, 1),
    ]);
  });

  test(`${family}: a refused restore/next is posted to /init/error as Runtime.BeforeSnapshotError, exit 64`, async (t) => {
    const deadline = AbortSignal.timeout(CASE_DEADLINE_MS);
    const api = await FakeRuntimeApi.start({ restoreStatus: 500 });
    const running = startRuntime(t, family, api, {
      initializationType: "snap-start",
    });
    const status = await exitStatus(running, deadline);

    assert.equal(status, BEFORE_SNAPSHOT_EXIT_STATUS, running.output());
    assert.deepEqual(api.sequence, ["GET /restore/next", "POST /init/error"]);
    assert.equal(
      headerOf(api, "POST /init/error", "lambda-runtime-function-error-type"),
      "Runtime.BeforeSnapshotError",
    );
    const document = bodyOf(api, "POST /init/error");
    assert.equal(document.errorType, expected.refusedRestoreErrorType);
    assert.match(String(document.errorMessage), /restore\/next.*500/);
    assert.deepEqual(running.logLines(), expected.beforeLines);
  });
}

test("node: a before-snapshot hook whose promise never settles fails as Runtime.NodeJsExit, exit 64", async (t) => {
  const deadline = AbortSignal.timeout(CASE_DEADLINE_MS);
  const api = await FakeRuntimeApi.start();
  const running = startRuntime(t, "node", api, {
    initializationType: "snap-start",
    fail: "before-never",
  });
  const status = await exitStatus(running, deadline);

  assert.equal(status, BEFORE_SNAPSHOT_EXIT_STATUS, running.output());
  assert.deepEqual(api.sequence, ["POST /init/error"]);
  assert.equal(
    headerOf(api, "POST /init/error", "lambda-runtime-function-error-type"),
    "Runtime.BeforeSnapshotError",
  );
  assert.equal(bodyOf(api, "POST /init/error").errorType, "Runtime.NodeJsExit");
  assert.deepEqual(running.logLines(), ["before:last-registered"]);
});

test("node: an uncaught exception while an after-restore hook runs fails the restore, exit 65", async (t) => {
  const deadline = AbortSignal.timeout(CASE_DEADLINE_MS);
  const api = await FakeRuntimeApi.start();
  const running = startRuntime(t, "node", api, {
    initializationType: "snap-start",
    fail: "after-uncaught",
  });
  const status = await exitStatus(running, deadline);

  assert.equal(status, AFTER_RESTORE_EXIT_STATUS, running.output());
  assert.deepEqual(api.sequence, ["GET /restore/next", "POST /restore/error"]);
  const document = bodyOf(api, "POST /restore/error");
  assert.equal(document.errorType, "RangeError");
  assert.equal(document.errorMessage, "fixture uncaught exception");
  // Logged once, by the process-wide handler.
  const logged = running
    .output()
    .split("\n")
    .filter((line) => line.includes("fixture uncaught exception"));
  assert.equal(logged.length, 1, running.output());
  assert.match(
    logged[0] ?? "",
    /\tERROR\tUncaught Exception \t\{"errorType":"RangeError"/,
  );
});

test("python: after restore, random and tempfile are reseeded", async (t) => {
  const deadline = AbortSignal.timeout(CASE_DEADLINE_MS);
  const api = await FakeRuntimeApi.start();
  const running = startRuntime(t, "python", api, {
    initializationType: "snap-start",
  });
  await api.waitForCalls(3, deadline);

  const response = bodyOf(api, "POST /invocation/{id}/response");
  // The fixture predicted the next random.random() from the generator's state when the last
  // before-snapshot hook ran; nothing else draws from it before the handler. Every clone of a
  // Snapshot would share that prediction; after the runtime's reseeding it no longer holds.
  assert.equal(typeof response.randomAtSnapshot, "number", running.output());
  assert.equal(typeof response.random, "number");
  assert.notEqual(response.random, response.randomAtSnapshot);
  assert.equal(response.tempfileNamesRenewed, true);
});
