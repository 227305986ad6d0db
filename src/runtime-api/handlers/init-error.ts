/** `POST /runtime/init/error` (spec §1.2): the Runtime failed during init and will exit. */
import { RuntimeApiError } from "../../errors/runtime-api-errors.js";
import { RUNTIME_HEADERS } from "../../protocol/runtime-api.js";
import type { RuntimeChannel } from "../runtime-channel.js";
import { ACCEPTED, type HandlerReply } from "./reply.js";
import type { PostRequest } from "./response.js";

/** Handles an init error report. @throws {RuntimeApiError} after init has ended. */
export function handleInitError(
  channel: RuntimeChannel,
  request: Omit<PostRequest, "requestId">,
): HandlerReply {
  const { headers, body } = request;
  if (body.kind !== "complete") {
    throw new RuntimeApiError(
      "InvalidRequestFormat",
      "The init error document was truncated or too large.",
    );
  }
  const header = headers[RUNTIME_HEADERS.errorType];
  channel.initError({
    body: body.body,
    errorType: typeof header === "string" ? header : undefined,
  });
  return ACCEPTED;
}
