/**
 * InvokeWithResponseStream: `POST /2021-11-15/functions/{FunctionName}/response-streaming-invocations`
 * (spec §5.5). Only `RequestResponse` and `DryRun`. The answer is `200` with an event-stream body:
 * the result as `PayloadChunk` events, then `InvokeComplete` (with `ErrorCode` and `ErrorDetails`
 * instead of chunks when the function failed, and `LogResult` with `X-Amz-Log-Type: Tail`).
 *
 * The HTTP `Content-Type` is `application/vnd.amazon.eventstream`: the SDKs read the response's
 * `Content-Type` header into `ResponseStreamContentType`, and there is no other header for it, so
 * the Runtime's own content type is not carried. Today the service returns the whole reply at once;
 * the framing lives in {@link ResponseStreamWriter}, which can write a Runtime's stream as it comes.
 */
import {
  EVENT_STREAM_CONTENT_TYPE,
  INVOKE_RESPONSE_HEADERS,
} from "../../protocol/invoke-api.js";
import type { InvokeCompleteEvent } from "../response-stream.js";
import { functionRefOf, type OperationHandler } from "./answer.js";
import {
  checkPayload,
  invocationTypeOf,
  parseInvokeHeaders,
  payloadLimit,
  payloadTooLarge,
  STREAM_INVOKE_TYPES,
  tailLogResult,
} from "./invoke-headers.js";

/** The InvokeWithResponseStream operation. */
export const invokeWithResponseStreamHandler: OperationHandler = {
  jsonBody: false,
  bodyLimit: (headers) =>
    payloadLimit(invocationTypeOf(headers, STREAM_INVOKE_TYPES)),
  tooLarge: (sizeBytes, headers) =>
    payloadTooLarge(sizeBytes, invocationTypeOf(headers, STREAM_INVOKE_TYPES)),
  async handle(service, request) {
    const parsed = parseInvokeHeaders(request.headers, STREAM_INVOKE_TYPES);
    const reply = await service.invoke({
      ...functionRefOf(request),
      ...parsed,
      payload: checkPayload(request.body),
      signal: request.signal,
    });
    if (reply.statusCode !== 200)
      return {
        kind: "body",
        status: reply.statusCode,
        headers: { [INVOKE_RESPONSE_HEADERS.requestId]: reply.requestId },
        body: undefined,
      };
    const logResult =
      parsed.tailLog && reply.log !== undefined
        ? tailLogResult(reply.log)
        : undefined;
    return {
      kind: "event-stream",
      headers: {
        "Content-Type": EVENT_STREAM_CONTENT_TYPE,
        [INVOKE_RESPONSE_HEADERS.requestId]: reply.requestId,
        [INVOKE_RESPONSE_HEADERS.executedVersion]: reply.executedVersion,
      },
      produce(writer) {
        const complete: {
          -readonly [K in keyof InvokeCompleteEvent]: InvokeCompleteEvent[K];
        } = {};
        if (reply.functionError) {
          complete.ErrorCode = reply.errorType ?? "Unhandled";
          complete.ErrorDetails = reply.body.toString("utf8");
        } else {
          writer.payload(reply.body);
        }
        if (logResult !== undefined) complete.LogResult = logResult;
        writer.complete(complete);
      },
    };
  },
};
