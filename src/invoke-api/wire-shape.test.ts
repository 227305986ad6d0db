import { test } from "node:test";
import assert from "node:assert/strict";
import { ServiceException } from "../errors/service-exceptions.js";
import { REQUEST_SHAPES } from "./request-shapes.js";
import { readIntegerParameter, readRequest } from "./wire-shape.js";

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}

function assertServiceError(
  run: () => unknown,
  name: string,
  message: RegExp,
): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof ServiceException);
    assert.equal(error.name, name);
    assert.equal(error.statusCode, 400);
    assert.match(error.message, message);
    return true;
  });
}

test("a CreateFunction body keeps its known members and decodes the zip", () => {
  const zip = Buffer.from([0x50, 0x4b, 3, 4, 0xff, 0]);
  const request = readRequest(
    json({
      FunctionName: "f",
      Runtime: "nodejs20.x",
      Code: { ZipFile: zip.toString("base64") },
      MemorySize: 256,
      Environment: { Variables: { A: "1" } },
      Architectures: ["arm64"],
      Publish: true,
      TracingConfig: { Mode: "Active" },
      VpcConfig: { SubnetIds: [] },
      Timeout: null,
    }),
    REQUEST_SHAPES.CreateFunction,
  );
  assert.deepEqual(request, {
    FunctionName: "f",
    Runtime: "nodejs20.x",
    Code: { ZipFile: zip },
    MemorySize: 256,
    Environment: { Variables: { A: "1" } },
    Architectures: ["arm64"],
    Publish: true,
    TracingConfig: { Mode: "Active" },
  });
  assert.ok(Buffer.isBuffer(request.Code.ZipFile));
});

test("a member of the wrong type is a 400 that names it", () => {
  const base = { FunctionName: "f", Code: {} };
  const cases: readonly (readonly [unknown, RegExp])[] = [
    [
      { ...base, MemorySize: "256" },
      /MemorySize: expected an integer, got a string/,
    ],
    [
      { ...base, Timeout: 3.5 },
      /Timeout: expected an integer, got the number 3.5/,
    ],
    [{ ...base, Publish: "yes" }, /Publish: expected a boolean/],
    [
      { ...base, FunctionName: 7 },
      /FunctionName: expected a string, got a number/,
    ],
    [
      { ...base, Code: { ZipFile: "not base64!" } },
      /Code.ZipFile: expected a base64-encoded string/,
    ],
    [{ ...base, Code: "zip" }, /Code: expected a structure, got a string/],
    [
      { ...base, Environment: { Variables: { A: 1 } } },
      /Environment.Variables.A: expected a string, got a number/,
    ],
    [{ ...base, Architectures: "x86_64" }, /Architectures: expected a list/],
    [{ ...base, Layers: ["a", 2] }, /Layers\[1\]: expected a string/],
    [{ ...base, Tags: [] }, /Tags: expected a map, got a list/],
  ];
  for (const [body, message] of cases) {
    assertServiceError(
      () => readRequest(json(body), REQUEST_SHAPES.CreateFunction),
      "InvalidParameterValueException",
      message,
    );
  }
});

test("a missing required member is a ValidationException in AWS's words", () => {
  assertServiceError(
    () => readRequest(json({ Code: {} }), REQUEST_SHAPES.CreateFunction),
    "ValidationException",
    /^1 validation error detected: Value null at 'functionName' failed to satisfy constraint: Member must not be null$/,
  );
  assertServiceError(
    () =>
      readRequest(
        json({ ReservedConcurrentExecutions: null }),
        REQUEST_SHAPES.PutFunctionConcurrency,
      ),
    "ValidationException",
    /'reservedConcurrentExecutions'/,
  );
});

test("a body that is not a JSON object is InvalidRequestContentException", () => {
  for (const body of ["{", "[1]", "42", '"s"']) {
    assertServiceError(
      () => readRequest(Buffer.from(body), REQUEST_SHAPES.PublishVersion),
      "InvalidRequestContentException",
      /^Could not parse request body into json: /,
    );
  }
  assertServiceError(
    () =>
      readRequest(
        Buffer.from([0x7b, 0xff, 0x7d]),
        REQUEST_SHAPES.PublishVersion,
      ),
    "InvalidRequestContentException",
    /^Could not parse request body into json: /,
  );
});

test("an empty body is an empty request", () => {
  assert.deepEqual(
    readRequest(Buffer.alloc(0), REQUEST_SHAPES.PublishVersion),
    {},
  );
});

test("integer query parameters", () => {
  const params = new URLSearchParams("MaxItems=10&Bad=1e3&Neg=-2&Empty=");
  assert.equal(readIntegerParameter(params, "MaxItems"), 10);
  assert.equal(readIntegerParameter(params, "Neg"), -2);
  assert.equal(readIntegerParameter(params, "Empty"), undefined);
  assert.equal(readIntegerParameter(params, "Missing"), undefined);
  assertServiceError(
    () => readIntegerParameter(params, "Bad"),
    "InvalidParameterValueException",
    /MaxItems|Bad: expected an integer, got '1e3'/,
  );
});
