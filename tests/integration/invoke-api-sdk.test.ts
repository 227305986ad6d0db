/**
 * The Invoke API against the REAL AWS SDK for JavaScript v3 (`@aws-sdk/client-lambda`), with the
 * server's URL as `endpoint` and dummy credentials: every command the SDK sends must be routed,
 * parsed and answered in the shape the SDK's deserialisers expect (status codes, headers, blobs,
 * error classes, event streams, waiters). The service behind the server is a recording fake, so
 * only the HTTP edge is under test.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import {
  CreateFunctionCommand,
  DeleteFunctionCommand,
  GetAccountSettingsCommand,
  GetFunctionCommand,
  GetFunctionConcurrencyCommand,
  InvokeCommand,
  InvokeWithResponseStreamCommand,
  LambdaClient,
  LambdaServiceException,
  ListAliasesCommand,
  ListFunctionsCommand,
  ListVersionsByFunctionCommand,
  PublishVersionCommand,
  PutFunctionConcurrencyCommand,
  PutProvisionedConcurrencyConfigCommand,
  RequestTooLargeException,
  ResourceNotFoundException,
  TooManyRequestsException,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  waitUntilFunctionActiveV2,
  waitUntilFunctionUpdatedV2,
} from "@aws-sdk/client-lambda";
import {
  resourceNotFound,
  ServiceException,
} from "../../src/errors/service-exceptions.js";
import type {
  CreateFunctionRequest,
  UpdateFunctionCodeRequest,
  UpdateFunctionConfigurationRequest,
} from "../../src/protocol/control-plane.js";
import { FakeLambdaService } from "../../src/invoke-api/fake-lambda-service.js";
import type { InvokeCall } from "../../src/invoke-api/lambda-service.js";
import { InvokeApiServer } from "../../src/invoke-api/server.js";
import { assertNoLeaks } from "../support/leaks.js";

let service: FakeLambdaService;
let server: InvokeApiServer;
let client: LambdaClient;

before(async () => {
  service = new FakeLambdaService();
  server = await InvokeApiServer.start(service, { port: 0 });
  client = new LambdaClient({
    endpoint: server.url,
    region: "us-east-1",
    credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
    // Throttles and 5xx are retried by default; each test wants to see the first answer.
    maxAttempts: 1,
  });
});

after(async () => {
  client.destroy();
  await server.close();
  await assertNoLeaks();
});

/** Runs `send` and returns what it rejected with, asserting its SDK class, name and status. */
async function sdkError<E extends LambdaServiceException>(
  send: () => Promise<unknown>,
  errorClass: abstract new (...args: never[]) => E,
  name: string,
  status: number,
): Promise<E> {
  try {
    await send();
  } catch (error) {
    assert.ok(error instanceof errorClass, String(error));
    assert.ok(error instanceof LambdaServiceException);
    assert.equal(error.name, name);
    assert.equal(error.$metadata.httpStatusCode, status);
    return error;
  }
  assert.fail(`expected ${name}`);
}

const decoder = new TextDecoder();

test("InvokeCommand RequestResponse: StatusCode, ExecutedVersion, Payload", async () => {
  const payload = JSON.stringify({ hello: "world" });
  const out = await client.send(
    new InvokeCommand({
      FunctionName: "echo",
      Qualifier: "$LATEST",
      Payload: new TextEncoder().encode(payload),
      ClientContext: Buffer.from('{"custom":{"k":"v"}}').toString("base64"),
    }),
  );
  assert.equal(out.StatusCode, 200);
  assert.equal(out.ExecutedVersion, "$LATEST");
  assert.equal(out.FunctionError, undefined);
  assert.equal(out.LogResult, undefined);
  assert.equal(decoder.decode(out.Payload), payload);
  assert.equal(out.$metadata.requestId, "11111111-2222-3333-4444-555555555555");
  const call = service.callsOf("invoke").at(-1)?.args[0] as InvokeCall;
  assert.equal(call.functionName, "echo");
  assert.equal(call.qualifier, "$LATEST");
  assert.equal(call.clientContext, '{"custom":{"k":"v"}}');
});

test("InvokeCommand: FunctionError and a Tail LogResult of the log's last 4 KB", async () => {
  const log = `START RequestId: r Version: $LATEST\n${"line\n".repeat(2_000)}END RequestId: r\nREPORT RequestId: r\tDuration: 1.00 ms\n`;
  const previous = service.invokeReply;
  service.invokeReply = (call) => ({
    requestId: "r",
    executedVersion: "$LATEST",
    statusCode: 200,
    body: Buffer.from('{"errorType":"Error","errorMessage":"boom"}'),
    contentType: "application/json",
    functionError: true,
    errorType: "Error",
    log: call.tailLog ? log : undefined,
  });
  try {
    const out = await client.send(
      new InvokeCommand({ FunctionName: "echo", LogType: "Tail" }),
    );
    assert.equal(out.StatusCode, 200);
    assert.equal(out.FunctionError, "Unhandled");
    assert.deepEqual(JSON.parse(decoder.decode(out.Payload)), {
      errorType: "Error",
      errorMessage: "boom",
    });
    const tail = Buffer.from(out.LogResult ?? "", "base64");
    assert.equal(tail.length, 4_096);
    assert.deepEqual(tail, Buffer.from(log).subarray(-4_096));
  } finally {
    service.invokeReply = previous;
  }
});

test("InvokeCommand: Event answers 202 and DryRun 204", async () => {
  const event = await client.send(
    new InvokeCommand({
      FunctionName: "echo",
      InvocationType: "Event",
      Payload: new TextEncoder().encode("{}"),
    }),
  );
  assert.equal(event.StatusCode, 202);
  assert.equal(event.Payload?.length ?? 0, 0);
  const dryRun = await client.send(
    new InvokeCommand({ FunctionName: "echo", InvocationType: "DryRun" }),
  );
  assert.equal(dryRun.StatusCode, 204);
});

test("TooManyRequestsException is surfaced with its Reason", async () => {
  service.failNextWith(
    new ServiceException("TooManyRequestsException", "Rate Exceeded.", {
      fields: { Reason: "ReservedFunctionConcurrentInvocationLimitExceeded" },
      retryAfterSeconds: 1,
    }),
  );
  const error = await sdkError(
    () => client.send(new InvokeCommand({ FunctionName: "echo" })),
    TooManyRequestsException,
    "TooManyRequestsException",
    429,
  );
  assert.equal(
    error.Reason,
    "ReservedFunctionConcurrentInvocationLimitExceeded",
  );
  assert.equal(error.message, "Rate Exceeded.");
  assert.equal(error.Type, "User");
  assert.equal(error.retryAfterSeconds, "1");
});

test("ResourceNotFoundException", async () => {
  const arn = "arn:aws:lambda:us-east-1:000000000000:function:nope";
  service.failNextWith(resourceNotFound(arn));
  const error = await sdkError(
    () => client.send(new GetFunctionCommand({ FunctionName: "nope" })),
    ResourceNotFoundException,
    "ResourceNotFoundException",
    404,
  );
  assert.equal(error.message, `Function not found: ${arn}`);
});

test("RequestTooLargeException for a payload over 6 MiB", async () => {
  await sdkError(
    () =>
      client.send(
        new InvokeCommand({
          FunctionName: "echo",
          Payload: new Uint8Array(6_291_457).fill(0x20),
        }),
      ),
    RequestTooLargeException,
    "RequestTooLargeException",
    413,
  );
});

test("an operation thaw does not serve is a 404 UnknownOperationException", async () => {
  const error = await sdkError(
    () => client.send(new ListAliasesCommand({ FunctionName: "echo" })),
    LambdaServiceException,
    "UnknownOperationException",
    404,
  );
  assert.match(error.message, /\/2015-03-31\/functions\/echo\/aliases/);
});

test("InvokeWithResponseStreamCommand: PayloadChunk events, then InvokeComplete", async () => {
  const payload = JSON.stringify({ data: "s".repeat(150_000) });
  const out = await client.send(
    new InvokeWithResponseStreamCommand({
      FunctionName: "echo",
      Payload: new TextEncoder().encode(payload),
      LogType: "Tail",
    }),
  );
  assert.equal(out.StatusCode, 200);
  assert.equal(out.ExecutedVersion, "$LATEST");
  assert.equal(
    out.ResponseStreamContentType,
    "application/vnd.amazon.eventstream",
  );
  assert.ok(out.EventStream !== undefined);
  const chunks: Uint8Array[] = [];
  let complete: unknown;
  for await (const event of out.EventStream) {
    if (event.PayloadChunk?.Payload !== undefined)
      chunks.push(event.PayloadChunk.Payload);
    if (event.InvokeComplete !== undefined) complete = event.InvokeComplete;
  }
  assert.equal(chunks.length, 3);
  assert.equal(decoder.decode(Buffer.concat(chunks)), payload);
  assert.equal(
    typeof (complete as { LogResult?: unknown }).LogResult,
    "string",
  );
  assert.equal((complete as { ErrorCode?: unknown }).ErrorCode, undefined);
});

test("InvokeWithResponseStreamCommand: a function error in InvokeComplete", async () => {
  const previous = service.invokeReply;
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
  try {
    const out = await client.send(
      new InvokeWithResponseStreamCommand({ FunctionName: "echo" }),
    );
    const events = [];
    for await (const event of out.EventStream ?? []) events.push(event);
    assert.deepEqual(events, [
      {
        InvokeComplete: {
          ErrorCode: "Boom",
          ErrorDetails: '{"errorType":"Boom","errorMessage":"x"}',
        },
      },
    ]);
  } finally {
    service.invokeReply = previous;
  }
});

test("CreateFunctionCommand: the ZipFile reaches the service as the same bytes", async () => {
  const zip = Buffer.from([
    0x50, 0x4b, 0x03, 0x04, 0x00, 0xff, 0x80, 0x7f, 0x0a, 0x0d, 0x00,
  ]);
  const out = await client.send(
    new CreateFunctionCommand({
      FunctionName: "created",
      Runtime: "nodejs20.x",
      Handler: "index.handler",
      Role: "arn:aws:iam::000000000000:role/lambda",
      Code: { ZipFile: zip },
      MemorySize: 256,
      Environment: { Variables: { A: "1" } },
      Publish: false,
    }),
  );
  assert.equal(out.$metadata.httpStatusCode, 201);
  assert.equal(out.FunctionName, "created");
  assert.equal(out.State, "Pending");
  assert.equal(out.LastUpdateStatus, undefined);
  const request = service.callsOf("createFunction").at(-1)
    ?.args[0] as CreateFunctionRequest;
  assert.ok(Buffer.isBuffer(request.Code.ZipFile));
  assert.deepEqual(request.Code.ZipFile, zip);
  assert.equal(request.MemorySize, 256);
  assert.deepEqual(request.Environment, { Variables: { A: "1" } });
  assert.equal(request.Publish, false);
});

test("GetFunction, ListFunctions and ListVersionsByFunction", async () => {
  const got = await client.send(
    new GetFunctionCommand({ FunctionName: "echo", Qualifier: "$LATEST" }),
  );
  assert.equal(got.Configuration?.FunctionName, "echo");
  assert.equal(got.Code?.RepositoryType, "S3");
  assert.deepEqual(service.callsOf("getFunction").at(-1)?.args, [
    { functionName: "echo", qualifier: "$LATEST" },
  ]);
  const listed = await client.send(
    new ListFunctionsCommand({ MaxItems: 10, FunctionVersion: "ALL" }),
  );
  assert.deepEqual(
    listed.Functions?.map((f) => f.FunctionName),
    ["echo"],
  );
  assert.equal(listed.NextMarker, undefined);
  assert.deepEqual(service.callsOf("listFunctions").at(-1)?.args, [
    { marker: undefined, maxItems: 10, allVersions: true },
  ]);
  const versions = await client.send(
    new ListVersionsByFunctionCommand({ FunctionName: "echo" }),
  );
  assert.equal(versions.Versions?.[0]?.Version, "$LATEST");
});

test("UpdateFunctionCode, UpdateFunctionConfiguration, PublishVersion, DeleteFunction", async () => {
  const zip = Buffer.from("PK\x03\x04new code");
  const code = await client.send(
    new UpdateFunctionCodeCommand({ FunctionName: "echo", ZipFile: zip }),
  );
  assert.equal(code.LastUpdateStatus, "InProgress");
  const codeRequest = service.callsOf("updateFunctionCode").at(-1)
    ?.args[1] as UpdateFunctionCodeRequest;
  assert.deepEqual(codeRequest.ZipFile, zip);

  const config = await client.send(
    new UpdateFunctionConfigurationCommand({
      FunctionName: "echo",
      MemorySize: 512,
      Timeout: 30,
    }),
  );
  assert.equal(config.MemorySize, 512);
  assert.equal(config.Timeout, 30);
  const configRequest = service.callsOf("updateFunctionConfiguration").at(-1)
    ?.args[1] as UpdateFunctionConfigurationRequest;
  assert.deepEqual(configRequest, { MemorySize: 512, Timeout: 30 });

  const published = await client.send(
    new PublishVersionCommand({ FunctionName: "echo", Description: "first" }),
  );
  assert.equal(published.$metadata.httpStatusCode, 201);
  assert.equal(published.Version, "1");
  assert.equal(published.Description, "first");

  const deleted = await client.send(
    new DeleteFunctionCommand({ FunctionName: "echo", Qualifier: "1" }),
  );
  assert.equal(deleted.$metadata.httpStatusCode, 204);
  assert.deepEqual(service.callsOf("deleteFunction").at(-1)?.args, [
    { functionName: "echo", qualifier: "1" },
  ]);
});

test("Put and Get FunctionConcurrency, PutProvisionedConcurrencyConfig, GetAccountSettings", async () => {
  const put = await client.send(
    new PutFunctionConcurrencyCommand({
      FunctionName: "echo",
      ReservedConcurrentExecutions: 7,
    }),
  );
  assert.equal(put.ReservedConcurrentExecutions, 7);
  const got = await client.send(
    new GetFunctionConcurrencyCommand({ FunctionName: "echo" }),
  );
  assert.equal(got.ReservedConcurrentExecutions, 7);
  const provisioned = await client.send(
    new PutProvisionedConcurrencyConfigCommand({
      FunctionName: "echo",
      Qualifier: "1",
      ProvisionedConcurrentExecutions: 2,
    }),
  );
  assert.equal(provisioned.$metadata.httpStatusCode, 202);
  assert.equal(provisioned.RequestedProvisionedConcurrentExecutions, 2);
  assert.equal(provisioned.Status, "IN_PROGRESS");
  assert.deepEqual(
    service.callsOf("putProvisionedConcurrencyConfig").at(-1)?.args,
    [{ functionName: "echo", qualifier: "1" }, 2],
  );
  const settings = await client.send(new GetAccountSettingsCommand({}));
  assert.equal(settings.AccountLimit?.ConcurrentExecutions, 1000);
  assert.equal(settings.AccountLimit?.UnreservedConcurrentExecutions, 993);
});

test("waitUntilFunctionActiveV2 and waitUntilFunctionUpdatedV2 poll to success", async () => {
  service.states = ["Pending", "Pending", "Active"];
  const active = await waitUntilFunctionActiveV2(
    { client, maxWaitTime: 20, minDelay: 0.05, maxDelay: 0.1 },
    { FunctionName: "echo" },
  );
  assert.equal(active.state, "SUCCESS");
  service.updateStatuses = ["InProgress", "Successful"];
  const updated = await waitUntilFunctionUpdatedV2(
    { client, maxWaitTime: 20, minDelay: 0.05, maxDelay: 0.1 },
    { FunctionName: "echo" },
  );
  assert.equal(updated.state, "SUCCESS");
  assert.ok(service.callsOf("getFunction").length >= 5);
});
