/**
 * `GET /runtime/invocation/next` (spec §1.2, §1.3): a long poll without timeout. The answer carries
 * the payload and Lambda's headers; the request id and the deadline are always sent, because the
 * Rust client panics without them.
 */
import type { OutgoingHttpHeaders } from "node:http";
import { NEXT_HEADERS } from "../../protocol/runtime-api.js";
import type { Invocation } from "../runtime-channel.js";

/** The headers of the `/next` answer that delivers `invocation`. */
export function nextResponseHeaders(
  invocation: Invocation,
): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {
    "Content-Type": invocation.contentType ?? "application/json",
    "Content-Length": invocation.payload.length,
    [NEXT_HEADERS.requestId]: invocation.requestId,
    [NEXT_HEADERS.deadlineMs]: String(invocation.deadlineMs),
    [NEXT_HEADERS.invokedFunctionArn]: invocation.invokedFunctionArn,
  };
  if (invocation.traceId !== undefined)
    headers[NEXT_HEADERS.traceId] = invocation.traceId;
  if (invocation.clientContext !== undefined)
    headers[NEXT_HEADERS.clientContext] = invocation.clientContext;
  if (invocation.cognitoIdentity !== undefined)
    headers[NEXT_HEADERS.cognitoIdentity] = invocation.cognitoIdentity;
  if (invocation.tenantId !== undefined)
    headers[NEXT_HEADERS.tenantId] = invocation.tenantId;
  return headers;
}
