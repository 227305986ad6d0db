import { test } from "node:test";
import assert from "node:assert/strict";
import type { IncomingHttpHeaders } from "node:http";
import { ServiceException } from "../../errors/service-exceptions.js";
import { decodeEventStreamMessages } from "../../protocol/event-stream.js";
import { FakeLambdaService } from "../fake-lambda-service.js";
import type { InvokeCall } from "../lambda-service.js";
import { ResponseStreamWriter } from "../response-stream.js";
import type { Answer, OperationRequest } from "./answer.js";
import { invokeHandler } from "./invoke.js";
import {
  checkPayload,
  INVOKE_TYPES,
  parseInvokeHeaders,
  STREAM_INVOKE_TYPES,
  tailLogResult,
} from "./invoke-headers.js";
import { invokeWithResponseStreamHandler } from "./invoke-with-response-stream.js";

function request(
  headers: IncomingHttpHeaders,
  body = "{}",
  query = "",
): OperationRequest {
  return {
    functionName: "echo",
    query: new URLSearchParams(query),
    headers,
    body: Buffer.from(body),
    signal: new AbortController().signal,
  };
}

function assertServiceError(
  run: () => unknown,
  name: string,
  status: number,
  message?: RegExp,
): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof ServiceException);
    assert.equal(error.name, name);
    assert.equal(error.statusCode, status);
    if (message !== undefined) assert.match(error.message, message);
    return true;
  });
}

function base64(text: string): string {
  return Buffer.from(text).toString("base64");
}

test("the X-Amz headers and their defaults", () => {
  assert.deepEqual(parseInvokeHeaders({}, INVOKE_TYPES), {
    invocationType: "RequestResponse",
    tailLog: false,
    clientContext: undefined,
    tenantId: undefined,
  });
  assert.deepEqual(
    parseInvokeHeaders(
      {
        "x-amz-invocation-type": "RequestResponse",
        "x-amz-log-type": "Tail",
        "x-amz-client-context": base64('{"custom":{"a":"b"}}'),
        "x-amz-tenant-id": "tenant-1",
      },
      INVOKE_TYPES,
    ),
    {
      invocationType: "RequestResponse",
      tailLog: true,
      clientContext: '{"custom":{"a":"b"}}',
      tenantId: "tenant-1",
    },
  );
  // No tail for Event.
  assert.equal(
    parseInvokeHeaders(
      { "x-amz-invocation-type": "Event", "x-amz-log-type": "Tail" },
      INVOKE_TYPES,
    ).tailLog,
    false,
  );
});

test("bad X-Amz headers are 400s", () => {
  assertServiceError(
    () => parseInvokeHeaders({ "x-amz-invocation-type": "Sync" }, INVOKE_TYPES),
    "InvalidParameterValueException",
    400,
    /Sync/,
  );
  assertServiceError(
    () =>
      parseInvokeHeaders(
        { "x-amz-invocation-type": "Event" },
        STREAM_INVOKE_TYPES,
      ),
    "InvalidParameterValueException",
    400,
  );
  assertServiceError(
    () => parseInvokeHeaders({ "x-amz-log-type": "All" }, INVOKE_TYPES),
    "ValidationException",
    400,
    /Value 'All' at 'logType'/,
  );
  for (const context of [
    "not base64!",
    base64("not json"),
    base64("[1]"),
    Buffer.from([0xff, 0xfe]).toString("base64"),
  ]) {
    assertServiceError(
      () =>
        parseInvokeHeaders({ "x-amz-client-context": context }, INVOKE_TYPES),
      "InvalidRequestContentException",
      400,
      /^Client context must be a valid Base64-encoded JSON object\.$/,
    );
  }
  const big = base64(JSON.stringify({ custom: { a: "x".repeat(3_600) } }));
  assertServiceError(
    () => parseInvokeHeaders({ "x-amz-client-context": big }, INVOKE_TYPES),
    "InvalidRequestContentException",
    400,
    /3583/,
  );
  const justFits = `{"a":"${"x".repeat(3_583 - 8)}"}`;
  assert.equal(Buffer.byteLength(justFits), 3_583);
  assert.equal(
    parseInvokeHeaders(
      { "x-amz-client-context": base64(justFits) },
      INVOKE_TYPES,
    ).clientContext,
    justFits,
  );
});

test("payloads must be JSON; an empty one is {}", () => {
  assert.equal(checkPayload(Buffer.alloc(0)).toString(), "{}");
  assert.equal(checkPayload(Buffer.from(" \n")).toString(), "{}");
  assert.equal(checkPayload(Buffer.from("[1,2]")).toString(), "[1,2]");
  assert.equal(checkPayload(Buffer.from('"s"')).toString(), '"s"');
  for (const bad of ["{", "notat:asdf", "\u00ff"]) {
    assertServiceError(
      () => checkPayload(Buffer.from(bad, "latin1")),
      "InvalidRequestContentException",
      400,
      /^Could not parse request body into json: Could not parse payload into json: /,
    );
  }
});

test("the tail of the log is its last 4096 bytes, base64", () => {
  assert.equal(tailLogResult("short"), base64("short"));
  const log = `${"a".repeat(5_000)}${"b".repeat(4_000)}END\n`;
  const tail = Buffer.from(tailLogResult(log), "base64").toString();
  assert.equal(tail.length, 4_096);
  assert.ok(log.endsWith(tail));
});

test("Invoke answers with the reply's status, headers and body", async () => {
  const service = new FakeLambdaService();
  service.invokeReply = (call: InvokeCall) => ({
    requestId: "r-1",
    executedVersion: "3",
    statusCode: 200,
    body: Buffer.from('{"errorType":"Boom"}'),
    contentType: "application/json",
    functionError: true,
    errorType: "Boom",
    log: `log of ${call.functionName}`,
  });
  const answer = await invokeHandler.handle(
    service,
    request({ "x-amz-log-type": "Tail" }, '{"k":1}', "Qualifier=3"),
  );
  assert.deepEqual(answer, {
    kind: "body",
    status: 200,
    headers: {
      "x-amzn-RequestId": "r-1",
      "Content-Type": "application/json",
      "X-Amz-Executed-Version": "3",
      "X-Amz-Function-Error": "Unhandled",
      "X-Amz-Log-Result": base64("log of echo"),
    },
    body: Buffer.from('{"errorType":"Boom"}'),
  });
  const [call] = service.callsOf("invoke");
  const sent = call?.args[0] as InvokeCall;
  assert.equal(sent.functionName, "echo");
  assert.equal(sent.qualifier, "3");
  assert.equal(sent.payload.toString(), '{"k":1}');
  assert.equal(sent.tailLog, true);
});

test("Event and DryRun answer 202 and 204 without a body", async () => {
  const service = new FakeLambdaService();
  const event = await invokeHandler.handle(
    service,
    request({ "x-amz-invocation-type": "Event" }),
  );
  assert.equal(event.kind === "body" && event.status, 202);
  assert.equal(event.kind === "body" && event.body, undefined);
  const dryRun = await invokeHandler.handle(
    service,
    request({ "x-amz-invocation-type": "DryRun" }),
  );
  assert.equal(dryRun.kind === "body" && dryRun.status, 204);
});

test("payload limits follow the invocation type", () => {
  assert.equal(invokeHandler.bodyLimit({}), 6_291_456);
  assert.equal(
    invokeHandler.bodyLimit({ "x-amz-invocation-type": "Event" }),
    1_048_576,
  );
  assert.equal(
    invokeHandler.tooLarge(7_000_000, {}).message,
    "Request must be smaller than 6291456 bytes for the InvokeFunction operation",
  );
  assert.equal(
    invokeHandler.tooLarge(2_000_000, { "x-amz-invocation-type": "Event" })
      .message,
    "2000000 byte payload is too large for the Event invocation type (limit 1048576 bytes)",
  );
});

function frames(answer: Answer): ReturnType<typeof decodeEventStreamMessages> {
  assert.equal(answer.kind, "event-stream");
  if (answer.kind !== "event-stream") return [];
  const written: Buffer[] = [];
  answer.produce(new ResponseStreamWriter((frame) => written.push(frame)));
  return decodeEventStreamMessages(Buffer.concat(written));
}

test("InvokeWithResponseStream sends chunks of at most 64 KiB, then InvokeComplete", async () => {
  const service = new FakeLambdaService();
  const payload = JSON.stringify({ data: "z".repeat(150_000) });
  const answer = await invokeWithResponseStreamHandler.handle(
    service,
    request({ "x-amz-log-type": "Tail" }, payload),
  );
  assert.equal(answer.kind, "event-stream");
  const messages = frames(answer);
  const chunks = messages.filter(
    (m) => m.headers[":event-type"] === "PayloadChunk",
  );
  assert.deepEqual(
    chunks.map((m) => m.payload.length),
    [65_536, 65_536, payload.length - 131_072],
  );
  assert.equal(Buffer.concat(chunks.map((m) => m.payload)).toString(), payload);
  const last = messages.at(-1);
  assert.equal(last?.headers[":event-type"], "InvokeComplete");
  assert.equal(last?.headers[":message-type"], "event");
  const complete = JSON.parse(last?.payload.toString() ?? "") as unknown;
  assert.deepEqual(complete, {
    LogResult: tailLogResult(
      "START RequestId: 11111111-2222-3333-4444-555555555555 Version: $LATEST\nEND RequestId: 11111111-2222-3333-4444-555555555555\n",
    ),
  });
});

test("a function error ends the stream with ErrorCode and ErrorDetails", async () => {
  const service = new FakeLambdaService();
  service.invokeReply = () => ({
    requestId: "r",
    executedVersion: "$LATEST",
    statusCode: 200,
    body: Buffer.from('{"errorType":"Boom","errorMessage":"x"}'),
    contentType: "application/json",
    functionError: true,
    errorType: "Boom",
    log: undefined,
  });
  const messages = frames(
    await invokeWithResponseStreamHandler.handle(service, request({})),
  );
  assert.equal(messages.length, 1);
  assert.deepEqual(JSON.parse(messages[0]?.payload.toString() ?? ""), {
    ErrorCode: "Boom",
    ErrorDetails: '{"errorType":"Boom","errorMessage":"x"}',
  });
});

test("the writer refuses anything after InvokeComplete", () => {
  const writer = new ResponseStreamWriter(() => undefined);
  writer.complete({});
  assert.throws(() => {
    writer.payload(Buffer.from("late"));
  }, /already complete/);
  assert.throws(() => {
    writer.complete({});
  }, /already complete/);
});
