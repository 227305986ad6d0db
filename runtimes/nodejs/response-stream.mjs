/**
 * Response streaming for handlers wrapped in `awslambda.streamifyResponse` (spec §1.5; RIC
 * `src/ResponseStream.js`, `src/StreamingContext.js`). Loaded only when such a handler is found,
 * so buffered functions never pay for it.
 *
 * The handler gets a writable stream backed by one chunked `POST /response`. Writes that are not
 * strings, Buffers or Uint8Arrays are sent as JSON text. A failure after the stream opened is
 * reported in the trailers `Lambda-Runtime-Function-Error-Type` and
 * `Lambda-Runtime-Function-Error-Body` (base64 of the error document).
 *
 * Differences from the RIC, deliberate: `end(chunk)` goes through the same path as `write`
 * (so an HTTP prelude is sent even when the body is written by `end` alone), a handler that
 * resolves without ending its stream fails with "Response stream is not finished." instead of
 * waiting, and the `highWaterMark` option is ignored.
 */
import { Buffer } from 'node:buffer';
import { toRapidResponse } from './errors.mjs';
import { logError } from './log-patch.mjs';

const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

const STREAM_METHODS = [
  'cork',
  'uncork',
  'destroy',
  'addListener',
  'emit',
  'eventNames',
  'getMaxListeners',
  'listenerCount',
  'listeners',
  'off',
  'on',
  'once',
  'prependListener',
  'prependOnceListener',
  'rawListeners',
  'removeAllListeners',
  'removeListener',
  'setMaxListeners',
];
const READ_WRITE_PROPERTIES = ['destroyed', 'writable'];
const READ_ONLY_PROPERTIES = [
  'writableFinished',
  'writableObjectMode',
  'writableBuffer',
  'writableEnded',
  'writableNeedDrain',
  'writableHighWaterMark',
  'writableCorked',
  'writableLength',
];

/**
 * Opens the response stream of one Invocation.
 * @returns {{ context: object, responseStream: object, fail(error: unknown): void, finish(): void }}
 */
export function startStreamingInvocation({ client, requestId, scheduleNext, beforeExit, onFatal }) {
  let waitForEmptyEventLoop = true;
  let firstWriteDone = false;
  let settled = false;

  let answered;
  const answer = new Promise((resolve) => {
    answered = resolve;
  });
  const req = client.openResponseStream(requestId, DEFAULT_CONTENT_TYPE, answered, (error) => {
    answered(undefined);
    onFatal(error);
  });

  const responseStream = {};
  for (const method of STREAM_METHODS) responseStream[method] = req[method].bind(req);
  for (const property of READ_WRITE_PROPERTIES) {
    Object.defineProperty(responseStream, property, {
      get: () => req[property],
      set: (value) => {
        req[property] = value;
      },
      enumerable: true,
    });
  }
  for (const property of READ_ONLY_PROPERTIES) {
    Object.defineProperty(responseStream, property, { get: () => req[property], enumerable: true });
  }

  const beforeFirstWrite = () => {
    if (firstWriteDone) return;
    firstWriteDone = true;
    if (typeof responseStream._onBeforeFirstWrite === 'function') {
      responseStream._onBeforeFirstWrite((chunk) => req.write(chunk));
    }
  };
  responseStream.write = (chunk, encoding, callback) => {
    if (typeof chunk !== 'string' && !Buffer.isBuffer(chunk) && chunk?.constructor !== Uint8Array) {
      chunk = JSON.stringify(chunk);
    }
    beforeFirstWrite();
    return req.write(chunk, encoding, callback);
  };
  responseStream.end = (chunk, encoding, callback) => {
    if (typeof chunk === 'function') return responseStream.end(undefined, undefined, chunk);
    if (typeof encoding === 'function') return responseStream.end(chunk, undefined, encoding);
    if (chunk !== undefined && chunk !== null) responseStream.write(chunk, encoding);
    beforeFirstWrite();
    req.end(callback);
    return responseStream;
  };
  responseStream.setContentType = (contentType) => {
    if (firstWriteDone) {
      throw new Error('Cannot set content-type, too late.');
    }
    req.setHeader('Content-Type', contentType);
  };

  // Like the buffered case, the next Invocation waits for an empty event loop unless the handler
  // turned `callbackWaitsForEmptyEventLoop` off.
  const next = () => {
    beforeExit.set(undefined);
    if (!waitForEmptyEventLoop) {
      scheduleNext();
    } else {
      beforeExit.set(() => setImmediate(scheduleNext));
    }
  };

  const fail = (error) => {
    if (settled) return;
    settled = true;
    logError('Invoke Error', error);
    const document = toRapidResponse(error);
    try {
      req.addTrailers({
        'Lambda-Runtime-Function-Error-Type': String(document.errorType).replace(/[^\x20-\x7E]/g, ''),
        'Lambda-Runtime-Function-Error-Body': Buffer.from(JSON.stringify(document)).toString('base64'),
      });
    } catch {
      // Already ended: the platform has the whole body; nothing more can be said.
    }
    beforeFirstWrite();
    req.end(() => {
      answer.then(next, next);
    });
  };

  const finish = () => {
    if (settled) return;
    if (!req.writableEnded) {
      fail('Response stream is not finished.');
      return;
    }
    settled = true;
    answer.then(next, next);
  };

  const context = {
    get callbackWaitsForEmptyEventLoop() {
      return waitForEmptyEventLoop;
    },
    set callbackWaitsForEmptyEventLoop(value) {
      waitForEmptyEventLoop = value;
    },
  };
  return { context, responseStream, fail, finish };
}
