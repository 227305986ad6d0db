/**
 * A reproducible source of random numbers for benchmarks: the same seed gives the same sequence on
 * every machine and Node version. Each value is read from SHA-256 of `seed:counter` (a hash in
 * counter mode), which is slow next to `Math.random` (about a microsecond a draw) but needs no
 * hand-written generator and is plenty for planning tens of thousands of calls.
 */
import { createHash } from "node:crypto";

/** 2^48: the draws use the first 48 bits of each digest, exact in a double. */
const TWO_POW_48 = 2 ** 48;

/** A seeded sequence of uniform draws. */
export class SeededRandom {
  readonly seed: string;
  #counter = 0;

  constructor(seed: string) {
    this.seed = seed;
  }

  /** The next draw, uniform in [0, 1). */
  next(): number {
    return this.#digest().readUIntBE(0, 6) / TWO_POW_48;
  }

  /**
   * `length` random hexadecimal digits (64 per draw).
   * @throws {RangeError} when `length` is not a non-negative integer.
   */
  hex(length: number): string {
    if (!Number.isInteger(length) || length < 0)
      throw new RangeError(`bad length ${String(length)}`);
    let text = "";
    while (text.length < length) text += this.#digest().toString("hex");
    return text.slice(0, length);
  }

  /**
   * A whole number in [min, max], both included.
   * @throws {RangeError} when the bounds are not integers or `max < min`.
   */
  integer(min: number, max: number): number {
    if (!Number.isInteger(min) || !Number.isInteger(max) || max < min)
      throw new RangeError(`bad integer range [${min}, ${max}]`);
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /**
   * One of `items`, each equally likely.
   * @throws {RangeError} when `items` is empty.
   */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError("nothing to pick from");
    return items[this.integer(0, items.length - 1)] as T;
  }

  #digest(): Buffer {
    const digest = createHash("sha256")
      .update(`${this.seed}:${String(this.#counter)}`)
      .digest();
    this.#counter += 1;
    return digest;
  }
}
