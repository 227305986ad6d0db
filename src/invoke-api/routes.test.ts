import { test } from "node:test";
import assert from "node:assert/strict";
import { matchRoute, type Operation } from "./routes.js";

const CASES: readonly (readonly [string, string, Operation, string])[] = [
  ["POST", "/2015-03-31/functions/f/invocations", "Invoke", "f"],
  [
    "POST",
    "/2021-11-15/functions/f/response-streaming-invocations",
    "InvokeWithResponseStream",
    "f",
  ],
  ["POST", "/2015-03-31/functions", "CreateFunction", ""],
  ["POST", "/2015-03-31/functions/", "CreateFunction", ""],
  ["GET", "/2015-03-31/functions", "ListFunctions", ""],
  ["GET", "/2015-03-31/functions/", "ListFunctions", ""],
  ["GET", "/2015-03-31/functions/f", "GetFunction", "f"],
  ["DELETE", "/2015-03-31/functions/f", "DeleteFunction", "f"],
  [
    "GET",
    "/2015-03-31/functions/f/configuration",
    "GetFunctionConfiguration",
    "f",
  ],
  [
    "PUT",
    "/2015-03-31/functions/f/configuration",
    "UpdateFunctionConfiguration",
    "f",
  ],
  ["PUT", "/2015-03-31/functions/f/code", "UpdateFunctionCode", "f"],
  ["GET", "/2015-03-31/functions/f/versions", "ListVersionsByFunction", "f"],
  ["POST", "/2015-03-31/functions/f/versions", "PublishVersion", "f"],
  ["PUT", "/2017-10-31/functions/f/concurrency", "PutFunctionConcurrency", "f"],
  [
    "DELETE",
    "/2017-10-31/functions/f/concurrency",
    "DeleteFunctionConcurrency",
    "f",
  ],
  ["GET", "/2019-09-30/functions/f/concurrency", "GetFunctionConcurrency", "f"],
  [
    "PUT",
    "/2019-09-30/functions/f/provisioned-concurrency",
    "PutProvisionedConcurrencyConfig",
    "f",
  ],
  [
    "GET",
    "/2019-09-30/functions/f/provisioned-concurrency",
    "GetProvisionedConcurrencyConfig",
    "f",
  ],
  [
    "DELETE",
    "/2019-09-30/functions/f/provisioned-concurrency",
    "DeleteProvisionedConcurrencyConfig",
    "f",
  ],
  ["GET", "/2016-08-19/account-settings", "GetAccountSettings", ""],
  ["GET", "/2016-08-19/account-settings/", "GetAccountSettings", ""],
  ["GET", "/", "GetStatus", ""],
];

test("every operation's method and path", () => {
  for (const [method, path, operation, functionName] of CASES) {
    assert.deepEqual(
      matchRoute(method, path),
      { kind: "operation", operation, functionName, query: "" },
      `${method} ${path}`,
    );
  }
});

test("the query string is kept apart and the function name is URL-decoded", () => {
  assert.deepEqual(
    matchRoute(
      "POST",
      "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Af%3A%24LATEST/invocations?Qualifier=%24LATEST",
    ),
    {
      kind: "operation",
      operation: "Invoke",
      functionName: "arn:aws:lambda:us-east-1:000000000000:function:f:$LATEST",
      query: "Qualifier=%24LATEST",
    },
  );
  assert.deepEqual(
    matchRoute("GET", "/2015-03-31/functions/?MaxItems=2&Marker=x"),
    {
      kind: "operation",
      operation: "ListFunctions",
      functionName: "",
      query: "MaxItems=2&Marker=x",
    },
  );
});

test("a known path with the wrong method lists the methods it serves", () => {
  assert.deepEqual(matchRoute("GET", "/2015-03-31/functions/f/invocations"), {
    kind: "method-not-allowed",
    allowed: ["POST"],
  });
  // Concurrency: GET lives under another date than PUT and DELETE.
  assert.deepEqual(matchRoute("GET", "/2017-10-31/functions/f/concurrency"), {
    kind: "method-not-allowed",
    allowed: ["PUT", "DELETE"],
  });
  assert.deepEqual(matchRoute("PATCH", "/"), {
    kind: "method-not-allowed",
    allowed: ["GET"],
  });
});

test("unknown paths are not found", () => {
  for (const path of [
    "/nope",
    "/2015-03-31/functions/f/aliases",
    "/2015-03-31/functions/f/invocations/extra",
    "/2014-11-13/functions/f/invoke-async",
    "/2015-03-31/functions//invocations",
    "/2099-01-01/functions/f/invocations",
    "/2015-03-31",
    "",
  ]) {
    assert.deepEqual(matchRoute("POST", path), { kind: "not-found" }, path);
  }
});

test("a function name that is not valid percent-encoding is reported", () => {
  assert.deepEqual(matchRoute("GET", "/2015-03-31/functions/f%zz"), {
    kind: "bad-function-name",
    segment: "f%zz",
  });
});
