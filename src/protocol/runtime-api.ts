/**
 * Wire constants of the Lambda Runtime API 2018-06-01 (spec §1): paths, header names and limits.
 * No I/O here; the server in `runtime-api/` uses these, and so do tests and fixture runtimes.
 */

/** Version prefix of every Runtime API path. */
export const RUNTIME_API_VERSION = "2018-06-01";

/** Largest Invocation payload (request) accepted by the Invoke API: 6 MiB (spec §5.1). */
export const MAX_REQUEST_PAYLOAD_BYTES = 6_291_456;

/**
 * Largest response a Runtime may post, in bytes. Lambda's own message names 6291556: 6 MiB plus 100
 * bytes of allowance (spec §1.2, §1.7).
 */
export const MAX_RESPONSE_PAYLOAD_BYTES = 6_291_556;

/** Header names sent on `GET /runtime/invocation/next` (spec §1.3), as Lambda spells them. */
export const NEXT_HEADERS = {
  requestId: "Lambda-Runtime-Aws-Request-Id",
  deadlineMs: "Lambda-Runtime-Deadline-Ms",
  invokedFunctionArn: "Lambda-Runtime-Invoked-Function-Arn",
  traceId: "Lambda-Runtime-Trace-Id",
  clientContext: "Lambda-Runtime-Client-Context",
  cognitoIdentity: "Lambda-Runtime-Cognito-Identity",
  tenantId: "Lambda-Runtime-Aws-Tenant-Id",
} as const;

/** Header names a Runtime may send (lower case, as Node's http parser gives them). */
export const RUNTIME_HEADERS = {
  errorType: "lambda-runtime-function-error-type",
  errorBody: "lambda-runtime-function-error-body",
  xrayErrorCause: "lambda-runtime-function-xray-error-cause",
  responseMode: "lambda-runtime-function-response-mode",
} as const;

/** The only value `Lambda-Runtime-Function-Response-Mode` may take (spec §1.5). */
export const STREAMING_RESPONSE_MODE = "streaming";
