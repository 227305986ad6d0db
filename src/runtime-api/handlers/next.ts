/**
 * `GET /runtime/invocation/next` (spec §1.2, §1.3): a long poll without timeout. The answer carries
 * the payload and Lambda's headers; the request id and the deadline are always sent, because the
 * Rust client panics without them. The client context and the Cognito identity are JSON from the
 * caller and are sent as ASCII-only JSON (see {@link asciiJson}).
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
    headers[NEXT_HEADERS.clientContext] = asciiJson(invocation.clientContext);
  if (invocation.cognitoIdentity !== undefined)
    headers[NEXT_HEADERS.cognitoIdentity] = asciiJson(
      invocation.cognitoIdentity,
    );
  if (invocation.tenantId !== undefined)
    headers[NEXT_HEADERS.tenantId] = invocation.tenantId;
  return headers;
}

/**
 * The same JSON document as header-safe ASCII. A caller's client context is any JSON object, so it
 * may hold line breaks between tokens and any character inside strings, while a header value is
 * Latin-1 without line breaks: Node throws on the rest, which left the Runtime's `/next` unanswered
 * (or answered 500). In valid JSON a line break can only be whitespace, so it becomes a space; every
 * other character that is not printable ASCII or a tab (in a valid document, a non-ASCII one inside
 * a string) becomes its `\uXXXX` escape, which every Runtime decodes to the caller's text whatever
 * charset it assumes for headers.
 */
function asciiJson(text: string): string {
  let result = "";
  for (let at = 0; at < text.length; at += 1) {
    const code = text.charCodeAt(at);
    if (code === 0x0a || code === 0x0d) result += " ";
    else if ((code < 0x20 && code !== 0x09) || code >= 0x7f)
      result += `\\u${code.toString(16).padStart(4, "0")}`;
    else result += text.charAt(at);
  }
  return result;
}
