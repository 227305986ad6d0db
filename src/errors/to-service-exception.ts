/**
 * The one normaliser of the Invoke API's HTTP edge (STYLE.md, "Errors"): whatever a handler or the
 * service behind it threw becomes the {@link ServiceException} that is written to the caller.
 * Known thaw errors keep their meaning; anything else is a 500 `ServiceException` that keeps the
 * original as its `cause`, and its stack is reported once.
 */
import { ServiceException } from "./service-exceptions.js";
import { ThawError } from "./thaw-error.js";

/** Options of {@link toServiceException}. */
export interface ToServiceExceptionOptions {
  /**
   * Receives an error that had no service meaning (a bug in thaw, or a platform failure), before it
   * is wrapped.
   * @default writes `thaw: unexpected error: <stack>` to stderr
   */
  readonly onUnexpected?: (error: unknown) => void;
}

/** The message of the 500 that stands for an unexpected error; the details stay on the server. */
const INTERNAL_MESSAGE = "An internal error occurred in thaw.";

function writeToStderr(error: unknown): void {
  const text =
    error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`thaw: unexpected error: ${text}\n`);
}

/**
 * Maps anything thrown at the HTTP edge to the service exception the caller sees: a
 * `ServiceException` passes through; `InvalidParameterValueError` becomes 400
 * `InvalidParameterValueException`; `InvalidPackageError` 400 `InvalidParameterValueException`
 * with its message; `RuntimeUnavailableError` 502 `InvalidRuntimeException`; anything else 500
 * `ServiceException` with the original as `cause` (reported through `onUnexpected`).
 */
export function toServiceException(
  error: unknown,
  options: ToServiceExceptionOptions = {},
): ServiceException {
  if (error instanceof ServiceException) return error;
  if (error instanceof ThawError) {
    // By name, as docs/errors.md lists them; these classes carry AWS's name where AWS has one.
    switch (error.name) {
      case "InvalidParameterValueException": // InvalidParameterValueError
      case "InvalidPackageError":
        return new ServiceException(
          "InvalidParameterValueException",
          error.message,
          { cause: error },
        );
      case "InvalidRuntimeException": // RuntimeUnavailableError
        return new ServiceException("InvalidRuntimeException", error.message, {
          cause: error,
        });
    }
  }
  (options.onUnexpected ?? writeToStderr)(error);
  return new ServiceException("ServiceException", INTERNAL_MESSAGE, {
    cause: error,
  });
}
