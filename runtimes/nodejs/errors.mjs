/**
 * Errors the runtime raises, and the two ways AWS's Node.js runtime interface client (the "RIC",
 * aws/aws-lambda-nodejs-runtime-interface-client `src/Errors.js`) turns any thrown value into text:
 * the error document posted to the Runtime API, and the one-line JSON written to the log.
 *
 * Both shapes are observable by users (the first is the Invoke payload, the second is the
 * `Invoke Error` / `Uncaught Exception` log line), so they follow the RIC field for field.
 */
import { types } from 'node:util';

/** The handler's module could not be found (`MODULE_NOT_FOUND` from `require`). */
export class ImportModuleError extends Error {}
/** The handler string names a property that is missing or not a function. */
export class HandlerNotFound extends Error {}
/** The handler string has no `.`, or contains `..`. */
export class MalformedHandlerName extends Error {}
/** Loading the handler's module threw a `SyntaxError`. */
export class UserCodeSyntaxError extends Error {}
/** `awslambda.streamifyResponse` was given an unknown mode. */
export class MalformedStreamingHandler extends Error {}
/** A response stream was used in a way Lambda forbids. */
export class InvalidStreamingOperation extends Error {}

/** An async handler's promise never settled and the event loop ran dry. */
export class NodeJsExit extends Error {
  constructor() {
    // The RIC's wording, which users search for.
    super(
      'The Lambda runtime client detected an unexpected Node.js exit code. This is most commonly caused by a Promise that was never settled. For more information, see https://nodejs.org/docs/latest/api/process.html#exit-codes',
    );
  }
}

/** A promise rejected and nobody handled it; `reason` and `promise` show in the log line. */
export class UnhandledPromiseRejection extends Error {
  constructor(reason, promise) {
    super(reason);
    this.reason = reason;
    this.promise = promise;
  }
}

// The RIC names these on the prototype, so `name` is not an own enumerable property of
// instances and does not show up twice in the JSON log line.
for (const errorClass of [
  ImportModuleError,
  HandlerNotFound,
  MalformedHandlerName,
  UserCodeSyntaxError,
  MalformedStreamingHandler,
  InvalidStreamingOperation,
  NodeJsExit,
  UnhandledPromiseRejection,
]) {
  errorClass.prototype.name = `Runtime.${errorClass.name}`;
}

/** Wraps a non-Error value (a string passed to `callback`, say) in an Error. */
export function intoError(value) {
  return value instanceof Error ? value : new Error(value);
}

function looksLikeError(value) {
  return (
    Boolean(value) &&
    typeof value.name === 'string' &&
    value.name !== '' &&
    typeof value.message === 'string' &&
    value.message !== '' &&
    typeof value.stack === 'string' &&
    value.stack !== ''
  );
}

/**
 * The error document for `/invocation/{id}/error` and `/init/error`:
 * `{errorType, errorMessage, trace}`. Non-errors become `{errorType: typeof value, …, trace: []}`,
 * so `callback('boom')` reports `errorType: "string"`, as on AWS.
 */
export function toRapidResponse(error) {
  try {
    if (types.isNativeError(error) || looksLikeError(error)) {
      // DEL characters are escaped by the RIC because its HTTP client rejected them in headers.
      return {
        errorType: error.name?.replaceAll('\x7F', '%7F'),
        errorMessage: error.message?.replaceAll('\x7F', '%7F'),
        trace: error.stack.replaceAll('\x7F', '%7F').split('\n'),
      };
    }
    return { errorType: typeof error, errorMessage: error.toString(), trace: [] };
  } catch {
    return {
      errorType: 'handled',
      errorMessage:
        'callback called with Error argument, but there was a problem while retrieving one or more of its message, name, and stack',
    };
  }
}

/**
 * An error as the tab-prefixed JSON the RIC appends to `Invoke Error` and `Uncaught Exception`
 * log lines: name, message and code first, then the error's own enumerable properties, with the
 * stack split into lines.
 */
export function toFormatted(error) {
  try {
    return '\t' + JSON.stringify(error, (_key, value) => withEnumerableProperties(value));
  } catch {
    return '\t' + JSON.stringify(toRapidResponse(error));
  }
}

function withEnumerableProperties(value) {
  if (!(value instanceof Error)) return value;
  const shown = Object.assign({ errorType: value.name, errorMessage: value.message, code: value.code }, value);
  if (typeof value.stack === 'string') shown.stack = value.stack.split('\n');
  return shown;
}
