/**
 * The soak benchmark's HTTP client: `node:http` over a keep-alive agent, as in the serve benchmark,
 * but a call never rejects. It ends in one of four ways (answered, disconnected on purpose, failed
 * on the network, timed out on the client's side) and can destroy its own socket mid-call, which is
 * how the soak injects client disconnects.
 */
import { Agent, request } from "node:http";
import type { SoakCallResult } from "./soak-classify.js";

/** Options of {@link SoakHttpClient}. */
export interface SoakHttpClientOptions {
  /**
   * Most sockets open at once; calls beyond it queue in the agent.
   * @default 16
   */
  readonly maxSockets?: number;
}

/** Options of {@link SoakHttpClient.post}. */
export interface SoakPostOptions {
  /**
   * Destroys the socket this many milliseconds after the request was written in full (0: at
   * once), unless the answer has been read by then.
   * @default never
   */
  readonly disconnectAfterMs?: number | undefined;
  /**
   * Gives up after this many milliseconds from the start of the call, destroying the socket.
   * @default 30000
   */
  readonly timeoutMs?: number;
}

/** A keep-alive HTTP/1.1 client of one origin (`http://host:port`) whose calls always resolve. */
export class SoakHttpClient {
  readonly #agent: Agent;
  readonly #host: string;
  readonly #port: number;

  /** @throws {TypeError} when `origin` is not an `http:` URL. */
  constructor(origin: string, options: SoakHttpClientOptions = {}) {
    const url = new URL(origin);
    if (url.protocol !== "http:")
      throw new TypeError(`not an http: origin: ${origin}`);
    this.#host = url.hostname;
    this.#port = Number(url.port || 80);
    this.#agent = new Agent({
      keepAlive: true,
      maxSockets: options.maxSockets ?? 16,
      scheduling: "lifo",
    });
  }

  /**
   * POSTs `body` (JSON) to `path`. Latency runs from just before the request is handed to the
   * agent until the answer is read in full, or until the call ends otherwise.
   */
  post(
    path: string,
    body: Buffer,
    options: SoakPostOptions = {},
  ): Promise<SoakCallResult> {
    const started = performance.now();
    const elapsed = (): number => performance.now() - started;
    return new Promise<SoakCallResult>((resolve) => {
      const timers: NodeJS.Timeout[] = [];
      let settled = false;
      const settle = (result: SoakCallResult): void => {
        if (settled) return;
        settled = true;
        for (const timer of timers) clearTimeout(timer);
        resolve(result);
      };
      const outgoing = request(
        {
          host: this.#host,
          port: this.#port,
          method: "POST",
          path,
          agent: this.#agent,
          headers: {
            "content-type": "application/json",
            "content-length": String(body.length),
          },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on("data", (chunk: Buffer) => chunks.push(chunk));
          response.on("error", (error) => {
            settle({
              outcome: "failed",
              message: error.message,
              latencyMs: elapsed(),
            });
          });
          response.on("end", () => {
            settle({
              outcome: "answered",
              reply: {
                status: response.statusCode ?? 0,
                headers: response.headers,
                body: Buffer.concat(chunks),
              },
              latencyMs: elapsed(),
            });
          });
        },
      );
      outgoing.on("error", (error) => {
        settle({
          outcome: "failed",
          message: error.message,
          latencyMs: elapsed(),
        });
      });
      const { disconnectAfterMs, timeoutMs = 30_000 } = options;
      timers.push(
        setTimeout(() => {
          if (settled) return;
          settle({ outcome: "timed out", latencyMs: elapsed() });
          outgoing.destroy();
        }, timeoutMs),
      );
      if (disconnectAfterMs !== undefined) {
        outgoing.once("finish", () => {
          // Once the answer is read, the socket is back in the agent serving another call.
          const disconnect = (): void => {
            if (settled) return;
            settle({ outcome: "disconnected", latencyMs: elapsed() });
            outgoing.destroy();
          };
          if (disconnectAfterMs === 0) disconnect();
          else timers.push(setTimeout(disconnect, disconnectAfterMs));
        });
      }
      outgoing.end(body);
    });
  }

  /** Closes every socket; calls in flight end as failed. Idempotent. */
  close(): void {
    this.#agent.destroy();
  }
}
