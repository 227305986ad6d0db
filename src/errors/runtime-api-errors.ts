/**
 * Runtime API errors: thaw's answers to a Runtime that breaks the protocol (spec §1.2). They are sent
 * to the Runtime as `{ "errorType", "errorMessage" }` with the status below, never to the caller.
 */
import { ThawError } from "./thaw-error.js";

/** Error types of the Runtime API and their HTTP status. */
export const RUNTIME_API_ERROR_STATUS = {
  InvalidStateTransition: 403,
  InvalidRequestID: 400,
  RequestEntityTooLarge: 413,
  InvalidFunctionResponseMode: 400,
  TruncatedHTTPRequest: 400,
  InvalidRequestFormat: 400,
  NotFound: 404,
  MethodNotAllowed: 405,
  InternalServerError: 500,
} as const;

/** One of the Runtime API's error types. */
export type RuntimeApiErrorType = keyof typeof RUNTIME_API_ERROR_STATUS;

/** A protocol violation by the Runtime, answered with `statusCode` and this document. */
export class RuntimeApiError extends ThawError {
  override readonly name = "RuntimeApiError";
  readonly blame = "function";
  readonly statusCode: number;

  constructor(
    readonly errorType: RuntimeApiErrorType,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.statusCode = RUNTIME_API_ERROR_STATUS[errorType];
  }

  /** The body sent to the Runtime. */
  toDocument(): { errorType: string; errorMessage: string } {
    return { errorType: this.errorType, errorMessage: this.message };
  }
}
