/**
 * What an operation handler returns and the server writes: handlers never touch the socket, so
 * they are testable with a plain request object and a fake service.
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from "node:http";
import {
  requestTooLarge,
  type ServiceException,
} from "../../errors/service-exceptions.js";
import type { FunctionRef } from "../../protocol/control-plane.js";
import type { LambdaService } from "../lambda-service.js";
import type { ResponseStreamWriter } from "../response-stream.js";

/** An operation's answer. */
export type Answer =
  /** A whole body (or none): JSON, an Invoke result, the status page. */
  | {
      readonly kind: "body";
      readonly status: number;
      readonly headers: OutgoingHttpHeaders;
      readonly body: Buffer | string | undefined;
    }
  /** An event-stream body (InvokeWithResponseStream), framed by the writer as it is produced. */
  | {
      readonly kind: "event-stream";
      readonly headers: OutgoingHttpHeaders;
      readonly produce: (writer: ResponseStreamWriter) => void;
    };

/** A request as handlers see it: the route's parts, the headers and the body already read. */
export interface OperationRequest {
  /** The decoded `FunctionName` path segment (`""` when the path has none). */
  readonly functionName: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  /** Aborted when the client disconnects. */
  readonly signal: AbortSignal;
}

/** How the server reads and answers one operation. */
export interface OperationHandler {
  /**
   * The largest body accepted; 0 reads none (the body, if any, is discarded).
   * @throws {ServiceException} when a header that decides the limit is invalid.
   */
  bodyLimit(headers: IncomingHttpHeaders): number;
  /** The 413 for a body of `sizeBytes` over the limit. */
  tooLarge(sizeBytes: number, headers: IncomingHttpHeaders): ServiceException;
  /** True when the body is JSON, so its content type must be JSON or absent (spec §6.5). */
  readonly jsonBody: boolean;
  /** @throws {ServiceException} and whatever the service throws. */
  handle(service: LambdaService, request: OperationRequest): Promise<Answer>;
}

const JSON_HEADERS: OutgoingHttpHeaders = {
  "Content-Type": "application/json",
};

/** A JSON answer. */
export function jsonAnswer(status: number, value: unknown): Answer {
  return {
    kind: "body",
    status,
    headers: JSON_HEADERS,
    body: JSON.stringify(value),
  };
}

/** An empty answer (`204`). */
export function emptyAnswer(status: number): Answer {
  return { kind: "body", status, headers: {}, body: undefined };
}

/** The function a request names: the path's `FunctionName` and the `Qualifier` query parameter. */
export function functionRefOf(request: OperationRequest): FunctionRef {
  const qualifier = request.query.get("Qualifier");
  return {
    functionName: request.functionName,
    qualifier: qualifier === null || qualifier === "" ? undefined : qualifier,
  };
}

/** An operation without a request body (GET, DELETE): any body sent is discarded. */
export function bodylessOperation(
  handle: OperationHandler["handle"],
): OperationHandler {
  return {
    jsonBody: false,
    bodyLimit: () => 0,
    // Never asked: with a limit of 0 no body is read.
    tooLarge: () => requestTooLarge(0, "this"),
    handle,
  };
}

/** An operation with a JSON body of at most `limitBytes`; `operation` names it in the 413. */
export function jsonOperation(
  operation: string,
  limitBytes: number,
  handle: OperationHandler["handle"],
): OperationHandler {
  return {
    jsonBody: true,
    bodyLimit: () => limitBytes,
    tooLarge: () => requestTooLarge(limitBytes, operation),
    handle,
  };
}
