/**
 * Service exceptions: Invoke API and control-plane failures that stop the function from running
 * (spec §5.4). Each carries its HTTP status, a fault (`client` → body `Type: "User"`, `server` →
 * `Type: "Service"`) and Lambda's name, which the wire carries in `x-amzn-ErrorType`. The table
 * in `status-table.ts` is the one place that maps a name to a status.
 */
import { ThawError } from "./thaw-error.js";
import {
  SERVICE_EXCEPTION_STATUS,
  type ServiceExceptionName,
} from "./status-table.js";

/** Whose fault a service exception is, as AWS's body `Type` says it. */
export type Fault = "client" | "server";

/** The `Reason` of a TooManyRequestsException (spec §5.4). */
export type ThrottleReason =
  | "ConcurrentInvocationLimitExceeded"
  | "FunctionInvocationRateLimitExceeded"
  | "ReservedFunctionConcurrentInvocationLimitExceeded"
  | "ReservedFunctionInvocationRateLimitExceeded"
  | "CallerRateLimitExceeded"
  | "ConcurrentSnapshotCreateLimitExceeded";

/** Options of {@link ServiceException}. */
export interface ServiceExceptionOptions {
  readonly cause?: unknown;
  /** Extra body fields, e.g. `Reason` of a 429. */
  readonly fields?: Readonly<Record<string, string>>;
  /** A `Retry-After` header value in seconds. */
  readonly retryAfterSeconds?: number;
}

/** An Invoke API or control-plane failure, answered with AWS's error shape. */
export class ServiceException extends ThawError {
  override readonly name: ServiceExceptionName;
  readonly statusCode: number;
  readonly fault: Fault;
  readonly blame;
  readonly fields: Readonly<Record<string, string>>;
  readonly retryAfterSeconds: number | undefined;

  constructor(
    name: ServiceExceptionName,
    message: string,
    options: ServiceExceptionOptions = {},
  ) {
    super(message, { cause: options.cause });
    this.name = name;
    this.statusCode = SERVICE_EXCEPTION_STATUS[name];
    this.fault = this.statusCode >= 500 ? "server" : "client";
    this.blame =
      this.fault === "server" ? ("platform" as const) : ("client" as const);
    this.fields = options.fields ?? {};
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

/** 404: no such function, version or alias. */
export function resourceNotFound(
  arnOrName: string,
  what = "Function",
): ServiceException {
  return new ServiceException(
    "ResourceNotFoundException",
    `${what} not found: ${arnOrName}`,
  );
}

/** 429 with its `Reason`. */
export function tooManyRequests(
  reason: ThrottleReason,
  message = "Rate Exceeded.",
): ServiceException {
  return new ServiceException("TooManyRequestsException", message, {
    fields: { Reason: reason },
  });
}

/** 400 `ValidationException` in AWS's words: `1 validation error detected: Value 'x' at 'member' …`. */
export function validationException(
  member: string,
  value: string | null,
  constraint: string,
): ServiceException {
  const shown = value === null ? "null" : `'${value}'`;
  return new ServiceException(
    "ValidationException",
    `1 validation error detected: Value ${shown} at '${member}' failed to satisfy constraint: ${constraint}`,
  );
}

/** 400 `InvalidRequestContentException`: a body that is not the JSON it must be. */
export function invalidRequestContent(
  detail: string,
  cause?: unknown,
): ServiceException {
  return new ServiceException(
    "InvalidRequestContentException",
    `Could not parse request body into json: ${detail}`,
    { cause },
  );
}

/** 413 `RequestTooLargeException` with Lambda's message for `operation` (e.g. `InvokeFunction`). */
export function requestTooLarge(
  limitBytes: number,
  operation: string,
): ServiceException {
  return new ServiceException(
    "RequestTooLargeException",
    `Request must be smaller than ${String(limitBytes)} bytes for the ${operation} operation`,
  );
}
