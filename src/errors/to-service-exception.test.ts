import { test } from "node:test";
import assert from "node:assert/strict";
import { IllegalStateError } from "./sandbox-errors.js";
import {
  requestTooLarge,
  resourceNotFound,
  ServiceException,
  tooManyRequests,
  validationException,
} from "./service-exceptions.js";
import { toServiceException } from "./to-service-exception.js";
import {
  InvalidPackageError,
  InvalidParameterValueError,
  RuntimeUnavailableError,
} from "./usage-errors.js";

function collecting(): { seen: unknown[]; onUnexpected: (e: unknown) => void } {
  const seen: unknown[] = [];
  return { seen, onUnexpected: (error) => seen.push(error) };
}

test("a ServiceException passes through unchanged", () => {
  const original = tooManyRequests("ConcurrentInvocationLimitExceeded");
  const { seen, onUnexpected } = collecting();
  assert.equal(toServiceException(original, { onUnexpected }), original);
  assert.equal(original.statusCode, 429);
  assert.deepEqual(original.fields, {
    Reason: "ConcurrentInvocationLimitExceeded",
  });
  assert.deepEqual(seen, []);
});

test("InvalidParameterValueError becomes a 400 InvalidParameterValueException", () => {
  const error = new InvalidParameterValueError("MemorySize must be ≥ 128");
  const mapped = toServiceException(error);
  assert.ok(mapped instanceof ServiceException);
  assert.equal(mapped.name, "InvalidParameterValueException");
  assert.equal(mapped.statusCode, 400);
  assert.equal(mapped.fault, "client");
  assert.equal(mapped.message, "MemorySize must be ≥ 128");
  assert.equal(mapped.cause, error);
});

test("InvalidPackageError becomes a 400 InvalidParameterValueException with its message", () => {
  const error = new InvalidPackageError("corrupt-zip", "The zip is corrupt.");
  const mapped = toServiceException(error);
  assert.ok(mapped instanceof ServiceException);
  assert.equal(mapped.name, "InvalidParameterValueException");
  assert.equal(mapped.statusCode, 400);
  assert.equal(mapped.message, "The zip is corrupt.");
});

test("RuntimeUnavailableError becomes a 502 InvalidRuntimeException", () => {
  const mapped = toServiceException(
    new RuntimeUnavailableError("no python3.12 here"),
  );
  assert.ok(mapped instanceof ServiceException);
  assert.equal(mapped.name, "InvalidRuntimeException");
  assert.equal(mapped.statusCode, 502);
  assert.equal(mapped.fault, "server");
  assert.equal(mapped.blame, "platform");
});

test("anything else is a 500 ServiceException that keeps its cause and is reported once", () => {
  for (const thrown of [
    new TypeError("x is undefined"),
    new IllegalStateError("bad transition"),
    "a string",
    undefined,
  ]) {
    const { seen, onUnexpected } = collecting();
    const mapped = toServiceException(thrown, { onUnexpected });
    assert.ok(mapped instanceof ServiceException);
    assert.equal(mapped.name, "ServiceException");
    assert.equal(mapped.statusCode, 500);
    assert.equal(mapped.fault, "server");
    assert.equal(mapped.cause, thrown);
    assert.deepEqual(seen, [thrown]);
    // The message does not leak internals.
    assert.doesNotMatch(mapped.message, /undefined|bad transition|string/);
  }
});

test("the helper factories use Lambda's wording and the status table", () => {
  const notFound = resourceNotFound("arn:aws:lambda:us-east-1:0:function:f");
  assert.equal(notFound.statusCode, 404);
  const tooLarge = requestTooLarge(6291456, "InvokeFunction");
  assert.equal(tooLarge.statusCode, 413);
  assert.equal(
    tooLarge.message,
    "Request must be smaller than 6291456 bytes for the InvokeFunction operation",
  );
  const invalid = validationException(
    "functionName",
    "x",
    "Member must have length less than or equal to 64",
  );
  assert.equal(invalid.name, "ValidationException");
  assert.equal(invalid.statusCode, 400);
  assert.equal(
    invalid.message,
    "1 validation error detected: Value 'x' at 'functionName' failed to satisfy constraint: Member must have length less than or equal to 64",
  );
  assert.match(
    validationException("qualifier", null, "Member must not be null").message,
    /Value null at 'qualifier'/,
  );
});
