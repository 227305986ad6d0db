/** Splits a byte stream of UTF-8 text into lines. */
import { StringDecoder } from "node:string_decoder";

/**
 * Turns chunks of a Runtime's stdout or stderr into lines without their `\n`. A multi-byte
 * character split across chunks is kept whole; a line of any length costs time linear in its
 * length; {@link end} delivers a last line that had no newline.
 */
export class LineSplitter {
  readonly #decoder = new StringDecoder("utf8");
  readonly #onLine: (line: string) => void;
  /** Pieces of the current line received so far (joined once, when its newline arrives). */
  #pieces: string[] = [];

  constructor(onLine: (line: string) => void) {
    this.#onLine = onLine;
  }

  /** Takes the next chunk of the stream; calls `onLine` once per complete line in it. */
  push(chunk: Buffer): void {
    const text = this.#decoder.write(chunk);
    let start = 0;
    for (
      let newline = text.indexOf("\n");
      newline !== -1;
      newline = text.indexOf("\n", start)
    ) {
      const piece = text.slice(start, newline);
      start = newline + 1;
      if (this.#pieces.length === 0) {
        this.#onLine(piece);
      } else {
        this.#pieces.push(piece);
        const line = this.#pieces.join("");
        this.#pieces = [];
        this.#onLine(line);
      }
    }
    if (start < text.length) this.#pieces.push(text.slice(start));
  }

  /** Ends the stream: delivers the final line if it had no newline. Idempotent. */
  end(): void {
    const rest = this.#pieces.join("") + this.#decoder.end();
    this.#pieces = [];
    if (rest !== "") this.#onLine(rest);
  }
}
