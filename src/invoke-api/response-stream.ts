/**
 * The body of an InvokeWithResponseStream answer as event-stream frames (spec §5.5): the payload as
 * `PayloadChunk` events of at most 64 KiB each, then one `InvokeComplete` event. The writer only
 * frames; where the frames go is the sink's business, so the same writer serves a buffered reply
 * today and a Runtime's streamed response once the service streams.
 */
import { IllegalStateError } from "../errors/sandbox-errors.js";
import { encodeEventStreamMessage } from "../protocol/event-stream.js";
import { MAX_PAYLOAD_CHUNK_BYTES } from "../protocol/invoke-api.js";

/** `InvokeComplete`'s payload (the SDK's `InvokeWithResponseStreamCompleteEvent`). */
export interface InvokeCompleteEvent {
  /** The function error's type, when the function failed. */
  readonly ErrorCode?: string;
  /** The function's error document, as text. */
  readonly ErrorDetails?: string;
  /** Base64 of the last 4 KB of the log, with `X-Amz-Log-Type: Tail`. */
  readonly LogResult?: string;
}

const PAYLOAD_CHUNK_HEADERS = {
  ":event-type": "PayloadChunk",
  ":content-type": "application/octet-stream",
  ":message-type": "event",
} as const;

const INVOKE_COMPLETE_HEADERS = {
  ":event-type": "InvokeComplete",
  ":content-type": "application/json",
  ":message-type": "event",
} as const;

/** Frames one streamed answer. States: `open → completed`; nothing may follow `complete()`. */
export class ResponseStreamWriter {
  readonly #sink: (frame: Buffer) => void;
  #state: "open" | "completed" = "open";

  /** @param sink receives each frame, in order. */
  constructor(sink: (frame: Buffer) => void) {
    this.#sink = sink;
  }

  /**
   * Sends `bytes` as `PayloadChunk` events of at most 64 KiB; nothing for an empty buffer.
   * @throws {IllegalStateError} after `complete()`.
   */
  payload(bytes: Uint8Array): void {
    this.#assertOpen();
    for (let at = 0; at < bytes.length; at += MAX_PAYLOAD_CHUNK_BYTES) {
      this.#sink(
        encodeEventStreamMessage(
          PAYLOAD_CHUNK_HEADERS,
          bytes.subarray(at, at + MAX_PAYLOAD_CHUNK_BYTES),
        ),
      );
    }
  }

  /**
   * Sends the final `InvokeComplete` event.
   * @throws {IllegalStateError} when called twice.
   */
  complete(event: InvokeCompleteEvent): void {
    this.#assertOpen();
    this.#state = "completed";
    this.#sink(
      encodeEventStreamMessage(
        INVOKE_COMPLETE_HEADERS,
        Buffer.from(JSON.stringify(event), "utf8"),
      ),
    );
  }

  #assertOpen(): void {
    if (this.#state !== "open")
      throw new IllegalStateError("the response stream is already complete");
  }
}
