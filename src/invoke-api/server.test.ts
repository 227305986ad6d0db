import { after, test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import {
  Agent,
  request as httpRequest,
  type ClientRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
} from "node:http";
import { once } from "node:events";
import { assertNoLeaks } from "../../tests/support/leaks.js";
import {
  ServiceException,
  tooManyRequests,
} from "../errors/service-exceptions.js";
import { InvalidPackageError } from "../errors/usage-errors.js";
import { decodeEventStreamMessages } from "../protocol/event-stream.js";
import { deferred } from "../util/deferred.js";
import { FakeLambdaService } from "./fake-lambda-service.js";
import type { InvokeCall, LambdaService } from "./lambda-service.js";
import { InvokeApiServer } from "./server.js";

interface Reply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  readonly text: string;
  readonly reusedSocket: boolean;
}

interface CallOptions {
  readonly body?: Buffer | string;
  readonly headers?: Readonly<Record<string, string>>;
  /** A keep-alive agent; by default each call has its own connection. */
  readonly agent?: Agent;
}

function call(
  server: InvokeApiServer,
  method: string,
  path: string,
  options: CallOptions = {},
): Promise<Reply> {
  const url = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req: ClientRequest = httpRequest(
      {
        agent: options.agent ?? false,
        host: url.hostname,
        port: Number(url.port),
        method,
        path,
        headers: options.headers ?? {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const body = Buffer.concat(chunks);
          const done = (): void => {
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body,
              text: body.toString("utf8"),
              reusedSocket: req.reusedSocket,
            });
          };
          // A keep-alive socket is free again only once the request is also fully sent.
          if (req.writableFinished) done();
          else req.once("finish", done);
        });
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

function json(value: unknown): string {
  return JSON.stringify(value);
}

async function setup(
  t: TestContext,
  service: LambdaService = new FakeLambdaService(),
): Promise<{ server: InvokeApiServer; unexpected: unknown[] }> {
  const unexpected: unknown[] = [];
  const server = await InvokeApiServer.start(service, {
    port: 0,
    onUnexpectedError: (error) => unexpected.push(error),
  });
  t.after(() => server.destroy());
  return { server, unexpected };
}

/** Asserts AWS's error shape (spec §5.4) and returns the parsed body. */
function assertError(
  reply: Reply,
  status: number,
  name: string,
  message?: RegExp,
): Record<string, unknown> {
  assert.equal(reply.status, status, reply.text);
  assert.equal(reply.headers["x-amzn-errortype"], name);
  assert.equal(reply.headers["content-type"], "application/json");
  assert.match(String(reply.headers["x-amzn-requestid"]), /^[0-9a-f-]{36}$/);
  const body = JSON.parse(reply.text) as Record<string, unknown>;
  assert.equal(body.Type, status >= 500 ? "Service" : "User");
  assert.equal(typeof body.message, "string");
  assert.equal(body.Message, body.message);
  if (message !== undefined) assert.match(String(body.message), message);
  return body;
}

after(async () => {
  await assertNoLeaks();
});

test("Invoke: the result, its headers and the call the service sees", async (t) => {
  const service = new FakeLambdaService();
  const { server } = await setup(t, service);
  const reply = await call(
    server,
    "POST",
    "/2015-03-31/functions/echo%3A3/invocations?Qualifier=3",
    {
      body: '{"hello":"world"}',
      headers: {
        "X-Amz-Client-Context": Buffer.from('{"custom":{}}').toString("base64"),
        "X-Amz-Tenant-Id": "t-1",
        Authorization:
          "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=00",
        "Content-Type": "application/octet-stream",
      },
    },
  );
  assert.equal(reply.status, 200);
  assert.equal(reply.text, '{"hello":"world"}');
  assert.equal(
    reply.headers["x-amzn-requestid"],
    "11111111-2222-3333-4444-555555555555",
  );
  assert.equal(reply.headers["x-amz-executed-version"], "3");
  assert.equal(reply.headers["content-type"], "application/json");
  assert.equal(reply.headers["x-amz-function-error"], undefined);
  assert.equal(reply.headers["x-amz-log-result"], undefined);
  const sent = service.callsOf("invoke")[0]?.args[0] as InvokeCall;
  assert.equal(sent.functionName, "echo:3");
  assert.equal(sent.qualifier, "3");
  assert.equal(sent.invocationType, "RequestResponse");
  assert.equal(sent.clientContext, '{"custom":{}}');
  assert.equal(sent.tenantId, "t-1");
  assert.equal(sent.signal.aborted, false);
});

test("Invoke: function error, tail log, Event and DryRun", async (t) => {
  const service = new FakeLambdaService();
  const { server } = await setup(t, service);
  const log = `START\n${"x".repeat(5_000)}\nREPORT RequestId: r\n`;
  service.invokeReply = (call) => ({
    requestId: "r-2",
    executedVersion: "$LATEST",
    statusCode: 200,
    body: Buffer.from('{"errorType":"Error","errorMessage":"boom"}'),
    contentType: "application/json",
    functionError: true,
    errorType: "Error",
    log: call.tailLog ? log : undefined,
  });
  const failed = await call(
    server,
    "POST",
    "/2015-03-31/functions/echo/invocations",
    { body: "{}", headers: { "X-Amz-Log-Type": "Tail" } },
  );
  assert.equal(failed.status, 200);
  assert.equal(failed.headers["x-amz-function-error"], "Unhandled");
  assert.equal(failed.headers["x-amzn-requestid"], "r-2");
  const tail = Buffer.from(
    String(failed.headers["x-amz-log-result"]),
    "base64",
  ).toString();
  assert.equal(tail, Buffer.from(log).subarray(-4096).toString());

  service.invokeReply = new FakeLambdaService().invokeReply;
  const event = await call(
    server,
    "POST",
    "/2015-03-31/functions/echo/invocations",
    { body: "{}", headers: { "X-Amz-Invocation-Type": "Event" } },
  );
  assert.equal(event.status, 202);
  assert.equal(event.body.length, 0);
  assert.ok(event.headers["x-amzn-requestid"] !== undefined);
  const dryRun = await call(
    server,
    "POST",
    "/2015-03-31/functions/echo/invocations",
    { body: "{}", headers: { "X-Amz-Invocation-Type": "DryRun" } },
  );
  assert.equal(dryRun.status, 204);
  assert.equal(dryRun.body.length, 0);
});

test("Invoke: an empty body invokes with {}", async (t) => {
  const service = new FakeLambdaService();
  const { server } = await setup(t, service);
  const reply = await call(
    server,
    "POST",
    "/2015-03-31/functions/echo/invocations",
  );
  assert.equal(reply.status, 200);
  assert.equal(reply.text, "{}");
});

test("Invoke: bad JSON and bad headers are 400s in AWS's shape", async (t) => {
  const service = new FakeLambdaService();
  const { server } = await setup(t, service);
  const path = "/2015-03-31/functions/echo/invocations";
  assertError(
    await call(server, "POST", path, { body: "notat:asdf" }),
    400,
    "InvalidRequestContentException",
    /^Could not parse request body into json: Could not parse payload into json: /,
  );
  assertError(
    await call(server, "POST", path, {
      body: "{}",
      headers: { "X-Amz-Invocation-Type": "Later" },
    }),
    400,
    "InvalidParameterValueException",
  );
  assertError(
    await call(server, "POST", path, {
      body: "{}",
      headers: { "X-Amz-Log-Type": "Everything" },
    }),
    400,
    "ValidationException",
  );
  assertError(
    await call(server, "POST", path, {
      body: "{}",
      headers: { "X-Amz-Client-Context": "e30=!" },
    }),
    400,
    "InvalidRequestContentException",
    /^Client context must be a valid Base64-encoded JSON object\.$/,
  );
  assert.equal(service.callsOf("invoke").length, 0);
});

/** Sends a body of `declared` bytes (or chunked), writing until the response head arrives. */
async function oversized(
  server: InvokeApiServer,
  headers: Readonly<Record<string, string>>,
  declared: number | undefined,
): Promise<{ reply: Reply; written: number }> {
  const url = new URL(server.url);
  const req = httpRequest({
    agent: false,
    host: url.hostname,
    port: Number(url.port),
    method: "POST",
    path: "/2015-03-31/functions/echo/invocations",
    headers: {
      ...headers,
      ...(declared === undefined
        ? { "Transfer-Encoding": "chunked" }
        : { "Content-Length": String(declared) }),
    },
  });
  req.on("error", () => undefined);
  const response = once(req, "response") as Promise<[IncomingMessage]>;
  let answered = false;
  void response.then(() => {
    answered = true;
  });
  const chunk = Buffer.alloc(256 * 1024, 0x20);
  let written = 0;
  const max = declared ?? 64 * 1024 * 1024;
  while (!answered && written + chunk.length <= max) {
    written += chunk.length;
    if (!req.write(chunk)) await Promise.race([once(req, "drain"), response]);
  }
  const [res] = await response;
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  req.destroy();
  const body = Buffer.concat(chunks);
  return {
    reply: {
      status: res.statusCode ?? 0,
      headers: res.headers,
      body,
      text: body.toString(),
      reusedSocket: false,
    },
    written,
  };
}

test("Invoke: a body over 6 MiB is refused with 413 before it is all sent", async (t) => {
  const service = new FakeLambdaService();
  const { server } = await setup(t, service);
  // Declared too large: answered at once, whatever is sent.
  const declared = await oversized(server, {}, 100 * 1024 * 1024);
  assertError(
    declared.reply,
    413,
    "RequestTooLargeException",
    /^Request must be smaller than 6291456 bytes for the InvokeFunction operation$/,
  );
  assert.ok(declared.written < 100 * 1024 * 1024);
  // Chunked: answered once the running count passes the limit, long before 64 MiB are sent.
  const chunked = await oversized(server, {}, undefined);
  assertError(chunked.reply, 413, "RequestTooLargeException");
  assert.ok(
    chunked.written < 64 * 1024 * 1024,
    `wrote ${chunked.written} bytes`,
  );
  // Event: 1 MiB, with the size in the message.
  const event = await oversized(
    server,
    { "X-Amz-Invocation-Type": "Event" },
    2_000_000,
  );
  assertError(
    event.reply,
    413,
    "RequestTooLargeException",
    /^2000000 byte payload is too large for the Event invocation type \(limit 1048576 bytes\)$/,
  );
  assert.equal(service.callsOf("invoke").length, 0);
});

test("Invoke: a payload at the limit is accepted, and the connection stays usable after a 413", async (t) => {
  const service = new FakeLambdaService();
  const { server } = await setup(t, service);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  t.after(() => {
    agent.destroy();
  });
  const path = "/2015-03-31/functions/echo/invocations";
  const atLimit = Buffer.alloc(6_291_456, 0x20);
  atLimit[0] = 0x30; // "0" followed by blanks: valid JSON
  const ok = await call(server, "POST", path, { body: atLimit, agent });
  assert.equal(ok.status, 200);
  const tooBig = await call(server, "POST", path, {
    body: Buffer.alloc(6_291_457, 0x20),
    agent,
  });
  assertError(tooBig, 413, "RequestTooLargeException");
  const again = await call(server, "POST", path, { body: "[]", agent });
  assert.equal(again.status, 200);
  assert.equal(again.text, "[]");
  assert.equal(again.reusedSocket, true);
});

test("InvokeWithResponseStream: event-stream frames", async (t) => {
  const service = new FakeLambdaService();
  const { server } = await setup(t, service);
  const payload = json({ big: "y".repeat(100_000) });
  const reply = await call(
    server,
    "POST",
    "/2021-11-15/functions/echo/response-streaming-invocations",
    { body: payload },
  );
  assert.equal(reply.status, 200);
  assert.equal(
    reply.headers["content-type"],
    "application/vnd.amazon.eventstream",
  );
  assert.equal(reply.headers["x-amz-executed-version"], "$LATEST");
  const messages = decodeEventStreamMessages(reply.body);
  assert.deepEqual(
    messages.map((m) => m.headers[":event-type"]),
    ["PayloadChunk", "PayloadChunk", "InvokeComplete"],
  );
  assert.equal(
    Buffer.concat(messages.slice(0, 2).map((m) => m.payload)).toString(),
    payload,
  );
  assert.equal(messages[2]?.payload.toString(), "{}");
  assertError(
    await call(
      server,
      "POST",
      "/2021-11-15/functions/echo/response-streaming-invocations",
      { body: "{}", headers: { "X-Amz-Invocation-Type": "Event" } },
    ),
    400,
    "InvalidParameterValueException",
  );
  const dryRun = await call(
    server,
    "POST",
    "/2021-11-15/functions/echo/response-streaming-invocations",
    { body: "{}", headers: { "X-Amz-Invocation-Type": "DryRun" } },
  );
  assert.equal(dryRun.status, 204);
});

/** One control-plane route: the request, the status it answers and the call the service sees. */
interface RouteCase {
  readonly method: string;
  readonly path: string;
  readonly body?: string;
  readonly status: number;
  readonly called: keyof LambdaService;
  readonly args?: readonly unknown[];
}

const ZIP = Buffer.from("PK\x03\x04fake zip bytes");

const ROUTES: readonly RouteCase[] = [
  {
    method: "POST",
    path: "/2015-03-31/functions",
    body: json({
      FunctionName: "f",
      Runtime: "nodejs20.x",
      Handler: "index.handler",
      Role: "arn:aws:iam::000000000000:role/r",
      Code: { ZipFile: ZIP.toString("base64") },
    }),
    status: 201,
    called: "createFunction",
    args: [
      {
        FunctionName: "f",
        Runtime: "nodejs20.x",
        Handler: "index.handler",
        Role: "arn:aws:iam::000000000000:role/r",
        Code: { ZipFile: ZIP },
      },
    ],
  },
  {
    method: "GET",
    path: "/2015-03-31/functions/f?Qualifier=%24LATEST",
    status: 200,
    called: "getFunction",
    args: [{ functionName: "f", qualifier: "$LATEST" }],
  },
  {
    method: "GET",
    path: "/2015-03-31/functions/f/configuration",
    status: 200,
    called: "getFunctionConfiguration",
    args: [{ functionName: "f", qualifier: undefined }],
  },
  {
    method: "GET",
    path: "/2015-03-31/functions/?MaxItems=1&Marker=0&FunctionVersion=ALL",
    status: 200,
    called: "listFunctions",
    args: [{ marker: "0", maxItems: 1, allVersions: true }],
  },
  {
    method: "GET",
    path: "/2015-03-31/functions/f/versions",
    status: 200,
    called: "listVersionsByFunction",
    args: [
      { functionName: "f", qualifier: undefined },
      { marker: undefined, maxItems: undefined },
    ],
  },
  {
    method: "PUT",
    path: "/2015-03-31/functions/f/code",
    body: json({ ZipFile: ZIP.toString("base64"), Publish: true }),
    status: 200,
    called: "updateFunctionCode",
    args: [
      { functionName: "f", qualifier: undefined },
      { ZipFile: ZIP, Publish: true },
    ],
  },
  {
    method: "PUT",
    path: "/2015-03-31/functions/f/configuration",
    body: json({ MemorySize: 256, Environment: { Variables: { A: "b" } } }),
    status: 200,
    called: "updateFunctionConfiguration",
    args: [
      { functionName: "f", qualifier: undefined },
      { MemorySize: 256, Environment: { Variables: { A: "b" } } },
    ],
  },
  {
    method: "DELETE",
    path: "/2015-03-31/functions/f?Qualifier=2",
    status: 204,
    called: "deleteFunction",
    args: [{ functionName: "f", qualifier: "2" }],
  },
  {
    method: "POST",
    path: "/2015-03-31/functions/f/versions",
    body: json({ Description: "v1" }),
    status: 201,
    called: "publishVersion",
    args: [{ functionName: "f", qualifier: undefined }, { Description: "v1" }],
  },
  {
    method: "PUT",
    path: "/2017-10-31/functions/f/concurrency",
    body: json({ ReservedConcurrentExecutions: 5 }),
    status: 200,
    called: "putFunctionConcurrency",
    args: [{ functionName: "f", qualifier: undefined }, 5],
  },
  {
    method: "GET",
    path: "/2019-09-30/functions/f/concurrency",
    status: 200,
    called: "getFunctionConcurrency",
  },
  {
    method: "DELETE",
    path: "/2017-10-31/functions/f/concurrency",
    status: 204,
    called: "deleteFunctionConcurrency",
  },
  {
    method: "PUT",
    path: "/2019-09-30/functions/f/provisioned-concurrency?Qualifier=1",
    body: json({ ProvisionedConcurrentExecutions: 2 }),
    status: 202,
    called: "putProvisionedConcurrencyConfig",
    args: [{ functionName: "f", qualifier: "1" }, 2],
  },
  {
    method: "GET",
    path: "/2019-09-30/functions/f/provisioned-concurrency?Qualifier=1",
    status: 200,
    called: "getProvisionedConcurrencyConfig",
  },
  {
    method: "DELETE",
    path: "/2019-09-30/functions/f/provisioned-concurrency?Qualifier=1",
    status: 204,
    called: "deleteProvisionedConcurrencyConfig",
  },
  {
    method: "GET",
    path: "/2016-08-19/account-settings",
    status: 200,
    called: "getAccountSettings",
  },
];

test("every control-plane route reaches its service method with the right status", async (t) => {
  const service = new FakeLambdaService();
  const { server } = await setup(t, service);
  for (const route of ROUTES) {
    const reply = await call(server, route.method, route.path, {
      ...(route.body === undefined
        ? {}
        : {
            body: route.body,
            headers: { "Content-Type": "application/json" },
          }),
    });
    const label = `${route.method} ${route.path}`;
    assert.equal(reply.status, route.status, `${label}: ${reply.text}`);
    assert.match(
      String(reply.headers["x-amzn-requestid"]),
      /^[0-9a-f-]{36}$/,
      label,
    );
    const last = service.calls.at(-1);
    assert.equal(last?.method, route.called, label);
    if (route.args !== undefined)
      assert.deepEqual(last.args, route.args, label);
    if (route.status === 204) assert.equal(reply.body.length, 0, label);
    else assert.equal(reply.headers["content-type"], "application/json", label);
  }
});

test("control-plane answers have AWS's JSON shapes", async (t) => {
  const service = new FakeLambdaService();
  const { server } = await setup(t, service);
  const list = JSON.parse(
    (await call(server, "GET", "/2015-03-31/functions")).text,
  ) as Record<string, unknown>;
  assert.deepEqual(Object.keys(list), ["Functions"]);
  service.functions.push(service.functions[0] as never);
  const page = JSON.parse(
    (await call(server, "GET", "/2015-03-31/functions?MaxItems=1")).text,
  ) as Record<string, unknown>;
  assert.equal(page.NextMarker, "1");
  const versions = JSON.parse(
    (await call(server, "GET", "/2015-03-31/functions/echo/versions")).text,
  ) as Record<string, unknown>;
  assert.ok(Array.isArray(versions.Versions));
  assert.deepEqual(
    JSON.parse(
      (await call(server, "GET", "/2019-09-30/functions/echo/concurrency"))
        .text,
    ),
    {},
  );
  await call(server, "PUT", "/2017-10-31/functions/echo/concurrency", {
    body: json({ ReservedConcurrentExecutions: 0 }),
  });
  assert.deepEqual(
    JSON.parse(
      (await call(server, "GET", "/2019-09-30/functions/echo/concurrency"))
        .text,
    ),
    { ReservedConcurrentExecutions: 0 },
  );
  const created = JSON.parse(
    (
      await call(server, "POST", "/2015-03-31/functions", {
        body: json({ FunctionName: "g", Code: {} }),
      })
    ).text,
  ) as Record<string, unknown>;
  assert.equal(created.State, "Pending");
  assert.equal("LastUpdateStatus" in created, false);
});

test("control-plane bodies: bad JSON, wrong types, missing members, content type, size", async (t) => {
  const service = new FakeLambdaService();
  const { server } = await setup(t, service);
  assertError(
    await call(server, "POST", "/2015-03-31/functions", { body: "{oops" }),
    400,
    "InvalidRequestContentException",
    /^Could not parse request body into json: /,
  );
  assertError(
    await call(server, "PUT", "/2015-03-31/functions/f/configuration", {
      body: json({ MemorySize: "lots" }),
    }),
    400,
    "InvalidParameterValueException",
    /MemorySize/,
  );
  assertError(
    await call(server, "PUT", "/2017-10-31/functions/f/concurrency", {
      body: json({ ReservedConcurrentExecutions: "5" }),
    }),
    400,
    "InvalidParameterValueException",
    /ReservedConcurrentExecutions/,
  );
  assertError(
    await call(server, "POST", "/2015-03-31/functions", {
      body: json({ Code: {} }),
    }),
    400,
    "ValidationException",
    /'functionName'/,
  );
  assertError(
    await call(server, "POST", "/2015-03-31/functions", {
      body: json({ FunctionName: "f", Code: {} }),
      headers: { "Content-Type": "text/plain" },
    }),
    415,
    "UnsupportedMediaTypeException",
  );
  const accepted = await call(server, "POST", "/2015-03-31/functions", {
    body: json({ FunctionName: "f", Code: {} }),
    headers: { "Content-Type": "application/x-amz-json-1.1; charset=utf-8" },
  });
  assert.equal(accepted.status, 201);
  assertError(
    await call(server, "PUT", "/2015-03-31/functions/f/configuration", {
      body: json({ Description: "d".repeat(1_100_000) }),
    }),
    413,
    "RequestTooLargeException",
    /for the UpdateFunctionConfiguration operation$/,
  );
  assertError(
    await call(server, "GET", "/2015-03-31/functions?MaxItems=many"),
    400,
    "InvalidParameterValueException",
    /MaxItems/,
  );
  assertError(
    await call(server, "GET", "/2015-03-31/functions?FunctionVersion=SOME"),
    400,
    "ValidationException",
    /'functionVersion'/,
  );
  assertError(
    await call(
      server,
      "GET",
      "/2019-09-30/functions/f/provisioned-concurrency",
    ),
    400,
    "ValidationException",
    /^1 validation error detected: Value null at 'qualifier' failed to satisfy constraint: Member must not be null$/,
  );
  assert.equal(
    service.calls.filter((c) => c.method !== "createFunction").length,
    0,
  );
});

test("unknown routes, wrong methods and bad names are 4xx", async (t) => {
  const { server } = await setup(t);
  assertError(
    await call(server, "GET", "/2015-03-31/functions/f/aliases"),
    404,
    "UnknownOperationException",
  );
  assertError(
    await call(server, "POST", "/2014-11-13/functions/f/invoke-async/", {
      body: "{}",
    }),
    404,
    "UnknownOperationException",
  );
  const wrong = await call(
    server,
    "GET",
    "/2015-03-31/functions/f/invocations",
  );
  assertError(wrong, 405, "MethodNotAllowedException", /use POST/);
  assert.equal(wrong.headers.allow, "POST");
  assertError(
    await call(server, "GET", "/2015-03-31/functions/%E0%A4%A"),
    400,
    "InvalidParameterValueException",
  );
});

test("service errors keep their name, status, fields and Retry-After", async (t) => {
  const service = new FakeLambdaService();
  const { server, unexpected } = await setup(t, service);
  const path = "/2015-03-31/functions/echo/invocations";
  service.failNextWith(
    new ServiceException("TooManyRequestsException", "Rate Exceeded.", {
      fields: { Reason: "ReservedFunctionConcurrentInvocationLimitExceeded" },
      retryAfterSeconds: 2,
    }),
  );
  const throttled = await call(server, "POST", path, { body: "{}" });
  const body = assertError(throttled, 429, "TooManyRequestsException");
  assert.deepEqual(body, {
    Reason: "ReservedFunctionConcurrentInvocationLimitExceeded",
    Type: "User",
    message: "Rate Exceeded.",
    Message: "Rate Exceeded.",
  });
  assert.equal(throttled.headers["retry-after"], "2");

  service.failNextWith(tooManyRequests("ConcurrentInvocationLimitExceeded"));
  const plain = await call(server, "POST", path, { body: "{}" });
  assertError(plain, 429, "TooManyRequestsException");
  assert.equal(plain.headers["retry-after"], undefined);

  service.failNextWith(new InvalidPackageError("corrupt-zip", "Bad zip."));
  assertError(
    await call(server, "POST", "/2015-03-31/functions", {
      body: json({ FunctionName: "f", Code: {} }),
    }),
    400,
    "InvalidParameterValueException",
    /^Bad zip\.$/,
  );

  const bug = new TypeError("cannot read properties of undefined");
  service.failNextWith(bug);
  const crashed = await call(server, "GET", "/2015-03-31/functions/f");
  assertError(crashed, 500, "ServiceException");
  assert.doesNotMatch(crashed.text, /undefined/);
  assert.deepEqual(unexpected, [bug]);
});

test("the status page: HTML by default, JSON on request", async (t) => {
  const { server } = await setup(t);
  const html = await call(server, "GET", "/");
  assert.equal(html.status, 200);
  assert.match(String(html.headers["content-type"]), /^text\/html/);
  assert.match(html.text, /<td>echo<\/td><td>\$LATEST<\/td>/);
  assert.match(html.text, /ready: 1, busy: 0/);
  assert.match(html.text, /&lt;script&gt;/);
  assert.doesNotMatch(html.text, /<script>/);
  const data = await call(server, "GET", "/", {
    headers: { Accept: "application/json" },
  });
  assert.equal(data.headers["content-type"], "application/json");
  const status = JSON.parse(data.text) as { functions: unknown[] };
  assert.equal(status.functions.length, 2);
});

test("keep-alive: one connection serves several requests", async (t) => {
  const { server } = await setup(t);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  t.after(() => {
    agent.destroy();
  });
  const first = await call(server, "GET", "/2015-03-31/functions", { agent });
  const second = await call(server, "GET", "/2015-03-31/functions", { agent });
  assert.equal(first.status, 200);
  assert.equal(second.status, 200);
  assert.equal(second.reusedSocket, true);
});

/** A fake whose Invoke waits until the test releases it, and reports when it starts. */
function parkedInvoke(service: FakeLambdaService): {
  started: Promise<InvokeCall>;
  release: () => void;
} {
  const started = deferred<InvokeCall>();
  const released = deferred<undefined>();
  const echo = service.invokeReply;
  service.invokeReply = async (call) => {
    started.resolve(call);
    await released.promise;
    return echo(call);
  };
  return {
    started: started.promise,
    release: () => {
      released.resolve(undefined);
    },
  };
}

test("the Invocation's signal aborts when the client disconnects", async (t) => {
  const service = new FakeLambdaService();
  const { server } = await setup(t, service);
  const parked = parkedInvoke(service);
  const url = new URL(server.url);
  const req = httpRequest({
    agent: false,
    host: url.hostname,
    port: Number(url.port),
    method: "POST",
    path: "/2015-03-31/functions/echo/invocations",
  });
  req.on("error", () => undefined);
  req.end("{}");
  const invocation = await parked.started;
  assert.equal(invocation.signal.aborted, false);
  req.destroy();
  await once(invocation.signal, "abort");
  parked.release();
});

test("close() drains: the request in flight is answered, new connections are refused", async (t) => {
  const service = new FakeLambdaService();
  const { server } = await setup(t, service);
  const parked = parkedInvoke(service);
  const agent = new Agent({ keepAlive: true });
  t.after(() => {
    agent.destroy();
  });
  const idle = await call(server, "GET", "/2015-03-31/functions", { agent });
  assert.equal(idle.status, 200);
  const inFlight = call(
    server,
    "POST",
    "/2015-03-31/functions/echo/invocations",
    {
      body: '{"late":true}',
    },
  );
  await parked.started;
  const closed = server.close();
  assert.equal(server.state, "closing");
  assert.equal(server.close(), closed);
  await assert.rejects(call(server, "GET", "/"), { code: "ECONNREFUSED" });
  parked.release();
  const reply = await inFlight;
  assert.equal(reply.status, 200);
  assert.equal(reply.text, '{"late":true}');
  await closed;
  assert.equal(server.state, "closed");
  await server.destroy();
});

test("destroy() drops requests in flight and aborts their Invocations", async (t) => {
  const service = new FakeLambdaService();
  const { server } = await setup(t, service);
  const parked = parkedInvoke(service);
  const inFlight = call(
    server,
    "POST",
    "/2015-03-31/functions/echo/invocations",
    {
      body: "{}",
    },
  );
  const invocation = await parked.started;
  const destroyed = server.destroy();
  assert.equal(server.destroy(), destroyed);
  await assert.rejects(inFlight, { code: "ECONNRESET" });
  assert.equal(invocation.signal.aborted, true);
  await destroyed;
  assert.equal(server.state, "closed");
  parked.release();
});

test("start() fails when the port is taken", async (t) => {
  const { server } = await setup(t);
  const port = Number(new URL(server.url).port);
  await assert.rejects(
    InvokeApiServer.start(new FakeLambdaService(), { port }),
    { code: "EADDRINUSE" },
  );
});
