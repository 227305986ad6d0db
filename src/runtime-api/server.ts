/**
 * The Runtime API 2018-06-01 server of one ExecutionEnvironment: plain HTTP/1.1 with keep-alive on a
 * loopback port (Lambda uses 127.0.0.1:9001 inside each sandbox; thaw binds port 0 per environment).
 * It reads bodies, calls the handlers and writes their answers; protocol state lives in
 * {@link RuntimeChannel}. This is the only place that writes Runtime API responses.
 *
 * Admission: the port is on the host's loopback, where any process could connect, and Lambda's
 * Runtime API is reachable from its own sandbox only. With `admit`, every connection is first
 * checked (while its first request arrives, so a Runtime hardly waits); a request on a connection
 * that is not admitted is answered 403 `AccessDeniedException` and the connection is closed.
 *
 * Lifecycle: `listening → closed`. `close()` drops a parked `/next`, closes every connection and
 * stops listening; it is idempotent.
 */
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import { rmSync } from "node:fs";
import type { AddressInfo, Socket } from "node:net";
import { RuntimeApiError } from "../errors/runtime-api-errors.js";
import { MAX_RESPONSE_PAYLOAD_BYTES } from "../protocol/runtime-api.js";
import type { TcpConnection } from "../sandbox/sandbox.js";
import { readBody } from "../util/read-body.js";
import { handleError } from "./handlers/error.js";
import { handleInitError } from "./handlers/init-error.js";
import { nextResponseHeaders } from "./handlers/next.js";
import type { HandlerReply } from "./handlers/reply.js";
import { handleResponse } from "./handlers/response.js";
import { matchRoute } from "./routes.js";
import type { ParkedNext, RuntimeChannel } from "./runtime-channel.js";

/** Options of {@link RuntimeApiServer.start}. */
export interface RuntimeApiServerOptions {
  /**
   * Address to bind.
   * @default "127.0.0.1"
   */
  readonly host?: string;
  /**
   * Port to bind; 0 picks a free one.
   * @default 0
   */
  readonly port?: number;
  /**
   * A Unix socket path to listen on instead of a TCP port: for a Runtime that reaches its Runtime
   * API through a relay in its sandbox (the snapshot backend's thaw-init). An old socket file there
   * is removed first.
   */
  readonly path?: string;
  /**
   * Decides whether a connection may use this Runtime API (true: its own Runtime opened it).
   * Rejections and errors count as false. Without it, every connection is admitted.
   */
  readonly admit?: (connection: TcpConnection) => Promise<boolean>;
}

/** A listening Runtime API for one {@link RuntimeChannel}. */
export class RuntimeApiServer {
  readonly #server: Server;
  readonly #channel: RuntimeChannel;
  /** Per connection: admitted or not, or the check in progress. */
  readonly #admissions = new WeakMap<Socket, boolean | Promise<boolean>>();
  #closed: Promise<void> | undefined;
  #address = "";
  /** The Unix socket listened on, if any. */
  #path: string | undefined;

  private constructor(
    server: Server,
    channel: RuntimeChannel,
    admit: RuntimeApiServerOptions["admit"],
  ) {
    this.#server = server;
    this.#channel = channel;
    if (admit !== undefined) {
      server.on("connection", (socket: Socket) => {
        this.#check(socket, admit);
      });
    }
    server.on(
      "request",
      (request: IncomingMessage, response: ServerResponse) => {
        this.#admitted(request, response);
      },
    );
    // Node answers 417 to any `Expect` but `100-continue`, an empty one included; curl-based clients
    // send an empty `Expect:` to suppress it (spec §1.1), so that one is a plain request.
    server.on(
      "checkExpectation",
      (request: IncomingMessage, response: ServerResponse) => {
        if ((request.headers.expect ?? "").trim() === "")
          this.#admitted(request, response);
        else response.writeHead(417).end();
      },
    );
  }

  /** `host:port`, the value of `AWS_LAMBDA_RUNTIME_API`; or the socket's path, with `path`. */
  get address(): string {
    return this.#address;
  }

  /** Starts listening. @throws when the address cannot be bound. */
  static async start(
    channel: RuntimeChannel,
    options: RuntimeApiServerOptions = {},
  ): Promise<RuntimeApiServer> {
    const host = options.host ?? "127.0.0.1";
    // Long polls must never time out on the server side (spec §1.1): no request or header timeouts
    // beyond Node's defaults for slow uploads, and keep-alive connections are kept as long as the
    // Runtime keeps them.
    const server = createServer({
      noDelay: true,
      requestTimeout: 0,
      keepAliveTimeout: 0,
    });
    const api = new RuntimeApiServer(server, channel, options.admit);
    const path = options.path;
    if (path !== undefined) rmSync(path, { force: true });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      const listening = (): void => {
        server.off("error", reject);
        resolve();
      };
      if (path !== undefined) server.listen(path, listening);
      else server.listen(options.port ?? 0, host, listening);
    });
    if (path !== undefined) {
      api.#address = path;
      api.#path = path;
    } else {
      const { port } = server.address() as AddressInfo;
      api.#address = `${host}:${port}`;
    }
    return api;
  }

  /** Stops the server and drops every connection (and removes its socket file). Idempotent. */
  close(): Promise<void> {
    this.#closed ??= new Promise<void>((resolve) => {
      this.#channel.close();
      this.#server.close(() => {
        // A Unix socket's file outlives its server; another environment may get the same path.
        if (this.#path !== undefined) rmSync(this.#path, { force: true });
        resolve();
      });
      this.#server.closeAllConnections();
    });
    return this.#closed;
  }

  #check(
    socket: Socket,
    admit: (connection: TcpConnection) => Promise<boolean>,
  ): void {
    const connection = {
      remoteAddress: socket.remoteAddress ?? "",
      remotePort: socket.remotePort ?? 0,
      localAddress: socket.localAddress ?? "",
      localPort: socket.localPort ?? 0,
    };
    const verdict = admit(connection).then(
      (admitted) => admitted,
      () => false,
    );
    this.#admissions.set(socket, verdict);
    void verdict.then((admitted) => {
      this.#admissions.set(socket, admitted);
    });
  }

  /** Dispatches a request once its connection is admitted; refuses it otherwise. */
  #admitted(request: IncomingMessage, response: ServerResponse): void {
    const admission = this.#admissions.get(request.socket) ?? true;
    if (admission === true) this.#dispatch(request, response);
    else if (admission === false) refuse(request, response);
    else {
      void admission.then((admitted) => {
        if (admitted) this.#dispatch(request, response);
        else refuse(request, response);
      });
    }
  }

  #dispatch(request: IncomingMessage, response: ServerResponse): void {
    const route = matchRoute(request.method ?? "", request.url ?? "");
    switch (route.kind) {
      case "next":
        this.#next(request, response);
        return;
      case "response":
      case "error":
      case "init-error":
      case "restore-error":
        void this.#post(route, request, response);
        return;
      case "restore-next":
        this.#restoreNext(request, response);
        return;
      case "ping":
        request.resume();
        response.writeHead(200, { "Content-Type": "text/plain" }).end("pong");
        return;
      case "method-not-allowed":
        request.resume();
        writeJson(response, 405, {
          errorType: "MethodNotAllowed",
          errorMessage: `${request.method ?? ""} is not allowed on ${request.url ?? ""}; use ${route.allowed}.`,
        });
        return;
      case "not-found":
        request.resume();
        writeJson(response, 404, {
          errorType: "NotFound",
          errorMessage: `No Runtime API route for ${request.method ?? ""} ${request.url ?? ""}.`,
        });
        return;
    }
  }

  #next(request: IncomingMessage, response: ServerResponse): void {
    this.#longPoll(request, response, (parked) => {
      this.#channel.next(parked);
      return false;
    });
  }

  /** `GET /runtime/restore/next`: parked (snapshot phase) or answered 200 at once (restore phase). */
  #restoreNext(request: IncomingMessage, response: ServerResponse): void {
    this.#longPoll(request, response, (parked) =>
      this.#channel.restoreNext(parked),
    );
  }

  /**
   * A long-poll GET: `enter` hands the channel the request as a {@link ParkedNext}, which it answers
   * with an Invocation or drops; `enter` returns true when it is answered at once with an empty
   * 200, and what it throws is the answer. A request whose connection closes first is unparked.
   */
  #longPoll(
    request: IncomingMessage,
    response: ServerResponse,
    enter: (parked: ParkedNext) => boolean,
  ): void {
    request.resume();
    let answered = false;
    const parked: ParkedNext = {
      deliver: (invocation) => {
        answered = true;
        response
          .writeHead(200, nextResponseHeaders(invocation))
          .end(invocation.payload);
      },
      drop: () => {
        answered = true;
        response.destroy();
      },
    };
    response.on("close", () => {
      if (!answered) this.#channel.unpark(parked);
    });
    try {
      if (enter(parked)) {
        answered = true;
        response.writeHead(200, { "Content-Length": 0 }).end();
      }
    } catch (error) {
      answered = true;
      writeReply(response, toReply(error));
    }
  }

  async #post(
    route:
      | { kind: "response" | "error"; requestId: string }
      | { kind: "init-error" | "restore-error" },
    request: IncomingMessage,
    response: ServerResponse,
  ): Promise<void> {
    const body = await readBody(request, MAX_RESPONSE_PAYLOAD_BYTES);
    const trailers = request.trailers;
    let reply: HandlerReply;
    try {
      switch (route.kind) {
        case "response":
          reply = handleResponse(this.#channel, {
            requestId: route.requestId,
            headers: request.headers,
            trailers,
            body,
          });
          break;
        case "error":
          reply = handleError(this.#channel, {
            requestId: route.requestId,
            headers: request.headers,
            trailers,
            body,
          });
          break;
        case "init-error":
        case "restore-error":
          reply = handleInitError(
            this.#channel,
            { headers: request.headers, trailers, body },
            route.kind === "init-error" ? "init" : "restore",
          );
          break;
      }
    } catch (error) {
      reply = toReply(error);
    }
    if (body.kind === "aborted") {
      response.destroy();
      return;
    }
    writeReply(response, reply);
  }
}

/** Answers a request from a process outside the environment, and closes its connection. */
function refuse(request: IncomingMessage, response: ServerResponse): void {
  request.resume();
  response.shouldKeepAlive = false;
  writeJson(response, 403, {
    errorType: "AccessDeniedException",
    errorMessage:
      "This Runtime API belongs to another execution environment: only the Runtime of that environment (and the processes it starts) may use it. Call the Runtime API in your own AWS_LAMBDA_RUNTIME_API.",
  });
}

/** The one normaliser of this HTTP edge: protocol errors keep their status, anything else is a 500. */
function toReply(error: unknown): HandlerReply {
  if (error instanceof RuntimeApiError)
    return { status: error.statusCode, body: error.toDocument() };
  return {
    status: 500,
    body: {
      errorType: "InternalServerError",
      errorMessage: error instanceof Error ? error.message : String(error),
    },
  };
}

function writeReply(response: ServerResponse, reply: HandlerReply): void {
  writeJson(response, reply.status, reply.body);
}

function writeJson(
  response: ServerResponse,
  status: number,
  body: unknown,
): void {
  if (response.headersSent || response.destroyed) return;
  const text = JSON.stringify(body);
  response
    .writeHead(status, {
      "Content-Type": "application/json",
      "Content-Length": Buffer.byteLength(text),
    })
    .end(text);
}
