/**
 * The Invoke API and control-plane HTTP edge of `thaw serve` (spec §5, §6): plain HTTP/1.1 with
 * keep-alive, the paths and wire format of AWS Lambda's REST-JSON API, so that the AWS SDKs and the
 * AWS CLI work against it with `--endpoint-url`. Any SigV4 `Authorization` header, or none, is
 * accepted: nothing is verified locally. The server reads bodies under each operation's limit,
 * calls the operation's handler and writes its answer; it is the only place that writes responses,
 * and its one `catch` turns every failure into a {@link ServiceException} through
 * {@link toServiceException}.
 *
 * Lifecycle: `listening → closing → closed`. `close()` stops accepting connections, lets the
 * requests in flight finish (their connections close after the answer, idle ones at once) and
 * resolves when the last connection is gone. `destroy()` closes every connection now; Invocations
 * in flight see their `signal` abort. Both are idempotent and may be called in any state.
 */
import { randomUUID } from "node:crypto";
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { ServiceException } from "../errors/service-exceptions.js";
import { toServiceException } from "../errors/to-service-exception.js";
import {
  INVOKE_RESPONSE_HEADERS,
  JSON_CONTENT_TYPES,
} from "../protocol/invoke-api.js";
import type { Answer } from "./handlers/answer.js";
import { OPERATION_HANDLERS } from "./handlers/operations.js";
import type { LambdaService } from "./lambda-service.js";
import { discard, readRequestBody } from "./request-body.js";
import { ResponseStreamWriter } from "./response-stream.js";
import { matchRoute } from "./routes.js";

/** Options of {@link InvokeApiServer.start}. */
export interface InvokeApiServerOptions {
  /**
   * Address to bind; loopback only unless asked otherwise.
   * @default "127.0.0.1"
   */
  readonly host?: string;
  /**
   * Port to bind; 0 picks a free one.
   * @default 9001
   */
  readonly port?: number;
  /**
   * Receives an error that had no service meaning (it is answered with a 500 `ServiceException`).
   * @default writes its stack to stderr
   */
  readonly onUnexpectedError?: (error: unknown) => void;
}

/** The states of an {@link InvokeApiServer}. */
export type InvokeApiServerState = "listening" | "closing" | "closed";

const EMPTY = Buffer.alloc(0);

/** A listening Invoke API in front of a {@link LambdaService}. */
export class InvokeApiServer {
  readonly #server: Server;
  readonly #service: LambdaService;
  readonly #onUnexpected: ((error: unknown) => void) | undefined;
  /** Every open connection and how many of its requests are unanswered. */
  readonly #connections = new Map<Socket, number>();
  #state: InvokeApiServerState = "listening";
  #closed: Promise<void> | undefined;
  #address = "";
  #url = "";

  private constructor(
    server: Server,
    service: LambdaService,
    onUnexpected: ((error: unknown) => void) | undefined,
  ) {
    this.#server = server;
    this.#service = service;
    this.#onUnexpected = onUnexpected;
    server.on("connection", (socket: Socket) => {
      this.#connections.set(socket, 0);
      socket.once("close", () => {
        this.#connections.delete(socket);
      });
    });
    server.on(
      "request",
      (request: IncomingMessage, response: ServerResponse) => {
        this.#dispatch(request, response);
      },
    );
  }

  /**
   * Starts listening.
   * @throws {Error} when the address cannot be bound (`EADDRINUSE`, `EACCES`).
   */
  static async start(
    service: LambdaService,
    options: InvokeApiServerOptions = {},
  ): Promise<InvokeApiServer> {
    const host = options.host ?? "127.0.0.1";
    const server = createServer({ noDelay: true });
    const api = new InvokeApiServer(server, service, options.onUnexpectedError);
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port ?? 9001, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    const { port } = server.address() as AddressInfo;
    const shownHost = host.includes(":") ? `[${host}]` : host;
    api.#address = `${shownHost}:${String(port)}`;
    api.#url = `http://${api.#address}`;
    return api;
  }

  /** `host:port`. */
  get address(): string {
    return this.#address;
  }

  /** `http://host:port`, the SDK's `endpoint`. */
  get url(): string {
    return this.#url;
  }

  /** The lifecycle state. */
  get state(): InvokeApiServerState {
    return this.#state;
  }

  /** Stops accepting, lets requests in flight finish, then resolves. Idempotent. */
  close(): Promise<void> {
    if (this.#closed !== undefined) return this.#closed;
    this.#state = "closing";
    this.#closed = new Promise<void>((resolve) => {
      this.#server.close(() => {
        this.#state = "closed";
        resolve();
      });
    });
    for (const [socket, unanswered] of this.#connections) {
      if (unanswered === 0) socket.end();
    }
    return this.#closed;
  }

  /** Closes every connection now, answered or not. Idempotent. */
  destroy(): Promise<void> {
    const closed = this.close();
    for (const socket of this.#connections.keys()) socket.destroy();
    return closed;
  }

  #dispatch(request: IncomingMessage, response: ServerResponse): void {
    const socket = request.socket;
    const open = this.#connections.get(socket);
    if (open !== undefined) this.#connections.set(socket, open + 1);
    response.once("close", () => {
      const unanswered = this.#connections.get(socket);
      if (unanswered === undefined) return;
      this.#connections.set(socket, unanswered - 1);
      if (unanswered === 1 && this.#state !== "listening") socket.end();
    });
    // Every response carries a request id; an Invoke's answer replaces it with the Invocation's.
    response.setHeader(INVOKE_RESPONSE_HEADERS.requestId, randomUUID());
    if (this.#state !== "listening") response.setHeader("Connection", "close");
    void this.#serve(request, response);
  }

  async #serve(
    request: IncomingMessage,
    response: ServerResponse,
  ): Promise<void> {
    const controller = new AbortController();
    response.once("close", () => {
      if (!response.writableFinished) controller.abort();
    });
    try {
      const answer = await this.#answer(request, response, controller.signal);
      if (answer === undefined || response.destroyed) {
        response.destroy();
        return;
      }
      writeAnswer(response, answer);
    } catch (error) {
      // The one place where a failure becomes an answer.
      if (!request.readableEnded && request.readableFlowing !== true)
        discard(request);
      const exception = toServiceException(
        error,
        this.#onUnexpected === undefined
          ? {}
          : { onUnexpected: this.#onUnexpected },
      );
      if (response.headersSent || response.destroyed) {
        response.destroy();
        return;
      }
      writeError(response, exception);
    }
  }

  /** The answer to `request`, or undefined when the client went away while sending its body. */
  async #answer(
    request: IncomingMessage,
    response: ServerResponse,
    signal: AbortSignal,
  ): Promise<Answer | undefined> {
    const method = request.method ?? "";
    const url = request.url ?? "/";
    const route = matchRoute(method, url);
    switch (route.kind) {
      case "not-found":
        throw new ServiceException(
          "UnknownOperationException",
          `No Lambda operation is served at ${method} ${pathOf(url)}.`,
        );
      case "method-not-allowed":
        response.setHeader("Allow", route.allowed.join(", "));
        throw new ServiceException(
          "MethodNotAllowedException",
          `${method} is not allowed on ${pathOf(url)}; use ${route.allowed.join(" or ")}.`,
        );
      case "bad-function-name":
        throw new ServiceException(
          "InvalidParameterValueException",
          `The FunctionName in the path is not valid URL encoding: '${route.segment}'.`,
        );
      case "operation":
        break;
    }
    const handler = OPERATION_HANDLERS[route.operation];
    const limit = handler.bodyLimit(request.headers);
    let body: Buffer = EMPTY;
    if (limit === 0) {
      discard(request);
    } else {
      if (handler.jsonBody) checkJsonContentType(request);
      const read = await readRequestBody(request, limit);
      switch (read.kind) {
        case "aborted":
          return undefined;
        case "too-large":
          if (read.closeConnection) response.setHeader("Connection", "close");
          throw handler.tooLarge(read.sizeBytes, request.headers);
        case "complete":
          body = read.body;
      }
    }
    return handler.handle(this.#service, {
      functionName: route.functionName,
      query: new URLSearchParams(route.query),
      headers: request.headers,
      body,
      signal,
    });
  }
}

/** 415 unless the body is declared JSON, or not declared at all (spec §6.5). */
function checkJsonContentType(request: IncomingMessage): void {
  const header = request.headers["content-type"];
  if (header === undefined || header === "") return;
  const mediaType = (header.split(";")[0] ?? "").trim().toLowerCase();
  if (!JSON_CONTENT_TYPES.includes(mediaType))
    throw new ServiceException(
      "UnsupportedMediaTypeException",
      `The request body must be JSON (application/json), not ${mediaType}.`,
    );
}

function pathOf(url: string): string {
  const mark = url.indexOf("?");
  return mark === -1 ? url : url.slice(0, mark);
}

function writeAnswer(response: ServerResponse, answer: Answer): void {
  switch (answer.kind) {
    case "body": {
      const body = answer.body ?? EMPTY;
      // A 204 has no body and, by RFC 9110, no Content-Length either.
      if (answer.status !== 204)
        response.setHeader("Content-Length", Buffer.byteLength(body));
      response.writeHead(answer.status, answer.headers).end(body);
      return;
    }
    case "event-stream": {
      response.writeHead(200, answer.headers);
      answer.produce(
        new ResponseStreamWriter((frame) => {
          response.write(frame);
        }),
      );
      response.end();
      return;
    }
  }
}

/** AWS's error shape (spec §5.4): `x-amzn-ErrorType` and `{Type, message, Message, ...fields}`. */
function writeError(response: ServerResponse, error: ServiceException): void {
  const text = JSON.stringify({
    ...error.fields,
    Type: error.fault === "client" ? "User" : "Service",
    message: error.message,
    Message: error.message,
  });
  response.setHeader(INVOKE_RESPONSE_HEADERS.errorType, error.name);
  if (error.retryAfterSeconds !== undefined)
    response.setHeader(
      INVOKE_RESPONSE_HEADERS.retryAfter,
      String(error.retryAfterSeconds),
    );
  response
    .writeHead(error.statusCode, {
      "Content-Type": "application/json",
      "Content-Length": Buffer.byteLength(text),
    })
    .end(text);
}
