/**
 * Counts what a `thaw serve` child says on stderr about itself (`thaw: note: …` lines: a failed
 * freeze, a failed destroy…) while a benchmark runs, grouped by the shape of the message, so that a
 * soak shows a thousand failed freezes as one line with a count and an example.
 */

/** Notes of one shape. */
export interface NoteGroup {
  /** The message with ids, numbers and paths replaced by `<id>`, `<n>` and `<path>`. */
  readonly pattern: string;
  readonly count: number;
  /** The first note of this shape, as written. */
  readonly example: string;
}

const NOTE_PREFIX = "thaw: note: ";
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
const PATH = /\/[\w.$:@-]+(?:\/[\w.$:@-]+)+/g;
const NUMBER = /\d+(?:\.\d+)?/g;
/** `soak-go:$LATEST:2: `: the pool a note is about (function, version, pool number). */
const POOL = /^[\w.-]+:[$\w]+:\d+: /;

/** The shape of a note: the pool, ids, then paths, then numbers replaced. */
export function notePattern(note: string): string {
  return note
    .replace(POOL, "<pool>: ")
    .replace(UUID, "<id>")
    .replace(PATH, "<path>")
    .replace(NUMBER, "<n>");
}

/** Splits stderr chunks into lines and counts the notes among them by shape. */
export class NoteTally {
  #partial = "";
  readonly #groups = new Map<string, { count: number; example: string }>();

  /** Takes the next chunk of stderr (it may end mid-line). */
  push(chunk: string): void {
    const lines = (this.#partial + chunk).split("\n");
    this.#partial = lines.pop() ?? "";
    for (const line of lines) this.#take(line);
  }

  /** Every group so far, most frequent first (a last line without its newline included). */
  groups(): NoteGroup[] {
    const groups = [...this.#groups].map(([pattern, group]) => ({
      pattern,
      ...group,
    }));
    if (this.#partial.startsWith(NOTE_PREFIX)) {
      const note = this.#partial.slice(NOTE_PREFIX.length);
      const pattern = notePattern(note);
      const found = groups.find((group) => group.pattern === pattern);
      if (found === undefined)
        groups.push({ pattern, count: 1, example: note });
      else found.count += 1;
    }
    return groups.sort((a, b) => b.count - a.count);
  }

  /** Notes counted so far. */
  get total(): number {
    let total = 0;
    for (const group of this.groups()) total += group.count;
    return total;
  }

  #take(line: string): void {
    if (!line.startsWith(NOTE_PREFIX)) return;
    const note = line.slice(NOTE_PREFIX.length);
    const pattern = notePattern(note);
    const group = this.#groups.get(pattern);
    if (group === undefined)
      this.#groups.set(pattern, { count: 1, example: note });
    else group.count += 1;
  }
}
