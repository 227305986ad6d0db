/** Reading an HTTP request body into memory under a byte limit. */
import type { IncomingMessage } from "node:http";

/** A body read by {@link readBody}. */
export type ReadBodyResult =
  | { readonly kind: "complete"; readonly body: Buffer }
  /** The body was longer than the limit; the rest was read and discarded so the connection stays usable. */
  | { readonly kind: "too-large"; readonly receivedBytes: number }
  /** The peer closed the connection before the body ended. */
  | { readonly kind: "aborted" };

/**
 * Reads `request`'s body, keeping at most `limitBytes`. Never rejects: a broken connection is a
 * result, not an exception, because it is the peer's doing.
 */
export function readBody(
  request: IncomingMessage,
  limitBytes: number,
): Promise<ReadBodyResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    const settle = (result: ReadBodyResult): void => {
      if (settled) return;
      settled = true;
      resolve(result);
    };
    request.on("data", (chunk: Buffer) => {
      received += chunk.length;
      if (received <= limitBytes) chunks.push(chunk);
      else chunks.length = 0;
    });
    request.on("end", () => {
      settle(
        received <= limitBytes
          ? { kind: "complete", body: Buffer.concat(chunks, received) }
          : { kind: "too-large", receivedBytes: received },
      );
    });
    request.on("aborted", () => {
      settle({ kind: "aborted" });
    });
    request.on("error", () => {
      settle({ kind: "aborted" });
    });
    request.on("close", () => {
      if (!request.complete) settle({ kind: "aborted" });
    });
  });
}
