import { test } from "node:test";
import assert from "node:assert/strict";
import {
  Agent,
  request as httpRequest,
  type IncomingHttpHeaders,
} from "node:http";
import { MAX_RESPONSE_PAYLOAD_BYTES } from "../protocol/runtime-api.js";
import {
  RuntimeChannel,
  type RuntimeAnswer,
  type RuntimeChannelEvents,
} from "./runtime-channel.js";
import { RuntimeApiServer } from "./server.js";

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One request through a keep-alive agent, as the runtime clients send them. */
function call(
  agent: Agent,
  address: string,
  method: string,
  path: string,
  options: {
    body?: Buffer | string;
    headers?: Record<string, string>;
    trailers?: Record<string, string>;
  } = {},
): Promise<Reply> {
  const [host, port] = address.split(":");
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        agent,
        host,
        port: Number(port),
        method,
        path,
        headers: options.headers ?? {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString("utf8"),
          });
        });
      },
    );
    req.on("error", reject);
    if (options.trailers !== undefined) req.addTrailers(options.trailers);
    req.end(options.body);
  });
}

function errorTypeOf(body: string): unknown {
  return (JSON.parse(body) as { errorType?: unknown }).errorType;
}

async function setup(
  t: { after: (fn: () => Promise<void>) => void },
  events: RuntimeChannelEvents = {},
): Promise<{
  channel: RuntimeChannel;
  server: RuntimeApiServer;
  agent: Agent;
}> {
  const channel = new RuntimeChannel(events);
  const server = await RuntimeApiServer.start(channel);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  t.after(async () => {
    agent.destroy();
    await server.close();
  });
  return { channel, server, agent };
}

test("GET /next long-polls and carries every Lambda header", async (t) => {
  const { channel, server, agent } = await setup(t);
  const next = call(
    agent,
    server.address,
    "GET",
    "/2018-06-01/runtime/invocation/next",
  );
  await new Promise((r) => setTimeout(r, 20));
  const answer = channel.dispatch({
    requestId: "8476a536-e9f4-11e8-9739-2dfe598c3fcd",
    payload: Buffer.from('{"x":1}'),
    deadlineMs: 1542409706888,
    invokedFunctionArn: "arn:aws:lambda:us-east-1:000000000000:function:f",
    traceId:
      "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1",
    clientContext: '{"custom":{"a":"b"}}',
    cognitoIdentity:
      '{"cognitoIdentityId":"id","cognitoIdentityPoolId":"pool"}',
  });
  const reply = await next;
  assert.equal(reply.status, 200);
  assert.equal(reply.body, '{"x":1}');
  assert.equal(
    reply.headers["lambda-runtime-aws-request-id"],
    "8476a536-e9f4-11e8-9739-2dfe598c3fcd",
  );
  assert.equal(reply.headers["lambda-runtime-deadline-ms"], "1542409706888");
  assert.equal(
    reply.headers["lambda-runtime-invoked-function-arn"],
    "arn:aws:lambda:us-east-1:000000000000:function:f",
  );
  assert.match(String(reply.headers["lambda-runtime-trace-id"]), /^Root=1-/);
  assert.equal(
    reply.headers["lambda-runtime-client-context"],
    '{"custom":{"a":"b"}}',
  );
  assert.equal(
    reply.headers["lambda-runtime-cognito-identity"],
    '{"cognitoIdentityId":"id","cognitoIdentityPoolId":"pool"}',
  );
  assert.equal(reply.headers["content-type"], "application/json");
  const posted = await call(
    agent,
    server.address,
    "POST",
    "/2018-06-01/runtime/invocation/8476a536-e9f4-11e8-9739-2dfe598c3fcd/response",
    {
      body: '"ok"',
    },
  );
  assert.equal(posted.status, 202);
  assert.deepEqual(JSON.parse(posted.body), { status: "OK" });
  assert.deepEqual(await answer, {
    kind: "response",
    body: Buffer.from('"ok"'),
    contentType: undefined,
  });
});

async function invoked(
  t: Parameters<typeof setup>[0],
  requestId = "r1",
): Promise<{
  server: RuntimeApiServer;
  agent: Agent;
  answer: Promise<RuntimeAnswer>;
}> {
  const { channel, server, agent } = await setup(t);
  const next = call(
    agent,
    server.address,
    "GET",
    "/2018-06-01/runtime/invocation/next",
  );
  const answer = channel.dispatch({
    requestId,
    payload: Buffer.from("{}"),
    deadlineMs: Date.now() + 1000,
    invokedFunctionArn: "arn",
  });
  await next;
  return { server, agent, answer };
}

test("a chunked response with an error declared in its trailers becomes a function error (Go client)", async (t) => {
  const { server, agent, answer } = await invoked(t);
  const errorBody = Buffer.from(
    '{"errorMessage":"boom","errorType":"errorString"}',
  ).toString("base64");
  const reply = await call(
    agent,
    server.address,
    "POST",
    "/2018-06-01/runtime/invocation/r1/response",
    {
      headers: {
        "Transfer-Encoding": "chunked",
        Trailer:
          "Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body",
      },
      body: "partial",
      trailers: {
        "Lambda-Runtime-Function-Error-Type": "errorString",
        "Lambda-Runtime-Function-Error-Body": errorBody,
      },
    },
  );
  assert.equal(reply.status, 202);
  assert.deepEqual(await answer, {
    kind: "error",
    body: Buffer.from('{"errorMessage":"boom","errorType":"errorString"}'),
    errorType: "errorString",
  });
});

test("a chunked response with empty trailers is a plain response", async (t) => {
  const { server, agent, answer } = await invoked(t);
  const reply = await call(
    agent,
    server.address,
    "POST",
    "/2018-06-01/runtime/invocation/r1/response",
    {
      headers: {
        "Transfer-Encoding": "chunked",
        Trailer: "Lambda-Runtime-Function-Error-Type",
      },
      body: '{"fine":true}',
      trailers: { "Lambda-Runtime-Function-Error-Type": "" },
    },
  );
  assert.equal(reply.status, 202);
  const result = await answer;
  assert.equal(
    result.kind === "response" ? result.body.toString() : "",
    '{"fine":true}',
  );
});

test("/error forwards the body verbatim with the error-type header", async (t) => {
  const { server, agent, answer } = await invoked(t);
  const document = '{"errorType":"unhandled","errorMessage":"x","extra":[1,2]}';
  const reply = await call(
    agent,
    server.address,
    "POST",
    "/2018-06-01/runtime/invocation/r1/error",
    {
      body: document,
      headers: { "Lambda-Runtime-Function-Error-Type": "unhandled" },
    },
  );
  assert.equal(reply.status, 202);
  assert.deepEqual(await answer, {
    kind: "error",
    body: Buffer.from(document),
    errorType: "unhandled",
  });
});

test("a response over 6291556 bytes is refused with 413 RequestEntityTooLarge", async (t) => {
  const { server, agent, answer } = await invoked(t);
  const reply = await call(
    agent,
    server.address,
    "POST",
    "/2018-06-01/runtime/invocation/r1/response",
    {
      body: Buffer.alloc(MAX_RESPONSE_PAYLOAD_BYTES + 1, 0x61),
    },
  );
  assert.equal(reply.status, 413);
  assert.equal(errorTypeOf(reply.body), "RequestEntityTooLarge");
  const result = await answer;
  assert.equal(result.kind, "oversize");
});

test("a response of exactly 6291556 bytes is accepted", async (t) => {
  const { server, agent, answer } = await invoked(t);
  const reply = await call(
    agent,
    server.address,
    "POST",
    "/2018-06-01/runtime/invocation/r1/response",
    {
      body: Buffer.alloc(MAX_RESPONSE_PAYLOAD_BYTES, 0x61),
    },
  );
  assert.equal(reply.status, 202);
  const result = await answer;
  assert.equal(
    result.kind === "response" ? result.body.length : 0,
    MAX_RESPONSE_PAYLOAD_BYTES,
  );
});

test("an unknown request id is 400 InvalidRequestID and leaves the Invocation open", async (t) => {
  const { server, agent, answer } = await invoked(t);
  const wrong = await call(
    agent,
    server.address,
    "POST",
    "/2018-06-01/runtime/invocation/nope/response",
    { body: "1" },
  );
  assert.equal(wrong.status, 400);
  assert.equal(errorTypeOf(wrong.body), "InvalidRequestID");
  const right = await call(
    agent,
    server.address,
    "POST",
    "/2018-06-01/runtime/invocation/r1/response",
    { body: "2" },
  );
  assert.equal(right.status, 202);
  const result = await answer;
  assert.equal(result.kind === "response" ? result.body.toString() : "", "2");
});

test("a streaming response mode other than 'streaming' is 400 InvalidFunctionResponseMode", async (t) => {
  const { server, agent, answer } = await invoked(t);
  const reply = await call(
    agent,
    server.address,
    "POST",
    "/2018-06-01/runtime/invocation/r1/response",
    {
      body: "x",
      headers: { "Lambda-Runtime-Function-Response-Mode": "buffered" },
    },
  );
  assert.equal(reply.status, 400);
  assert.equal(errorTypeOf(reply.body), "InvalidFunctionResponseMode");
  assert.equal((await answer).kind, "invalid-response-mode");
});

test("/init/error during init is accepted with 202", async (t) => {
  let resolveReported: (type: string | undefined) => void = () => undefined;
  const reported = new Promise<string | undefined>((resolve) => {
    resolveReported = resolve;
  });
  const { server, agent } = await setup(t, {
    onInitError: (r) => {
      resolveReported(r.errorType);
    },
  });
  const reply = await call(
    agent,
    server.address,
    "POST",
    "/2018-06-01/runtime/init/error",
    {
      body: '{"errorType":"Runtime.ImportModuleError","errorMessage":"m"}',
      headers: {
        "Lambda-Runtime-Function-Error-Type": "Runtime.ImportModuleError",
      },
    },
  );
  assert.equal(reply.status, 202);
  assert.equal(await reported, "Runtime.ImportModuleError");
});

test("unknown routes are 404 and wrong methods 405, both as JSON error documents", async (t) => {
  const { server, agent } = await setup(t);
  const missing = await call(
    agent,
    server.address,
    "GET",
    "/2018-06-01/runtime/nothing",
  );
  assert.equal(missing.status, 404);
  assert.equal(errorTypeOf(missing.body), "NotFound");
  const wrong = await call(
    agent,
    server.address,
    "POST",
    "/2018-06-01/runtime/invocation/next",
    { body: "x" },
  );
  assert.equal(wrong.status, 405);
  const malformed = await call(
    agent,
    server.address,
    "POST",
    "/2018-06-01/runtime/invocation/%E0%A4%A/response",
    { body: "x" },
  );
  assert.equal(malformed.status, 403);
  const ping = await call(agent, server.address, "GET", "/2018-06-01/ping");
  assert.equal(ping.body, "pong");
});

test("admit: each connection is checked once; a refused one gets 403 AccessDeniedException and is closed", async (t) => {
  const channel = new RuntimeChannel();
  const asked: number[] = [];
  let allowed = new Set<number>();
  const server = await RuntimeApiServer.start(channel, {
    admit: async (connection) => {
      asked.push(connection.remotePort);
      assert.equal(connection.localPort, Number(server.address.split(":")[1]));
      // Slow on purpose: requests on the connection wait for the verdict.
      await new Promise((resolve) => setTimeout(resolve, 20));
      return allowed.has(connection.remotePort);
    },
  });
  const friend = new Agent({ keepAlive: true, maxSockets: 1 });
  const stranger = new Agent({ keepAlive: true, maxSockets: 1 });
  t.after(async () => {
    friend.destroy();
    stranger.destroy();
    await server.close();
  });
  // The friend's port is known only once it connects: admit everything until then.
  allowed = new Set(Array.from({ length: 65536 }, (_, port) => port));
  const pinged = await call(friend, server.address, "GET", "/2018-06-01/ping");
  assert.equal(pinged.status, 200);
  const friendPort = asked[0] as number;
  allowed = new Set([friendPort]);
  const refused = await call(
    stranger,
    server.address,
    "GET",
    "/2018-06-01/runtime/invocation/next",
  );
  assert.equal(refused.status, 403);
  assert.equal(errorTypeOf(refused.body), "AccessDeniedException");
  assert.match(refused.body, /AWS_LAMBDA_RUNTIME_API/);
  assert.equal(refused.headers.connection, "close");
  // The friend's keep-alive connection is not asked again.
  assert.equal(
    (await call(friend, server.address, "GET", "/2018-06-01/ping")).status,
    200,
  );
  assert.equal(asked.filter((port) => port === friendPort).length, 1);
  assert.equal(asked.length, 2);
});

test("admit: a check that fails refuses the connection", async (t) => {
  const server = await RuntimeApiServer.start(new RuntimeChannel(), {
    admit: () => Promise.reject(new Error("the kernel could not tell")),
  });
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  t.after(async () => {
    agent.destroy();
    await server.close();
  });
  const refused = await call(
    agent,
    server.address,
    "POST",
    "/2018-06-01/runtime/init/error",
    {
      body: "{}",
    },
  );
  assert.equal(refused.status, 403);
});
