/**
 * The serve benchmark's relay floor, run as its own process (`node serve-relay-floor.js
 * --runtimes N`): the shape of thaw's warm path with none of thaw in it. A bare `node:http` server
 * takes each POST from the client, hands its body to a Runtime parked in `GET /next` (the Rust
 * fixture, started with `AWS_LAMBDA_RUNTIME_API` pointing here), and answers the client with what
 * the Runtime posts to `/response`: the same two hops, the same Runtime, nothing else (no
 * scheduler, pool, registry, timeouts, logs or checks). Prints `relay floor: listening on
 * http://127.0.0.1:PORT` once every Runtime is waiting in `/next`; exits on SIGTERM.
 */
import { spawn, type ChildProcess } from "node:child_process";
import {
  createServer,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import { RUST_BOOTSTRAP } from "./serve-function-zip.js";

const runtimesArg = process.argv.indexOf("--runtimes");
const RUNTIMES =
  runtimesArg === -1 ? 1 : Number(process.argv[runtimesArg + 1] ?? 1);
const NEXT_PATH = "/2018-06-01/runtime/invocation/next";
const RESPONSE_PATH = /^\/2018-06-01\/runtime\/invocation\/([^/]+)\/response$/;
const ARN = "arn:aws:lambda:us-east-1:000000000000:function:relay-floor";

/** Runtimes waiting in `/next`, and client calls waiting for a Runtime. */
const parked: ServerResponse[] = [];
const waiting: { id: string; body: Buffer }[] = [];
/** Client responses by request id, until the Runtime posts the answer. */
const callers = new Map<string, ServerResponse>();
let sequence = 0;
let ready: (() => void) | undefined;

function readAll(request: IncomingMessage, done: (body: Buffer) => void) {
  const chunks: Buffer[] = [];
  request.on("data", (chunk: Buffer) => chunks.push(chunk));
  request.on("end", () => {
    done(Buffer.concat(chunks));
  });
}

function deliver(next: ServerResponse, id: string, body: Buffer): void {
  next.writeHead(200, {
    "content-type": "application/json",
    "content-length": body.length,
    "lambda-runtime-aws-request-id": id,
    "lambda-runtime-deadline-ms": String(Date.now() + 30_000),
    "lambda-runtime-invoked-function-arn": ARN,
    "lambda-runtime-trace-id": `Root=1-00000000-${id.padStart(24, "0")};Sampled=0`,
  });
  next.end(body);
}

function onRuntimeApi(request: IncomingMessage, response: ServerResponse) {
  if (request.url === NEXT_PATH) {
    request.resume();
    const call = waiting.shift();
    if (call === undefined) {
      parked.push(response);
      if (parked.length === RUNTIMES) ready?.();
    } else deliver(response, call.id, call.body);
    return;
  }
  const id = RESPONSE_PATH.exec(request.url ?? "")?.[1] ?? "";
  readAll(request, (body) => {
    response.writeHead(202, { "content-length": 0 }).end();
    const caller = callers.get(id);
    callers.delete(id);
    caller
      ?.writeHead(200, {
        "content-type": "application/json",
        "content-length": body.length,
      })
      .end(body);
  });
}

function onClient(request: IncomingMessage, response: ServerResponse) {
  readAll(request, (body) => {
    sequence += 1;
    const id = String(sequence);
    callers.set(id, response);
    const next = parked.pop();
    if (next === undefined) waiting.push({ id, body });
    else deliver(next, id, body);
  });
}

// Runtime API requests are told apart by path: everything under /2018-06-01/runtime/.
const server = createServer(
  { noDelay: true, keepAliveTimeout: 0, requestTimeout: 0 },
  (request, response) => {
    if (request.url?.startsWith("/2018-06-01/runtime/") === true)
      onRuntimeApi(request, response);
    else onClient(request, response);
  },
);
server.listen(0, "127.0.0.1", () => {
  const { port } = server.address() as AddressInfo;
  const runtimes: ChildProcess[] = [];
  ready = () => {
    ready = undefined;
    process.stdout.write(
      `relay floor: listening on http://127.0.0.1:${port}\n`,
    );
  };
  for (let i = 0; i < RUNTIMES; i += 1) {
    runtimes.push(
      spawn(RUST_BOOTSTRAP, [], {
        stdio: "ignore",
        env: {
          AWS_LAMBDA_RUNTIME_API: `127.0.0.1:${port}`,
          AWS_LAMBDA_FUNCTION_NAME: "relay-floor",
          AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
          AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "128",
          AWS_LAMBDA_LOG_GROUP_NAME: "/aws/lambda/relay-floor",
          AWS_LAMBDA_LOG_STREAM_NAME: `relay-${i}`,
          AWS_REGION: "us-east-1",
          _HANDLER: "bootstrap",
        },
      }),
    );
  }
  process.on("SIGTERM", () => {
    for (const runtime of runtimes) runtime.kill("SIGKILL");
    server.close();
    server.closeAllConnections();
  });
});
