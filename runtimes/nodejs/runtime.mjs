/**
 * The invoke loop: wait for an Invocation, run the handler, report, repeat (RIC `src/Runtime.js`).
 *
 * Each iteration starts from `setImmediate`, so the previous Invocation's synchronous work is done
 * before `/next` is polled. The process-wide `uncaughtException` / `unhandledRejection` handlers
 * installed by index.mjs call {@link ErrorCallbacks}, which each iteration points at its own
 * requestId: the error is posted to that Invocation, then the process exits 129 (exception) or
 * 128 (rejection), as AWS's runtime does (spec §1.6).
 *
 * `beforeExit` is how "the event loop is empty" is observed. Per Invocation, until the handler
 * completes, it means: an `async function` handler whose promise never settled fails with
 * `Runtime.NodeJsExit`; any other handler that never called back succeeds with `null`.
 *
 * Difference from AWS, by construction: between Invocations the process is not frozen, so timers
 * left running by a handler that answered early (`callbackWaitsForEmptyEventLoop = false`) keep
 * running while the next `/next` is pending, where AWS would pause them until the next thaw.
 */
import { NodeJsExit } from './errors.mjs';
import { attachInvocationData, buildCallbackContext } from './invoke-context.mjs';
import { logError, setCurrentRequestId } from './log-patch.mjs';
import { serializeResult } from './rapid-client.mjs';

/**
 * @typedef {object} ErrorCallbacks
 * @property {(error: unknown) => void} uncaughtException
 * @property {(error: unknown) => void} unhandledRejection
 */

/** How long a fatal error's post may take before the process exits anyway. */
const EXIT_GRACE_MS = 1000;

export class Runtime {
  #client;
  #userFunction;
  /**
   * The user's handler, called as a method of this object: V8 then names the frame
   * `Runtime.handler` / `Runtime.exports.handler` in stack traces, as on AWS.
   */
  handler;
  #errorCallbacks;
  #beforeExit;
  #onFatal;
  #streaming;

  /**
   * @param {object} options
   * @param {import('./rapid-client.mjs').RapidClient} options.client
   * @param {{ handler: Function, isAsync: boolean, streaming: boolean }} options.userFunction
   * @param {ErrorCallbacks} options.errorCallbacks mutated per Invocation
   * @param {{ set(listener: (() => void) | undefined): void }} options.beforeExit
   * @param {(error: unknown) => void} options.onFatal the Runtime API failed; the process must end
   * @param {object} [options.streaming] the response-stream module, for streaming handlers
   */
  constructor(options) {
    this.#client = options.client;
    this.#userFunction = options.userFunction;
    this.handler = options.userFunction.handler;
    this.#errorCallbacks = options.errorCallbacks;
    this.#beforeExit = options.beforeExit;
    this.#onFatal = options.onFatal;
    this.#streaming = options.streaming;
  }

  /** Starts the next iteration once the current turn of the event loop is over. */
  scheduleIteration() {
    setImmediate(() => {
      const once = this.#streaming ? this.handleOnceStreaming() : this.handleOnceNonStreaming();
      once.catch((error) => this.#onFatal(error));
    });
  }

  async #next() {
    const { body, headers } = await this.#client.nextInvocation();
    const requestId = headers['lambda-runtime-aws-request-id'];
    if (!requestId) throw new Error('invocation id is missing or invalid');
    setCurrentRequestId(requestId, headers['lambda-runtime-aws-tenant-id']);
    // Faults during an Invocation are reported against it (spec §1.6).
    this.#errorCallbacks.uncaughtException = (error) => this.#postAndExit(requestId, error, 129);
    this.#errorCallbacks.unhandledRejection = (error) => this.#postAndExit(requestId, error, 128);
    return { body, headers, requestId };
  }

  // Public names, as the RIC's, because they show in every stack trace of a failed Invocation.
  /** One buffered Invocation. */
  async handleOnceNonStreaming() {
    const { body, headers, requestId } = await this.#next();
    const scheduleNext = () => this.scheduleIteration();
    const { callback, context, markCompleted } = buildCallbackContext({
      complete: (result) => {
        // Serialised here, synchronously, so an unserialisable result throws to the caller,
        // which then reports "Unable to stringify response body" as the Invocation's error.
        const text = serializeResult(result);
        this.#client.postInvocationResponse(requestId, text).then(scheduleNext, this.#onFatal);
      },
      fail: (error) => {
        this.#client.postInvocationError(requestId, error).then(scheduleNext, this.#onFatal);
      },
      onEmptyEventLoop: (listener) => this.#beforeExit.set(listener),
    });

    const { isAsync } = this.#userFunction;
    try {
      this.#beforeExit.set(() => {
        markCompleted();
        if (isAsync) {
          const error = new NodeJsExit();
          logError('Invoke Error', error);
          this.#client.postInvocationError(requestId, error).then(scheduleNext, this.#onFatal);
        } else {
          this.#client.postInvocationResponse(requestId, 'null').then(scheduleNext, this.#onFatal);
        }
      });
      const result = this.handler(JSON.parse(body), attachInvocationData(context, headers), callback);
      if (isPromise(result)) {
        result.then(context.succeed, context.fail).catch(context.fail);
      }
    } catch (error) {
      callback(error);
    }
  }

  /** One streamed Invocation. */
  async handleOnceStreaming() {
    const { body, headers, requestId } = await this.#next();
    const invocation = this.#streaming.startStreamingInvocation({
      client: this.#client,
      requestId,
      scheduleNext: () => this.scheduleIteration(),
      beforeExit: this.#beforeExit,
      onFatal: this.#onFatal,
    });
    // If the loop drains while the handler is still pending, move on, as the RIC does.
    this.#beforeExit.set(() => this.scheduleIteration());
    try {
      const context = attachInvocationData(invocation.context, headers);
      const result = this.handler(JSON.parse(body), invocation.responseStream, context);
      if (!isPromise(result)) {
        invocation.fail('Streaming does not support non-async handlers.');
        return;
      }
      if ((await result) !== undefined) console.warn('Streaming handlers ignore return values.');
      invocation.finish();
    } catch (error) {
      invocation.fail(error);
    }
  }

  #postAndExit(requestId, error, code) {
    const exit = () => process.exit(code);
    this.#client.postInvocationError(requestId, error).then(exit, exit);
    // The post can be stuck behind an unfinished response stream on the single socket; the
    // process must end regardless.
    setTimeout(exit, EXIT_GRACE_MS);
  }
}

function isPromise(value) {
  return Boolean(value) && typeof value.then === 'function';
}
