/**
 * The `context` object and the `callback` given to a handler, built as AWS's Node.js runtime
 * builds them (RIC `src/InvokeContext.js`, `src/CallbackContext.js`).
 *
 * Context fields, in the RIC's order (visible through `JSON.stringify(context)`):
 * `callbackWaitsForEmptyEventLoop`, `succeed`, `fail`, `done`, then `functionVersion`,
 * `functionName`, `memoryLimitInMB` (a string, as on AWS), `logGroupName`, `logStreamName`, then
 * `clientContext`, `identity` (parsed JSON headers, undefined when absent), `invokedFunctionArn`,
 * `awsRequestId`, `tenantId`, `getRemainingTimeInMillis()` (deadline − now, may go negative).
 *
 * Completion rules: the first of `callback`, `done`, `succeed`, `fail` wins and later calls are
 * ignored. An error is posted at once. A result given to `callback` waits for the event loop to
 * drain when `callbackWaitsForEmptyEventLoop` is true (the default), which the invoke loop learns
 * from Node's `beforeExit` event; `done`/`succeed` and resolved promises post at once.
 */
import { logError } from './log-patch.mjs';

/**
 * Builds the callback and the callback half of the context for one Invocation.
 * @param {object} hooks
 * @param {(result: unknown) => void} hooks.complete posts a result (may throw if unserialisable)
 * @param {(error: unknown) => void} hooks.fail posts an error
 * @param {(listener: (() => void) | undefined) => void} hooks.onEmptyEventLoop sets the
 *   `beforeExit` action, or clears it with undefined
 * @returns {{ callback: Function, context: object, markCompleted: () => void }}
 */
export function buildCallbackContext(hooks) {
  let waitForEmptyEventLoop = true;
  let completed = false;

  const postError = (error) => {
    logError('Invoke Error', error);
    hooks.fail(error);
  };
  const complete = (result) => {
    if (completed) {
      console.error(
        'Invocation has already been reported as done. Cannot call complete more than once per invocation.',
      );
      return;
    }
    completed = true;
    hooks.complete(result);
  };

  const callback = (error, result) => {
    hooks.onEmptyEventLoop(undefined);
    if (error !== undefined && error !== null) {
      postError(error);
    } else if (!waitForEmptyEventLoop) {
      complete(result);
    } else {
      hooks.onEmptyEventLoop(() => setImmediate(() => complete(result)));
    }
  };
  const done = (error, result) => {
    hooks.onEmptyEventLoop(undefined);
    if (error !== undefined && error !== null) {
      postError(error);
    } else {
      complete(result);
    }
  };
  const succeed = (result) => done(null, result);
  const fail = (error) => (error === undefined || error === null ? done('handled') : done(error, null));

  // Only the first call among all four goes through. The flag is set after the call returns, so a
  // call that throws (an unserialisable result) leaves room for the error to be reported.
  let finished = false;
  const once =
    (fn) =>
    (...args) => {
      if (finished) return;
      fn(...args);
      finished = true;
    };

  const context = {
    get callbackWaitsForEmptyEventLoop() {
      return waitForEmptyEventLoop;
    },
    set callbackWaitsForEmptyEventLoop(value) {
      waitForEmptyEventLoop = value;
    },
    succeed: once(succeed),
    fail: once(fail),
    done: once(done),
  };
  return {
    callback: once(callback),
    context,
    markCompleted: () => {
      completed = true;
    },
  };
}

/**
 * Adds the environment and header data to `context` and forwards the X-Ray trace header into
 * `_X_AMZN_TRACE_ID` (removed when the Invocation has none).
 * @param headers lower-case `/next` headers
 * @throws {Error} "Cannot parse ClientContext as json: …" for a malformed JSON header; the
 *   Invocation then fails with that error, as on AWS.
 */
export function attachInvocationData(context, headers) {
  const traceId = headers['lambda-runtime-trace-id'];
  if (traceId) {
    process.env._X_AMZN_TRACE_ID = traceId;
  } else {
    delete process.env._X_AMZN_TRACE_ID;
  }
  const deadline = Number(headers['lambda-runtime-deadline-ms']);
  return Object.assign(
    context,
    {
      functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
      functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
      memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
      logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
      logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    },
    {
      clientContext: parseJsonHeader(headers['lambda-runtime-client-context'], 'ClientContext'),
      identity: parseJsonHeader(headers['lambda-runtime-cognito-identity'], 'CognitoIdentity'),
      invokedFunctionArn: headers['lambda-runtime-invoked-function-arn'],
      awsRequestId: headers['lambda-runtime-aws-request-id'],
      tenantId: headers['lambda-runtime-aws-tenant-id'],
      getRemainingTimeInMillis() {
        return deadline - Date.now();
      },
    },
  );
}

function parseJsonHeader(text, name) {
  // AWS's native client drops empty headers, so an empty value means "absent".
  if (text === undefined || text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`Cannot parse ${name} as json: ${error.toString()}`);
  }
}
