/**
 * Reading a request body under a byte limit without ever holding more than the limit: a body whose
 * `Content-Length` is over the limit is refused before a byte is read, and a chunked one as soon as
 * it passes the limit, so the 413 goes out while the client is still sending. The rest is read and
 * discarded (the connection stays usable for keep-alive) up to {@link DRAIN_LIMIT_BYTES}; past that
 * the connection is closed, because reading a huge upload only to throw it away helps no one.
 */
import type { IncomingMessage } from "node:http";

/** How many bytes past a refusal are read and discarded before the connection is closed. */
const DRAIN_LIMIT_BYTES = 16 * 1024 * 1024;

/** A body read by {@link readRequestBody}. */
export type RequestBody =
  | { readonly kind: "complete"; readonly body: Buffer }
  /**
   * Over the limit. `sizeBytes` is the declared `Content-Length`, else the bytes seen when reading
   * stopped. `closeConnection` is true when the rest is more than will be drained.
   */
  | {
      readonly kind: "too-large";
      readonly sizeBytes: number;
      readonly closeConnection: boolean;
    }
  /** The peer closed the connection before the body ended. */
  | { readonly kind: "aborted" };

const EMPTY = Buffer.alloc(0);

/** Reads `request`'s body, keeping at most `limitBytes`. Never rejects. */
export function readRequestBody(
  request: IncomingMessage,
  limitBytes: number,
): Promise<RequestBody> {
  const declared = declaredLength(request);
  if (declared !== undefined && declared > limitBytes) {
    discard(request);
    return Promise.resolve({
      kind: "too-large",
      sizeBytes: declared,
      closeConnection: declared > DRAIN_LIMIT_BYTES,
    });
  }
  if (declared === 0 || request.complete) {
    request.resume();
    return Promise.resolve({ kind: "complete", body: EMPTY });
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const onData = (chunk: Buffer): void => {
      received += chunk.length;
      if (received <= limitBytes) {
        chunks.push(chunk);
        return;
      }
      chunks.length = 0;
      detach();
      discard(request);
      resolve({
        kind: "too-large",
        sizeBytes: received,
        closeConnection: false,
      });
    };
    const onEnd = (): void => {
      detach();
      resolve({ kind: "complete", body: Buffer.concat(chunks, received) });
    };
    const onClose = (): void => {
      if (request.complete) return;
      detach();
      resolve({ kind: "aborted" });
    };
    const detach = (): void => {
      request.off("data", onData);
      request.off("end", onEnd);
      request.off("error", onClose);
      request.off("close", onClose);
    };
    request.on("data", onData);
    request.on("end", onEnd);
    request.on("error", onClose);
    request.on("close", onClose);
  });
}

/** Reads and drops the rest of `request`; closes the connection past the drain limit. */
export function discard(request: IncomingMessage): void {
  let drained = 0;
  request.on("data", (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > DRAIN_LIMIT_BYTES) request.socket.destroy();
  });
  request.on("error", () => undefined);
  request.resume();
}

function declaredLength(request: IncomingMessage): number | undefined {
  const header = request.headers["content-length"];
  if (header === undefined) return undefined;
  const length = Number(header);
  return Number.isSafeInteger(length) && length >= 0 ? length : undefined;
}
