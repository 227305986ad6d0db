/**
 * The serve benchmark's HTTP client: plain `node:http` over a keep-alive agent, the same code for
 * the floor server and for `thaw serve`, so that subtracting the floor removes the client's own
 * cost. Deliberately not the AWS SDK: the benchmark measures thaw, not the SDK's signing and
 * middleware stack. The soak benchmark's client is built on it (see soak-http-client.ts).
 */
import { Agent, request, type IncomingHttpHeaders } from "node:http";

/** Options of {@link ServeHttpClient}. */
export interface ServeHttpClientOptions {
  /**
   * Most sockets open at once to the server; calls beyond it queue in the agent.
   * @default 4
   */
  readonly maxSockets?: number;
}

/** Options of one call of {@link ServeHttpClient}. */
export interface HttpCallOptions {
  /**
   * Headers besides `content-type: application/json` (which they may replace) and
   * `content-length`.
   * @default none
   */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * Destroys the request, and its socket, when aborted; the call then rejects.
   * @default none
   */
  readonly signal?: AbortSignal;
  /**
   * Called once the request has been written in full.
   * @default none
   */
  readonly onWritten?: () => void;
}

/** One answer, read in full. */
export interface HttpReply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

const EMPTY = Buffer.alloc(0);

/** A keep-alive HTTP/1.1 client of one origin (`http://host:port`). */
export class ServeHttpClient {
  readonly #agent: Agent;
  readonly #host: string;
  readonly #port: number;

  /** @throws {TypeError} when `origin` is not an `http:` URL. */
  constructor(origin: string, options: ServeHttpClientOptions = {}) {
    const url = new URL(origin);
    if (url.protocol !== "http:")
      throw new TypeError(`not an http: origin: ${origin}`);
    this.#host = url.hostname;
    this.#port = Number(url.port || 80);
    // LIFO keeps the hottest socket in use when fewer calls are in flight than sockets are open.
    this.#agent = new Agent({
      keepAlive: true,
      maxSockets: options.maxSockets ?? 4,
      scheduling: "lifo",
    });
  }

  /**
   * POSTs `body` (JSON unless the headers say otherwise) to `path`. Rejects only on a network
   * error or an abort.
   */
  post(
    path: string,
    body: Buffer,
    options: HttpCallOptions = {},
  ): Promise<HttpReply> {
    return this.#send({ method: "POST", path, body }, options);
  }

  /** GETs `path`. Rejects only on a network error or an abort. */
  get(path: string, options: HttpCallOptions = {}): Promise<HttpReply> {
    return this.#send({ method: "GET", path, body: EMPTY }, options);
  }

  /** DELETEs `path`. Rejects only on a network error or an abort. */
  delete(path: string, options: HttpCallOptions = {}): Promise<HttpReply> {
    return this.#send({ method: "DELETE", path, body: EMPTY }, options);
  }

  /** Closes every socket; calls in flight fail. Idempotent. */
  close(): void {
    this.#agent.destroy();
  }

  #send(
    call: {
      readonly method: "GET" | "POST" | "DELETE";
      readonly path: string;
      readonly body: Buffer;
    },
    options: HttpCallOptions,
  ): Promise<HttpReply> {
    const { method, path, body } = call;
    const { headers, signal, onWritten } = options;
    return new Promise<HttpReply>((resolve, reject) => {
      const outgoing = request(
        {
          host: this.#host,
          port: this.#port,
          method,
          path,
          agent: this.#agent,
          headers: {
            "content-type": "application/json",
            ...headers,
            "content-length": String(body.length),
          },
          ...(signal === undefined ? {} : { signal }),
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on("data", (chunk: Buffer) => chunks.push(chunk));
          response.on("error", reject);
          response.on("end", () => {
            resolve({
              status: response.statusCode ?? 0,
              headers: response.headers,
              body:
                chunks.length === 1
                  ? (chunks[0] ?? EMPTY)
                  : Buffer.concat(chunks),
            });
          });
        },
      );
      outgoing.on("error", reject);
      if (onWritten !== undefined) outgoing.once("finish", onWritten);
      outgoing.end(body);
    });
  }
}
