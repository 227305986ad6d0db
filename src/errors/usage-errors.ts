/**
 * Errors of a caller's input that are found before anything runs: a bad command line, a bad
 * configuration value, a broken function package. The CLI exits with status 2 on any of them.
 */
import { ThawError } from "./thaw-error.js";

/** A configuration value is out of range or malformed (AWS: InvalidParameterValueException). */
export class InvalidParameterValueError extends ThawError {
  override readonly name = "InvalidParameterValueException";
  readonly blame = "client";
}

/** The function package cannot be used as it is (corrupt zip, unsafe entry, no entrypoint…). */
export class InvalidPackageError extends ThawError {
  override readonly name = "InvalidPackageError";
  readonly blame = "client";

  /**
   * @param reason a stable machine-readable reason, e.g. `corrupt-zip`, `zip-slip`, `link-outside`,
   *   `missing-bootstrap`, `bootstrap-not-executable`, `not-found`.
   */
  constructor(
    readonly reason: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** No interpreter for the requested runtime exists on this machine. */
export class RuntimeUnavailableError extends ThawError {
  override readonly name = "InvalidRuntimeException";
  readonly blame = "platform";
}

/** A results file of `thaw bench` does not match its layout; `message` names the first wrong field. */
export class InvalidResultsError extends ThawError {
  override readonly name = "InvalidResultsError";
  readonly blame = "client";

  /**
   * @param field the first wrong field as a path, e.g. `results.cold[0].samples[3].totalMs`.
   */
  constructor(
    readonly field: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
