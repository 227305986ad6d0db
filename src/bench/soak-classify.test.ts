/** How the soak judges each answer: every outcome, with the details that must match. */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { IncomingHttpHeaders } from "node:http";
import {
  classify,
  expectedEcho,
  type SoakCallResult,
} from "./soak-classify.js";
import { SOAK_FUNCTIONS, type SoakFunction } from "./soak-functions.js";
import {
  faultPayload,
  type Fault,
  type PlannedInvocation,
} from "./soak-plan.js";

function fn(name: string): SoakFunction {
  const found = SOAK_FUNCTIONS.find((f) => f.name === name);
  assert.ok(found !== undefined, name);
  return found;
}

function planned(
  name: string,
  fault: Fault,
  disconnectAfterMs?: number,
): PlannedInvocation {
  return {
    index: 0,
    fn: fn(name),
    fault,
    payload: faultPayload(fault),
    disconnectAfterMs,
  };
}

function answered(
  body: string | Buffer,
  headers: IncomingHttpHeaders = {},
  status = 200,
): SoakCallResult {
  return {
    outcome: "answered",
    reply: {
      status,
      headers,
      body: typeof body === "string" ? Buffer.from(body) : body,
    },
    latencyMs: 3,
  };
}

function functionError(
  errorType: string,
  errorMessage: string,
): SoakCallResult {
  return answered(JSON.stringify({ errorType, errorMessage }), {
    "x-amz-function-error": "Unhandled",
  });
}

const ECHO: Fault = { kind: "echo", id: "s-1", pad: "ab12" };

void test("an echo must come back byte for byte, in the runtime's own serialisation", () => {
  const rust = classify(
    planned("soak-rust", ECHO),
    answered('{"id":"s-1","pad":"ab12"}'),
  );
  assert.deepEqual(rust, {
    expected: "success",
    observed: "success",
    matched: true,
    detail: "",
    lost: false,
  });
  const python = planned("soak-python", ECHO);
  assert.equal(
    expectedEcho("python", "s-1", "ab12").toString(),
    '{"id": "s-1", "pad": "ab12"}',
  );
  assert.equal(
    classify(python, answered('{"id": "s-1", "pad": "ab12"}')).matched,
    true,
  );
  const compactFromPython = classify(
    python,
    answered('{"id":"s-1","pad":"ab12"}'),
  );
  assert.equal(compactFromPython.matched, false);
  assert.match(compactFromPython.detail, /echo differs: sent s-1/);
  const otherId = classify(
    planned("soak-go", ECHO),
    answered('{"id":"s-2","pad":"ab12"}'),
  );
  assert.equal(otherId.observed, "success");
  assert.equal(otherId.matched, false);
});

void test("platform errors match on type and on the words of their message", () => {
  const crash = planned("soak-go", { kind: "crash", exitCode: 7 });
  assert.equal(
    classify(
      crash,
      functionError(
        "Runtime.ExitError",
        "RequestId: r Error: Runtime exited with error: exit status 7",
      ),
    ).matched,
    true,
  );
  const wrongStatus = classify(
    crash,
    functionError(
      "Runtime.ExitError",
      "RequestId: r Error: Runtime exited with error: exit status 8",
    ),
  );
  assert.equal(wrongStatus.observed, "Runtime.ExitError");
  assert.equal(wrongStatus.matched, false);
  assert.match(
    wrongStatus.detail,
    /lacks "Runtime exited with error: exit status 7"/,
  );

  const timeout = planned("soak-nodejs", { kind: "timeout", sleepMs: 1500 });
  assert.equal(
    classify(
      timeout,
      functionError(
        "Sandbox.Timedout",
        "RequestId: r Error: Task timed out after 1.00 seconds",
      ),
    ).matched,
    true,
  );
  const oom = planned("soak-python-heavy", {
    kind: "outOfMemory",
    megabytes: 300,
  });
  assert.equal(
    classify(
      oom,
      functionError(
        "Runtime.OutOfMemory",
        "RequestId: r Error: Runtime exited with error: signal: killed",
      ),
    ).matched,
    true,
  );
  const oomTimedOut = classify(
    oom,
    functionError(
      "Sandbox.Timedout",
      "RequestId: r Error: Task timed out after 5.00 seconds",
    ),
  );
  assert.equal(oomTimedOut.observed, "Sandbox.Timedout");
  assert.match(
    oomTimedOut.detail,
    /^expected Runtime.OutOfMemory, got Sandbox.Timedout: /,
  );
  const oversize = planned("soak-rust-heavy", {
    kind: "oversize",
    bytes: 7_000_000,
  });
  assert.equal(
    classify(
      oversize,
      functionError(
        "Function.ResponseSizeTooLarge",
        "Response payload size exceeded maximum allowed payload size (6291556 bytes).",
      ),
    ).matched,
    true,
  );
});

void test("a handled error is the fixture's own type with its message; another type is named", () => {
  const error = planned("soak-go", { kind: "error" });
  assert.deepEqual(
    classify(error, functionError("errorString", "fixture handled error")),
    {
      expected: "handled error",
      observed: "handled error",
      matched: true,
      detail: "",
      lost: false,
    },
  );
  const other = classify(
    error,
    functionError("Error", "fixture handled error"),
  );
  assert.equal(other.observed, "function error Error");
  assert.equal(other.matched, false);
});

void test("service errors, unparsable documents, lost and cut calls", () => {
  const echo = planned("soak-rust", ECHO);
  const throttled = classify(
    echo,
    answered(
      '{"message":"Rate exceeded"}',
      { "x-amzn-errortype": "TooManyRequestsException" },
      429,
    ),
  );
  assert.equal(throttled.observed, "HTTP 429 TooManyRequestsException");
  assert.equal(throttled.matched, false);
  assert.equal(throttled.lost, false);
  assert.equal(
    classify(
      echo,
      answered("not json", { "x-amz-function-error": "Unhandled" }),
    ).observed,
    "unparsable error document",
  );
  const reset = classify(echo, {
    outcome: "failed",
    message: "socket hang up",
    latencyMs: 1,
  });
  assert.deepEqual(
    [reset.observed, reset.matched, reset.lost],
    ["connection error", false, true],
  );
  const late = classify(echo, { outcome: "timed out", latencyMs: 30_000 });
  assert.deepEqual(
    [late.observed, late.matched, late.lost],
    ["client timeout", false, true],
  );
  const cut = planned("soak-rust", ECHO, 0);
  assert.deepEqual(classify(cut, { outcome: "disconnected", latencyMs: 0.1 }), {
    expected: "disconnected",
    observed: "disconnected",
    matched: true,
    detail: "",
    lost: false,
  });
  // A planned disconnect whose answer came first is judged on that answer.
  const answeredFirst = classify(cut, answered('{"id":"s-1","pad":"ab12"}'));
  assert.deepEqual(
    [answeredFirst.expected, answeredFirst.observed, answeredFirst.matched],
    ["success", "success", true],
  );
});
