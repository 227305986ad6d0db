import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ServiceException } from "../errors/service-exceptions.js";
import { functionArn, parseFunctionRef } from "./function-name.js";

const SCOPE = { region: "us-east-1", accountId: "000000000000" };

describe("parseFunctionRef", () => {
  const accepted: readonly [
    string,
    string | undefined,
    string,
    string | undefined,
  ][] = [
    ["my-fn", undefined, "my-fn", undefined],
    ["my_fn", "", "my_fn", undefined],
    ["my-fn", "$LATEST", "my-fn", "$LATEST"],
    ["my-fn:7", undefined, "my-fn", "7"],
    ["my-fn:live", "live", "my-fn", "live"],
    ["123456789012:function:my-fn", undefined, "my-fn", undefined],
    ["123456789012:function:my-fn:$LATEST", undefined, "my-fn", "$LATEST"],
    ["function:my-fn", "2", "my-fn", "2"],
    [
      "arn:aws:lambda:us-east-1:000000000000:function:my-fn",
      undefined,
      "my-fn",
      undefined,
    ],
    [
      "arn:aws:lambda:us-east-1:000000000000:function:my-fn:3",
      "3",
      "my-fn",
      "3",
    ],
    [
      "arn:aws-cn:lambda:us-east-1:000000000000:function:my-fn",
      undefined,
      "my-fn",
      undefined,
    ],
  ];
  for (const [functionName, qualifier, name, expected] of accepted) {
    it(`reads ${functionName} with Qualifier ${String(qualifier)}`, () => {
      assert.deepEqual(parseFunctionRef({ functionName, qualifier }, SCOPE), {
        name,
        qualifier: expected,
      });
    });
  }

  const refused: readonly [
    string,
    string | undefined,
    string,
    string | RegExp,
  ][] = [
    [
      "my.fn",
      undefined,
      "ValidationException",
      /^1 validation error detected: Value 'my\.fn' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: \(arn:/,
    ],
    ["", undefined, "ValidationException", /at 'functionName'/],
    ["a:b:c:d", undefined, "ValidationException", /at 'functionName'/],
    [
      "my-fn:1",
      "2",
      "InvalidParameterValueException",
      "The derived qualifier from the function name does not match the specified qualifier.",
    ],
    [
      "my-fn",
      "a b",
      "ValidationException",
      "1 validation error detected: Value 'a b' at 'qualifier' failed to satisfy constraint: Member must satisfy regular expression pattern: (|[a-zA-Z0-9$_-]+)",
    ],
    [
      "arn:aws:lambda:eu-west-1:000000000000:function:my-fn",
      undefined,
      "ResourceNotFoundException",
      "Functions from 'eu-west-1' are not reachable in this region ('us-east-1')",
    ],
    [
      `arn:aws:lambda:us-east-1:000000000000:function:${"a".repeat(100)}`,
      undefined,
      "ValidationException",
      /Member must have length less than or equal to 140$/,
    ],
  ];
  for (const [functionName, qualifier, errorName, message] of refused) {
    it(`refuses ${functionName || "an empty name"} with Qualifier ${String(qualifier)}`, () => {
      assert.throws(
        () => parseFunctionRef({ functionName, qualifier }, SCOPE),
        (err: unknown) => {
          assert.ok(err instanceof ServiceException);
          assert.equal(err.name, errorName);
          if (typeof message === "string") assert.equal(err.message, message);
          else assert.match(err.message, message);
          return true;
        },
      );
    });
  }

  it("builds ARNs with and without a qualifier", () => {
    assert.equal(
      functionArn("f", SCOPE),
      "arn:aws:lambda:us-east-1:000000000000:function:f",
    );
    assert.equal(
      functionArn("f", SCOPE, "$LATEST"),
      "arn:aws:lambda:us-east-1:000000000000:function:f:$LATEST",
    );
  });
});
