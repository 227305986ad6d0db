/**
 * `POST /runtime/invocation/{requestId}/error` (spec §1.2, §1.4): the body is the Runtime's error
 * document, stored and forwarded verbatim; it is never re-validated, because real clients deviate
 * from the documented shape.
 */
import { RuntimeApiError } from "../../errors/runtime-api-errors.js";
import {
  MAX_RESPONSE_PAYLOAD_BYTES,
  RUNTIME_HEADERS,
} from "../../protocol/runtime-api.js";
import type { RuntimeChannel } from "../runtime-channel.js";
import { ACCEPTED, type HandlerReply } from "./reply.js";
import type { PostRequest } from "./response.js";

/** Handles a Runtime's error post. @throws {RuntimeApiError} on a protocol violation. */
export function handleError(
  channel: RuntimeChannel,
  request: PostRequest,
): HandlerReply {
  const { requestId, headers, body } = request;
  if (body.kind === "aborted") {
    throw new RuntimeApiError(
      "TruncatedHTTPRequest",
      "The error body ended before its declared length.",
    );
  }
  if (body.kind === "too-large") {
    channel.answer(requestId, {
      kind: "oversize",
      limitBytes: MAX_RESPONSE_PAYLOAD_BYTES,
    });
    throw new RuntimeApiError(
      "RequestEntityTooLarge",
      `Exceeded maximum allowed payload size (${MAX_RESPONSE_PAYLOAD_BYTES} bytes).`,
    );
  }
  const header = headers[RUNTIME_HEADERS.errorType];
  channel.answer(requestId, {
    kind: "error",
    body: body.body,
    errorType: typeof header === "string" ? header : undefined,
  });
  return ACCEPTED;
}
