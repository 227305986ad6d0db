/**
 * Wire constants of the Invoke API and of the control-plane subset (spec §5, §6): path prefixes,
 * header names, limits and content types, as the AWS SDKs and the AWS CLI send and read them.
 * No I/O here; the server in `invoke-api/` uses these, and so do tests.
 */
import { MAX_REQUEST_PAYLOAD_BYTES } from "./runtime-api.js";

/** Largest synchronous Invoke payload (`RequestResponse`, `DryRun`, streaming): 6 MiB (spec §5.1). */
export const MAX_SYNC_PAYLOAD_BYTES = MAX_REQUEST_PAYLOAD_BYTES;

/** Largest asynchronous Invoke payload (`Event`): 1 MiB since the 2024–25 increase (spec §5.1). */
export const MAX_EVENT_PAYLOAD_BYTES = 1_048_576;

/** Largest CreateFunction (and UpdateFunctionCode) request, as Lambda's own message names it (§6.2). */
export const MAX_CODE_REQUEST_BYTES = 70_167_211;

/** Largest request body of the other control-plane operations (they carry a few KB at most). */
export const MAX_CONTROL_REQUEST_BYTES = 1_048_576;

/** Largest decoded `X-Amz-Client-Context` (spec §5.1). */
export const MAX_CLIENT_CONTEXT_BYTES = 3_583;

/** How much of an Invocation's log `X-Amz-Log-Result` carries: the last 4 KB (spec §4.3). */
export const TAIL_LOG_BYTES = 4_096;

/** Largest payload of one `PayloadChunk` event-stream frame that thaw sends (64 KiB). */
export const MAX_PAYLOAD_CHUNK_BYTES = 65_536;

/** Content type of an InvokeWithResponseStream body (spec §5.5). */
export const EVENT_STREAM_CONTENT_TYPE = "application/vnd.amazon.eventstream";

/** Request header names (lower case, as Node's HTTP parser gives them). */
export const INVOKE_REQUEST_HEADERS = {
  invocationType: "x-amz-invocation-type",
  logType: "x-amz-log-type",
  clientContext: "x-amz-client-context",
  tenantId: "x-amz-tenant-id",
} as const;

/** Response header names, as Lambda spells them. */
export const INVOKE_RESPONSE_HEADERS = {
  requestId: "x-amzn-RequestId",
  errorType: "x-amzn-ErrorType",
  executedVersion: "X-Amz-Executed-Version",
  functionError: "X-Amz-Function-Error",
  logResult: "X-Amz-Log-Result",
  retryAfter: "Retry-After",
} as const;

/** The only value of `X-Amz-Function-Error` (spec §5.3). */
export const UNHANDLED_FUNCTION_ERROR = "Unhandled";

/** Content types a control-plane request body may declare (or none at all) (spec §6.5). */
export const JSON_CONTENT_TYPES: readonly string[] = [
  "application/json",
  "application/x-amz-json-1.1",
];
