/**
 * Time as an injected dependency: the current time and one-shot timers, so that the pool, the
 * scheduler and the Event queue can be driven by hand in tests instead of sleeping (STYLE.md,
 * "Time comes from an injected Clock").
 *
 * {@link systemClock} is the real one: `performance.now()` and `setTimeout`, with every timer
 * `unref()`ed, so that no pool tick or retry timer keeps Node alive on its own (thaw's servers
 * do that). {@link ManualClock} is the test one: time stands still until the test advances it.
 */
import { setImmediate as nextMacrotask } from "node:timers/promises";

/** A scheduled callback; {@link ClockTimer.cancel} prevents it from running. */
export interface ClockTimer {
  /** Stops the callback from running; does nothing once it has run or was cancelled. Idempotent. */
  cancel(): void;
}

/** The current time and one-shot timers. */
export interface Clock {
  /**
   * The current time in milliseconds on a monotonic scale. Only differences are meaningful: the
   * value is not a wall-clock time.
   */
  now(): number;
  /**
   * Runs `callback` once, `delayMs` milliseconds from now (0 or a negative delay: as soon as
   * possible, never synchronously).
   */
  setTimeout(callback: () => void, delayMs: number): ClockTimer;
}

/** A real timer, `unref()`ed so that it never keeps the process alive by itself. */
class SystemTimer implements ClockTimer {
  readonly #handle: NodeJS.Timeout;

  constructor(callback: () => void, delayMs: number) {
    this.#handle = setTimeout(callback, Math.max(0, delayMs));
    this.#handle.unref();
  }

  cancel(): void {
    clearTimeout(this.#handle);
  }
}

/**
 * The real clock: `performance.now()` (monotonic, milliseconds since this process started) and
 * Node's `setTimeout`. Timers are `unref()`ed: a pending pool tick or Event retry does not keep
 * Node alive.
 */
export const systemClock: Clock = Object.freeze({
  now: () => performance.now(),
  setTimeout: (callback: () => void, delayMs: number): ClockTimer =>
    new SystemTimer(callback, delayMs),
});

interface ManualTimer extends ClockTimer {
  readonly at: number;
  readonly sequence: number;
  readonly callback: () => void;
}

/**
 * A clock for tests: time moves only when {@link ManualClock.advance} is called, which runs the due
 * timers in order, each at its own time, and lets promise callbacks settle in between.
 */
export class ManualClock implements Clock {
  #now: number;
  #sequence = 0;
  readonly #timers: ManualTimer[] = [];

  /** @param startMs the initial value of {@link now}. */
  constructor(startMs = 0) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, delayMs: number): ClockTimer {
    const timers = this.#timers;
    const timer: ManualTimer = {
      at: this.#now + Math.max(0, delayMs),
      sequence: this.#sequence++,
      callback,
      cancel() {
        const index = timers.indexOf(timer);
        if (index !== -1) timers.splice(index, 1);
      },
    };
    timers.push(timer);
    return timer;
  }

  /** How many timers are waiting (scheduled and neither run nor cancelled). */
  get pendingTimers(): number {
    return this.#timers.length;
  }

  /** When the next timer is due, or undefined when none is waiting. */
  nextTimerAt(): number | undefined {
    return this.#next()?.at;
  }

  /**
   * Moves time forward by `ms`: first lets pending promise callbacks run, then, for each timer due
   * by the new time in order of due time (then of scheduling), sets the time to its due time, runs
   * it and lets promise callbacks run again (one macrotask turn), so that work started by a timer
   * can schedule further timers that are also run when due. Ends at exactly `now() + ms`.
   * @throws {RangeError} when `ms` is negative or not finite.
   */
  async advance(ms: number): Promise<void> {
    if (!Number.isFinite(ms) || ms < 0)
      throw new RangeError(
        `advance() needs a finite, non-negative ms, got ${ms}`,
      );
    const target = this.#now + ms;
    await nextMacrotask();
    for (;;) {
      const next = this.#next();
      if (next === undefined || next.at > target) break;
      this.#timers.splice(this.#timers.indexOf(next), 1);
      this.#now = Math.max(this.#now, next.at);
      next.callback();
      await nextMacrotask();
    }
    this.#now = target;
    await nextMacrotask();
  }

  /**
   * Advances to the next timer's due time and runs the timers due then (see {@link advance}).
   * Resolves false when no timer was waiting.
   */
  async runNext(): Promise<boolean> {
    await nextMacrotask();
    const at = this.nextTimerAt();
    if (at === undefined) return false;
    await this.advance(Math.max(0, at - this.#now));
    return true;
  }

  #next(): ManualTimer | undefined {
    let best: ManualTimer | undefined;
    for (const timer of this.#timers) {
      if (
        best === undefined ||
        timer.at < best.at ||
        (timer.at === best.at && timer.sequence < best.sequence)
      )
        best = timer;
    }
    return best;
  }
}
