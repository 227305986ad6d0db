import { test } from "node:test";
import assert from "node:assert/strict";
import { InvalidParameterValueError } from "../errors/usage-errors.js";
import { createFunctionConfig } from "./function-config.js";

const base = {
  functionName: "fn",
  runtime: "python3.12",
  handler: "app.handler",
};

test("Lambda's defaults: 128 MB, 3 s, $LATEST, us-east-1, and a frozen result", () => {
  const config = createFunctionConfig(base);
  assert.equal(config.memorySize, 128);
  assert.equal(config.timeout, 3);
  assert.equal(config.ephemeralStorage, 512);
  assert.equal(config.version, "$LATEST");
  assert.equal(
    config.functionArn,
    "arn:aws:lambda:us-east-1:000000000000:function:fn",
  );
  assert.equal(config.runtime.family, "python");
  assert.ok(Object.isFrozen(config) && Object.isFrozen(config.environment));
});

const invalid: [
  string,
  Partial<Parameters<typeof createFunctionConfig>[0]>,
  RegExp,
][] = [
  ["a name with a slash", { functionName: "a/b" }, /at 'functionName'/],
  [
    "a name over 64 characters",
    { functionName: "x".repeat(65) },
    /at 'functionName'/,
  ],
  ["an unknown runtime", { runtime: "ruby9" }, /Value ruby9 at 'runtime'/],
  ["memory under 128 MB", { memorySize: 127 }, /Value '127' at 'memorySize'/],
  [
    "memory over 10,240 MB",
    { memorySize: 10_241 },
    /Value '10241' at 'memorySize'/,
  ],
  ["a fractional memory size", { memorySize: 128.5 }, /at 'memorySize'/],
  ["a timeout of 0 s", { timeout: 0 }, /Value '0' at 'timeout'/],
  ["a timeout over 900 s", { timeout: 901 }, /Value '901' at 'timeout'/],
  [
    "ephemeral storage under 512 MB",
    { ephemeralStorage: 511 },
    /Value '511' at 'ephemeralStorage.size'/,
  ],
  [
    "ephemeral storage over 10,240 MB",
    { ephemeralStorage: 10_241 },
    /Value '10241' at 'ephemeralStorage.size'/,
  ],
  ["an empty handler", { handler: "" }, /at 'handler'/],
  [
    "a reserved variable",
    { environment: { AWS_LAMBDA_RUNTIME_API: "x" } },
    /Reserved keys used in this request: AWS_LAMBDA_RUNTIME_API/,
  ],
  [
    "a variable name starting with a digit",
    { environment: { "1X": "y" } },
    /at 'environment.variables'/,
  ],
];

for (const [what, change, message] of invalid) {
  test(`refuses ${what} with InvalidParameterValueException`, () => {
    assert.throws(
      () => createFunctionConfig({ ...base, ...change }),
      (error: unknown) =>
        error instanceof InvalidParameterValueError &&
        error.name === "InvalidParameterValueException" &&
        error.blame === "client" &&
        message.test(error.message),
    );
  });
}

test("the bounds themselves are accepted", () => {
  assert.equal(
    createFunctionConfig({ ...base, memorySize: 10_240, timeout: 900 })
      .memorySize,
    10_240,
  );
  assert.equal(
    createFunctionConfig({ ...base, memorySize: 128, timeout: 1 }).timeout,
    1,
  );
});
