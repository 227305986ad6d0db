/**
 * Function errors: results of an Invocation in which the function (not the caller) failed. On the
 * Invoke API they are sent as HTTP 200 with `X-Amz-Function-Error: Unhandled`, never as HTTP errors
 * (spec §1.7, §5.3). The body is the Runtime's own error document, passed through verbatim, or one of
 * the platform documents built here with Lambda's exact wording.
 */

/**
 * Error types that the platform itself reports (the Runtime reports its own, any string). A value
 * list rather than only a type, so that the catalog test can hold docs/errors.md against it.
 */
export const PLATFORM_ERROR_TYPES = [
  "Runtime.ExitError",
  "Runtime.OutOfMemory",
  "Runtime.InvalidEntrypoint",
  "Runtime.InvalidResponseModeHeader",
  "Sandbox.Timedout",
  "Function.ResponseSizeTooLarge",
] as const;

/** One of {@link PLATFORM_ERROR_TYPES}. */
export type PlatformErrorType = (typeof PLATFORM_ERROR_TYPES)[number];

/** The JSON document the caller receives for a platform-detected function error. */
export interface PlatformErrorDocument {
  readonly errorType: PlatformErrorType;
  readonly errorMessage: string;
}

/** How a Runtime process ended, in the words Lambda uses (`exit status 1`, `signal: killed`). */
export function describeExit(
  code: number | null,
  signal: NodeJS.Signals | null,
): string | undefined {
  if (signal !== null) return `signal: ${signalWord(signal)}`;
  if (code !== null && code !== 0) return `exit status ${code}`;
  return undefined;
}

/** Go's os/exec wording for signals, which Lambda's messages reuse (`signal: killed`). */
function signalWord(signal: NodeJS.Signals): string {
  switch (signal) {
    case "SIGKILL":
      return "killed";
    case "SIGTERM":
      return "terminated";
    case "SIGSEGV":
      return "segmentation fault";
    case "SIGABRT":
      return "aborted";
    case "SIGBUS":
      return "bus error";
    case "SIGINT":
      return "interrupt";
    default:
      return signal;
  }
}

/** `Runtime.ExitError` for a Runtime that ended while it owed an answer. */
export function exitErrorDocument(
  requestId: string,
  code: number | null,
  signal: NodeJS.Signals | null,
): PlatformErrorDocument {
  const how = describeExit(code, signal);
  const errorMessage =
    how === undefined
      ? `RequestId: ${requestId} Error: Runtime exited without providing a reason`
      : `RequestId: ${requestId} Error: Runtime exited with error: ${how}`;
  return { errorType: "Runtime.ExitError", errorMessage };
}

/**
 * `Runtime.OutOfMemory`: the kernel killed the Runtime at the function's memory limit. Lambda keeps the
 * ExitError wording in the message and names the type separately.
 */
export function outOfMemoryDocument(requestId: string): PlatformErrorDocument {
  return {
    errorType: "Runtime.OutOfMemory",
    errorMessage: `RequestId: ${requestId} Error: Runtime exited with error: signal: killed`,
  };
}

/** `Sandbox.Timedout`: the Invocation passed its deadline; the timeout is printed with two decimals. */
export function timeoutErrorDocument(
  requestId: string,
  timeoutSeconds: number,
): PlatformErrorDocument {
  return {
    errorType: "Sandbox.Timedout",
    errorMessage: `RequestId: ${requestId} Error: Task timed out after ${timeoutSeconds.toFixed(2)} seconds`,
  };
}

/** `Function.ResponseSizeTooLarge`, with Lambda's message. */
export function responseTooLargeDocument(
  limitBytes: number,
): PlatformErrorDocument {
  return {
    errorType: "Function.ResponseSizeTooLarge",
    errorMessage: `Response payload size exceeded maximum allowed payload size (${limitBytes} bytes).`,
  };
}

/** `Runtime.InvalidEntrypoint`: the entrypoint could not be executed. */
export function invalidEntrypointDocument(
  requestId: string,
  detail: string,
): PlatformErrorDocument {
  return {
    errorType: "Runtime.InvalidEntrypoint",
    errorMessage: `RequestId: ${requestId} Error: ${detail}`,
  };
}

/** `Runtime.InvalidResponseModeHeader`: the Runtime sent an unknown response mode. */
export function invalidResponseModeDocument(
  requestId: string,
  mode: string,
): PlatformErrorDocument {
  return {
    errorType: "Runtime.InvalidResponseModeHeader",
    errorMessage: `RequestId: ${requestId} Error: Invalid Lambda-Runtime-Function-Response-Mode: ${mode}`,
  };
}
