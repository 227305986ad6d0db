/**
 * The request side shared by Invoke and InvokeWithResponseStream (spec §5.1, §5.5): the
 * `X-Amz-*` headers, the payload limits and the payload's JSON check, and the tail of the log.
 */
import type { IncomingHttpHeaders } from "node:http";
import {
  invalidRequestContent,
  requestTooLarge,
  ServiceException,
  validationException,
} from "../../errors/service-exceptions.js";
import {
  INVOKE_REQUEST_HEADERS,
  MAX_CLIENT_CONTEXT_BYTES,
  MAX_EVENT_PAYLOAD_BYTES,
  MAX_SYNC_PAYLOAD_BYTES,
  TAIL_LOG_BYTES,
} from "../../protocol/invoke-api.js";
import type { InvocationType } from "../lambda-service.js";
import { decodeBase64 } from "../../util/base64.js";

/** The parsed `X-Amz-*` headers of an Invoke. */
export interface InvokeHeaders {
  readonly invocationType: InvocationType;
  readonly tailLog: boolean;
  /** Base64-decoded: JSON text. */
  readonly clientContext: string | undefined;
  readonly tenantId: string | undefined;
}

/** The invocation types Invoke accepts. */
export const INVOKE_TYPES: readonly InvocationType[] = [
  "RequestResponse",
  "Event",
  "DryRun",
];

/** The invocation types InvokeWithResponseStream accepts. */
export const STREAM_INVOKE_TYPES: readonly InvocationType[] = [
  "RequestResponse",
  "DryRun",
];

/**
 * Reads `X-Amz-Invocation-Type` alone (it decides the payload limit before the body is read).
 * @throws {ServiceException} `InvalidParameterValueException` for a type not in `allowed`.
 */
export function invocationTypeOf(
  headers: IncomingHttpHeaders,
  allowed: readonly InvocationType[],
): InvocationType {
  const value = headers[INVOKE_REQUEST_HEADERS.invocationType];
  if (value === undefined || value === "") return "RequestResponse";
  const found = allowed.find((type) => type === value);
  if (found === undefined)
    throw new ServiceException(
      "InvalidParameterValueException",
      `Invalid X-Amz-Invocation-Type: '${String(value)}'. Valid values: ${allowed.join(", ")}.`,
    );
  return found;
}

/**
 * Reads every `X-Amz-*` header of an Invoke.
 * @throws {ServiceException} `InvalidParameterValueException` (invocation type),
 *   `ValidationException` (log type), `InvalidRequestContentException` (client context).
 */
export function parseInvokeHeaders(
  headers: IncomingHttpHeaders,
  allowed: readonly InvocationType[],
): InvokeHeaders {
  const invocationType = invocationTypeOf(headers, allowed);
  const logType = headers[INVOKE_REQUEST_HEADERS.logType];
  if (
    logType !== undefined &&
    logType !== "" &&
    logType !== "None" &&
    logType !== "Tail"
  )
    throw validationException(
      "logType",
      String(logType),
      "Member must satisfy enum value set: [Tail, None]",
    );
  const tenantId = headers[INVOKE_REQUEST_HEADERS.tenantId];
  return {
    invocationType,
    // The tail of the log is for synchronous calls only (spec §4.3).
    tailLog: logType === "Tail" && invocationType === "RequestResponse",
    clientContext: decodeClientContext(
      headers[INVOKE_REQUEST_HEADERS.clientContext],
    ),
    tenantId:
      typeof tenantId === "string" && tenantId !== "" ? tenantId : undefined,
  };
}

const BAD_CLIENT_CONTEXT =
  "Client context must be a valid Base64-encoded JSON object.";
const UTF8 = new TextDecoder("utf-8", { fatal: true });

function decodeClientContext(
  header: string | string[] | undefined,
): string | undefined {
  if (header === undefined || header === "") return undefined;
  const bytes = typeof header === "string" ? decodeBase64(header) : undefined;
  if (bytes === undefined)
    throw new ServiceException(
      "InvalidRequestContentException",
      BAD_CLIENT_CONTEXT,
    );
  if (bytes.length > MAX_CLIENT_CONTEXT_BYTES)
    throw new ServiceException(
      "InvalidRequestContentException",
      `Client context must be at most ${String(MAX_CLIENT_CONTEXT_BYTES)} bytes once decoded; got ${String(bytes.length)}.`,
    );
  let text: string;
  let value: unknown;
  try {
    text = UTF8.decode(bytes);
    value = JSON.parse(text);
  } catch (error) {
    throw new ServiceException(
      "InvalidRequestContentException",
      BAD_CLIENT_CONTEXT,
      { cause: error },
    );
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new ServiceException(
      "InvalidRequestContentException",
      BAD_CLIENT_CONTEXT,
    );
  return text;
}

/** The payload limit of an invocation type (spec §5.1). */
export function payloadLimit(invocationType: InvocationType): number {
  return invocationType === "Event"
    ? MAX_EVENT_PAYLOAD_BYTES
    : MAX_SYNC_PAYLOAD_BYTES;
}

/** The 413 for a payload of `sizeBytes`, in Lambda's words for the invocation type. */
export function payloadTooLarge(
  sizeBytes: number,
  invocationType: InvocationType,
): ServiceException {
  if (invocationType === "Event")
    return new ServiceException(
      "RequestTooLargeException",
      `${String(sizeBytes)} byte payload is too large for the Event invocation type (limit ${String(MAX_EVENT_PAYLOAD_BYTES)} bytes)`,
    );
  return requestTooLarge(MAX_SYNC_PAYLOAD_BYTES, "InvokeFunction");
}

/** What an empty payload invokes with, as on Lambda: an empty JSON object. */
const EMPTY_EVENT = "{}";

/**
 * Checks that a payload is JSON; an empty (or blank) payload becomes `{}`.
 * @throws {ServiceException} `InvalidRequestContentException` with Lambda's message.
 */
export function checkPayload(payload: Buffer): Buffer {
  if (isBlank(payload)) return Buffer.from(EMPTY_EVENT);
  try {
    JSON.parse(UTF8.decode(payload));
  } catch (error) {
    throw invalidRequestContent(
      `Could not parse payload into json: ${error instanceof Error ? error.message : String(error)}`,
      error,
    );
  }
  return payload;
}

function isBlank(payload: Buffer): boolean {
  for (const byte of payload) {
    // JSON whitespace: space, tab, line feed, carriage return.
    if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d)
      return false;
  }
  return true;
}

/** `X-Amz-Log-Result`: base64 of the last 4 KB of the Invocation's log (spec §4.3). */
export function tailLogResult(log: string): string {
  const bytes = Buffer.from(log, "utf8");
  return bytes
    .subarray(Math.max(0, bytes.length - TAIL_LOG_BYTES))
    .toString("base64");
}
