/**
 * `POST /runtime/invocation/{requestId}/response` (spec §1.2, §1.5). The body is the result, up to
 * 6 MiB + 100 B; a larger one is refused with 413 and the caller gets `Function.ResponseSizeTooLarge`.
 * A streamed response (mode header `streaming`) is buffered for a buffered caller; an error declared
 * in the trailers (the Go client always declares them) turns the answer into a function error.
 */
import type { IncomingHttpHeaders } from "node:http";
import { RuntimeApiError } from "../../errors/runtime-api-errors.js";
import {
  MAX_RESPONSE_PAYLOAD_BYTES,
  RUNTIME_HEADERS,
  STREAMING_RESPONSE_MODE,
} from "../../protocol/runtime-api.js";
import type { ReadBodyResult } from "../../util/read-body.js";
import type { RuntimeChannel } from "../runtime-channel.js";
import { ACCEPTED, type HandlerReply } from "./reply.js";

/** The parts of a request the handler looks at. */
export interface PostRequest {
  readonly requestId: string;
  readonly headers: IncomingHttpHeaders;
  readonly trailers: NodeJS.Dict<string>;
  readonly body: ReadBodyResult;
}

/** Handles a Runtime's response post. @throws {RuntimeApiError} on a protocol violation. */
export function handleResponse(
  channel: RuntimeChannel,
  request: PostRequest,
): HandlerReply {
  const { requestId, headers, trailers, body } = request;
  const mode = headers[RUNTIME_HEADERS.responseMode];
  if (typeof mode === "string" && mode !== STREAMING_RESPONSE_MODE) {
    channel.answer(requestId, { kind: "invalid-response-mode", mode });
    throw new RuntimeApiError(
      "InvalidFunctionResponseMode",
      `Invalid function response mode: ${mode}`,
    );
  }
  if (body.kind === "aborted") {
    throw new RuntimeApiError(
      "TruncatedHTTPRequest",
      "The response body ended before its declared length.",
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
  const trailerErrorType = trailers[RUNTIME_HEADERS.errorType];
  if (trailerErrorType !== undefined && trailerErrorType !== "") {
    const encoded = trailers[RUNTIME_HEADERS.errorBody] ?? "";
    channel.answer(requestId, {
      kind: "error",
      body: Buffer.from(encoded, "base64"),
      errorType: trailerErrorType,
    });
    return ACCEPTED;
  }
  const contentType = headers["content-type"];
  channel.answer(requestId, { kind: "response", body: body.body, contentType });
  return ACCEPTED;
}
