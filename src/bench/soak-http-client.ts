/**
 * The soak benchmark's HTTP client: the serve benchmark's keep-alive client (serve-http-client.ts),
 * but a call never rejects. It ends in one of four ways (answered, disconnected on purpose, failed
 * on the network, timed out on the client's side) and can destroy its own socket mid-call, which is
 * how the soak injects client disconnects.
 */
import { ServeHttpClient } from "./serve-http-client.js";
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
  readonly #http: ServeHttpClient;

  /** @throws {TypeError} when `origin` is not an `http:` URL. */
  constructor(origin: string, options: SoakHttpClientOptions = {}) {
    this.#http = new ServeHttpClient(origin, {
      maxSockets: options.maxSockets ?? 16,
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
    const { disconnectAfterMs, timeoutMs = 30_000 } = options;
    return new Promise<SoakCallResult>((resolve) => {
      const timers: NodeJS.Timeout[] = [];
      const cut = new AbortController();
      let settled = false;
      const settle = (result: SoakCallResult): void => {
        if (settled) return;
        settled = true;
        for (const timer of timers) clearTimeout(timer);
        resolve(result);
      };
      /** Ends the call with `outcome` unless it has ended, then destroys the socket. */
      const giveUp = (outcome: "timed out" | "disconnected"): void => {
        if (settled) return;
        settle({ outcome, latencyMs: elapsed() });
        cut.abort();
      };
      timers.push(
        setTimeout(() => {
          giveUp("timed out");
        }, timeoutMs),
      );
      // Once the answer is read, the socket is back in the agent serving another call: a
      // disconnect planned for later is cancelled with the other timers.
      const onWritten =
        disconnectAfterMs === undefined
          ? undefined
          : (): void => {
              if (disconnectAfterMs === 0) giveUp("disconnected");
              else
                timers.push(
                  setTimeout(() => {
                    giveUp("disconnected");
                  }, disconnectAfterMs),
                );
            };
      this.#http
        .post(path, body, {
          signal: cut.signal,
          ...(onWritten === undefined ? {} : { onWritten }),
        })
        .then(
          (reply) => {
            settle({ outcome: "answered", reply, latencyMs: elapsed() });
          },
          (error: unknown) => {
            settle({
              outcome: "failed",
              message: error instanceof Error ? error.message : String(error),
              latencyMs: elapsed(),
            });
          },
        );
    });
  }

  /** Closes every socket; calls in flight end as failed. Idempotent. */
  close(): void {
    this.#http.close();
  }
}
