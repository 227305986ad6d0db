/**
 * `POST /runtime/init/error` (spec §1.2): the Runtime failed during init and will exit; and its
 * SnapStart twin `POST /runtime/restore/error` (§1.8): the after-restore hooks failed.
 */
import { RuntimeApiError } from "../../errors/runtime-api-errors.js";
import { RUNTIME_HEADERS } from "../../protocol/runtime-api.js";
import type { RuntimeChannel } from "../runtime-channel.js";
import { ACCEPTED, type HandlerReply } from "./reply.js";
import type { PostRequest } from "./response.js";

/** Handles an init (or restore) error report. @throws {RuntimeApiError} after init has ended. */
export function handleInitError(
  channel: RuntimeChannel,
  request: Omit<PostRequest, "requestId">,
  phase: "init" | "restore" = "init",
): HandlerReply {
  const { headers, body } = request;
  if (body.kind !== "complete") {
    throw new RuntimeApiError(
      "InvalidRequestFormat",
      `The ${phase} error document was truncated or too large.`,
    );
  }
  const header = headers[RUNTIME_HEADERS.errorType];
  const report = {
    body: body.body,
    errorType: typeof header === "string" ? header : undefined,
  };
  if (phase === "init") channel.initError(report);
  else channel.restoreError(report);
  return ACCEPTED;
}
