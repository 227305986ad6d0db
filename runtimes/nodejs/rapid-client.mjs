/**
 * The Runtime API client (spec §1): `GET /next`, `POST /response`, `POST /error`,
 * `POST /init/error`, the streaming `POST /response` used by `streamifyResponse` handlers, and
 * SnapStart's `GET /restore/next` and `POST /restore/error` (spec §1.8).
 *
 * One keep-alive socket serves every call (an `http.Agent` with `maxSockets: 1`, as the RIC's
 * streaming client does): the Runtime talks to one endpoint, strictly one request at a time, and
 * reusing the connection saves a TCP handshake per call. Idle agent sockets are unref'd by Node,
 * so they never keep the event loop alive — which matters for `callbackWaitsForEmptyEventLoop`.
 *
 * AWS's client posts results synchronously (a native addon); this one is asynchronous, so callers
 * pass the "what next" step as the promise continuation instead.
 */
import { Agent, request } from 'node:http';
import { toRapidResponse } from './errors.mjs';

const API_PREFIX = '/2018-06-01/runtime';
const ERROR_TYPE_HEADER = 'Lambda-Runtime-Function-Error-Type';
/** The error-type header of `/restore/error`, as AWS's Python and Java clients send it. */
const AFTER_RESTORE_ERROR = 'Runtime.AfterRestoreError';

/** Thrown when the Runtime API answers `/next` with something other than 200. */
export class RuntimeApiError extends Error {}
RuntimeApiError.prototype.name = 'Runtime.RuntimeApiError';

/**
 * JSON text of a handler's result; `undefined` is sent as `null` (RIC `_trySerializeResponse`).
 * @throws {Error} `Unable to stringify response body` for circular structures or BigInt.
 */
export function serializeResult(result) {
  try {
    return JSON.stringify(result === undefined ? null : result);
  } catch {
    throw new Error('Unable to stringify response body');
  }
}

export class RapidClient {
  #hostname;
  #port;
  #agent = new Agent({ keepAlive: true, maxSockets: 1 });

  /** @param {string} hostPort `AWS_LAMBDA_RUNTIME_API`, `host:port` without a scheme. */
  constructor(hostPort) {
    const colon = hostPort.lastIndexOf(':');
    // `[::1]:9001` → `::1`; Node wants IPv6 literals without brackets.
    this.#hostname = hostPort.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
    this.#port = Number.parseInt(hostPort.slice(colon + 1), 10);
  }

  /**
   * Long-polls for the next Invocation. Resolves `{ body, headers }` with lower-case header names.
   * @throws {RuntimeApiError} on a non-200 answer; the platform wants the Runtime to exit then.
   */
  async nextInvocation() {
    const { statusCode, body, headers } = await this.#get(`${API_PREFIX}/invocation/next`);
    if (statusCode !== 200) throw new RuntimeApiError(`GET /next answered ${statusCode}: ${body}`);
    return { body, headers };
  }

  /**
   * `GET /restore/next` (SnapStart, spec §1.8): pending while the platform takes the Snapshot;
   * resolves in each clone restored from it. The answer's body is empty.
   * @throws {RuntimeApiError} on any answer but 200, which AWS's clients treat as fatal.
   */
  async restoreNext() {
    const { statusCode, body } = await this.#get(`${API_PREFIX}/restore/next`);
    if (statusCode !== 200) throw new RuntimeApiError(`GET /restore/next answered ${statusCode}: ${body}`);
  }

  /** Posts a serialised result (see {@link serializeResult}) as `application/json`. */
  postInvocationResponse(requestId, bodyText) {
    return this.#post(`${API_PREFIX}/invocation/${encodeURIComponent(requestId)}/response`, bodyText, {});
  }

  /**
   * Posts any thrown value as an error document. The error type also goes in
   * `Lambda-Runtime-Function-Error-Type` so the platform can name it in its REPORT line; AWS's
   * native client leaves that header out on invocation errors, which only the platform can see.
   */
  postInvocationError(requestId, error) {
    const document = toRapidResponse(error);
    return this.#post(
      `${API_PREFIX}/invocation/${encodeURIComponent(requestId)}/error`,
      JSON.stringify(document),
      headerFor(document.errorType),
    );
  }

  /**
   * Posts an init failure; the caller exits afterwards (spec §1.2). The error-type header names
   * the document's `errorType`, or `errorType` when given (`Runtime.BeforeSnapshotError`).
   */
  postInitError(error, errorType) {
    const document = toRapidResponse(error);
    return this.#post(`${API_PREFIX}/init/error`, JSON.stringify(document), headerFor(errorType ?? document.errorType));
  }

  /** Posts an after-restore hook's failure (`Runtime.AfterRestoreError`); the caller exits afterwards. */
  postRestoreError(error) {
    return this.#post(
      `${API_PREFIX}/restore/error`,
      JSON.stringify(toRapidResponse(error)),
      headerFor(AFTER_RESTORE_ERROR),
    );
  }

  /**
   * Opens a streaming `POST /response` (spec §1.5) and returns the live request: chunked body,
   * `Lambda-Runtime-Function-Response-Mode: streaming`, error trailers declared up front.
   * `onDone` receives the answer's status once the request has been fully sent and answered.
   */
  openResponseStream(requestId, contentType, onDone, onError) {
    const req = this.#request(
      'POST',
      `${API_PREFIX}/invocation/${encodeURIComponent(requestId)}/response`,
      {
        'Lambda-Runtime-Function-Response-Mode': 'streaming',
        'Transfer-Encoding': 'chunked',
        Trailer: [ERROR_TYPE_HEADER, 'Lambda-Runtime-Function-Error-Body'],
        'Content-Type': contentType,
      },
      (res) => {
        res.resume();
        res.on('end', () => onDone(res.statusCode));
        res.on('error', onError);
      },
    );
    req.on('error', onError);
    return req;
  }

  /** A GET whose whole answer is read: `{ statusCode, body, headers }`, headers lower-case. */
  #get(path, isRetry = false) {
    return new Promise((resolve, reject) => {
      const req = this.#request('GET', path, {}, (res) => {
        const chunks = [];
        res.on('data', (chunk) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          resolve({ statusCode: res.statusCode, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers });
        });
      });
      req.on('error', (error) => {
        if (!isRetry && isStaleSocket(req, error)) {
          resolve(this.#get(path, true));
        } else {
          reject(error);
        }
      });
      req.end();
    });
  }

  #post(path, bodyText, headers) {
    const body = Buffer.from(bodyText, 'utf8');
    const attempt = (isRetry) =>
      new Promise((resolve, reject) => {
        const req = this.#request(
          'POST',
          path,
          { 'Content-Type': 'application/json', 'Content-Length': body.length, ...headers },
          (res) => {
            // The status is not acted on: like AWS's client, a refused post (413, 400) leaves the
            // platform to decide the Invocation's outcome, and the loop goes on to /next.
            res.resume();
            res.on('end', () => resolve(res.statusCode));
            res.on('error', reject);
          },
        );
        req.on('error', (error) => {
          if (!isRetry && isStaleSocket(req, error)) {
            resolve(attempt(true));
          } else {
            reject(error);
          }
        });
        req.end(body);
      });
    return attempt(false);
  }

  #request(method, path, headers, onResponse) {
    return request(
      { hostname: this.#hostname, port: this.#port, method, path, headers, agent: this.#agent },
      onResponse,
    );
  }
}

/**
 * Whether a request failed because the server had closed its idle keep-alive connection just as
 * the request went out (Node's advice: retry when `req.reusedSocket` and `ECONNRESET`). The
 * server never saw that request, so sending it again on a new connection is safe.
 */
function isStaleSocket(req, error) {
  return req.reusedSocket && (error.code === 'ECONNRESET' || error.code === 'EPIPE');
}

function headerFor(errorType) {
  // Header values must be plain strings without control characters; anything else is dropped.
  return typeof errorType === 'string' && /^[\x20-\x7E]+$/.test(errorType) ? { [ERROR_TYPE_HEADER]: errorType } : {};
}
