/**
 * Invoke: `POST /2015-03-31/functions/{FunctionName}/invocations` (spec §5.1–5.3). The payload is
 * checked (JSON, at most 6 MiB synchronous or 1 MiB `Event`), the service runs the Invocation, and
 * its reply becomes the answer: 200 with the result or the function's error document
 * (`X-Amz-Function-Error: Unhandled`), 202 for `Event`, 204 for `DryRun`.
 */
import type { OutgoingHttpHeaders } from "node:http";
import {
  INVOKE_RESPONSE_HEADERS,
  UNHANDLED_FUNCTION_ERROR,
} from "../../protocol/invoke-api.js";
import type { InvokeReply } from "../lambda-service.js";
import { functionRefOf, type Answer, type OperationHandler } from "./answer.js";
import {
  checkPayload,
  INVOKE_TYPES,
  invocationTypeOf,
  parseInvokeHeaders,
  payloadLimit,
  payloadTooLarge,
  tailLogResult,
} from "./invoke-headers.js";

/** The Invoke operation. */
export const invokeHandler: OperationHandler = {
  jsonBody: false,
  bodyLimit: (headers) => payloadLimit(invocationTypeOf(headers, INVOKE_TYPES)),
  tooLarge: (sizeBytes, headers) =>
    payloadTooLarge(sizeBytes, invocationTypeOf(headers, INVOKE_TYPES)),
  async handle(service, request) {
    const parsed = parseInvokeHeaders(request.headers, INVOKE_TYPES);
    const reply = await service.invoke({
      ...functionRefOf(request),
      ...parsed,
      payload: checkPayload(request.body),
      signal: request.signal,
    });
    return invokeAnswer(reply, parsed.tailLog);
  },
};

/** The answer to an Invoke, from the service's reply (spec §5.2). */
function invokeAnswer(reply: InvokeReply, tailLog: boolean): Answer {
  const headers: OutgoingHttpHeaders = {
    [INVOKE_RESPONSE_HEADERS.requestId]: reply.requestId,
  };
  if (reply.statusCode !== 200)
    return { kind: "body", status: reply.statusCode, headers, body: undefined };
  headers["Content-Type"] = reply.contentType;
  headers[INVOKE_RESPONSE_HEADERS.executedVersion] = reply.executedVersion;
  if (reply.functionError)
    headers[INVOKE_RESPONSE_HEADERS.functionError] = UNHANDLED_FUNCTION_ERROR;
  if (tailLog && reply.log !== undefined)
    headers[INVOKE_RESPONSE_HEADERS.logResult] = tailLogResult(reply.log);
  return { kind: "body", status: 200, headers, body: reply.body };
}
