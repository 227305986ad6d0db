/**
 * The queue of asynchronous (`Event`) Invocations, with Lambda's retry policy (spec §5.2; Lambda
 * developer guide, "Asynchronous invocation" and "Configuring error handling for asynchronous
 * invocation"). The caller has already answered 202 when it calls {@link InvocationQueue.enqueue}.
 *
 * Each event is run at once through the injected `run`, and then, by outcome:
 *
 * - `success`: done (reported to `onSuccess`).
 * - `function-error`: retried up to `MaximumRetryAttempts` more times (default 2, 0–2), one minute
 *   before the first retry and two minutes before the second (`retryDelaysMs`).
 * - `throttled` (a 429 from the scheduler) or `platform-error` (a 5xx: the environment could not be
 *   started…): retried with exponential backoff, 1 s after the first, doubling up to 5 minutes,
 *   without spending a retry attempt. (Lambda adds jitter; thaw does not, to stay deterministic.)
 *   Bounding parallelism is the scheduler's job: a throttled event just waits its turn.
 * - An event is discarded, and reported once to `onDiscard`, when its function-error retries are
 *   spent (`RetriesExhausted`), or when its next attempt would begin after
 *   `MaximumEventAgeInSeconds` (default 21,600 s, 60–21,600) from its enqueue (`EventAgeExceeded`);
 *   these two names are Lambda's `condition` values of an on-failure destination record.
 *
 * Every event ends exactly once: in `onSuccess` or in `onDiscard`.
 *
 * States: `open → closing → closed` (`close()`: no new events; waiting retries are discarded as
 * `QueueClosed`; running events finish, and a failure among them is discarded as `QueueClosed`)
 * or `open | closing → closed` (`destroy()`: also aborts the running events' signal; whatever they
 * end with is discarded as `QueueDestroyed` unless it is a success).
 */
import { IllegalStateError } from "../errors/sandbox-errors.js";
import { InvalidParameterValueError } from "../errors/usage-errors.js";
import { systemClock, type Clock, type ClockTimer } from "../util/clock.js";

/** How one attempt of an event ended. */
export type RunOutcome =
  "success" | "function-error" | "throttled" | "platform-error";

/** Why an event was dropped. */
export type DiscardReason =
  "RetriesExhausted" | "EventAgeExceeded" | "QueueClosed" | "QueueDestroyed";

/** What {@link InvocationQueueOptions.onDiscard} is told. */
export interface DiscardDetails {
  readonly reason: DiscardReason;
  /** How many times the event was run. */
  readonly attempts: number;
  /** The outcome of its last attempt; undefined when it never ran. */
  readonly lastOutcome: RunOutcome | undefined;
  /** Milliseconds since it was enqueued. */
  readonly ageMs: number;
}

/** Per-function retry settings (PutFunctionEventInvokeConfig). */
export interface EventRetryConfig {
  /**
   * How many times a function error is retried, 0–2.
   * @default 2
   */
  readonly maximumRetryAttempts?: number;
  /**
   * How long an event may wait for an attempt, in ms (Lambda: 60–21,600 s).
   * @default 21600000
   */
  readonly maximumEventAgeMs?: number;
}

/** Options of {@link InvocationQueue}. */
export interface InvocationQueueOptions<T> {
  /**
   * Runs one attempt of `event`. A rejection counts as `platform-error`. `signal` aborts when the
   * queue is destroyed.
   */
  readonly run: (event: T, signal: AbortSignal) => Promise<RunOutcome>;
  /** Called once for each event dropped without success. It must not throw. */
  readonly onDiscard: (event: T, details: DiscardDetails) => void;
  /**
   * Called once for each event that succeeded, with its number of attempts. It must not throw.
   * @default none
   */
  readonly onSuccess?: (event: T, attempts: number) => void;
  /** Retry settings of events enqueued without their own. @default Lambda's (2 retries, 6 h) */
  readonly defaults?: EventRetryConfig;
  /**
   * Waits before the 1st and the 2nd retry of a function error.
   * @default [60000, 120000]
   */
  readonly retryDelaysMs?: readonly [number, number];
  /**
   * The backoff of throttled and platform-failed attempts: the first wait, then doubled up to
   * the maximum.
   * @default { initialMs: 1000, maxMs: 300000 }
   */
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
  /** Source of time and timers. @default systemClock */
  readonly clock?: Clock;
}

/** States of an {@link InvocationQueue}. */
export type InvocationQueueState = "open" | "closing" | "closed";

/** Events by where they are, and how many ended which way. */
export interface InvocationQueueCounts {
  readonly running: number;
  /** Waiting for a retry. */
  readonly waiting: number;
  readonly succeeded: number;
  readonly discarded: number;
}

const MAX_RETRY_ATTEMPTS = 2;
const MIN_EVENT_AGE_MS = 60_000;
const MAX_EVENT_AGE_MS = 21_600_000;

interface Entry<T> {
  readonly event: T;
  readonly enqueuedAt: number;
  readonly maximumRetryAttempts: number;
  readonly maximumEventAgeMs: number;
  attempts: number;
  functionErrors: number;
  /** Throttled or platform-failed attempts in a row. */
  backoffs: number;
  lastOutcome: RunOutcome | undefined;
  timer: ClockTimer | undefined;
}

/** The asynchronous Invocations of one thaw, with Lambda's retries. */
export class InvocationQueue<T> {
  readonly #run: InvocationQueueOptions<T>["run"];
  readonly #onDiscard: InvocationQueueOptions<T>["onDiscard"];
  readonly #onSuccess: InvocationQueueOptions<T>["onSuccess"];
  readonly #clock: Clock;
  readonly #defaults: Required<EventRetryConfig>;
  readonly #retryDelaysMs: readonly [number, number];
  readonly #backoff: { readonly initialMs: number; readonly maxMs: number };
  readonly #abort = new AbortController();
  readonly #running = new Set<Entry<T>>();
  readonly #waiting = new Set<Entry<T>>();
  #succeeded = 0;
  #discarded = 0;
  #state: InvocationQueueState = "open";
  #closed: Promise<void> | undefined;
  #resolveClosed: (() => void) | undefined;

  /** @throws {InvalidParameterValueError} when a setting is out of range. */
  constructor(options: InvocationQueueOptions<T>) {
    this.#run = options.run;
    this.#onDiscard = options.onDiscard;
    this.#onSuccess = options.onSuccess;
    this.#clock = options.clock ?? systemClock;
    this.#defaults = checkConfig(options.defaults ?? {}, {
      maximumRetryAttempts: MAX_RETRY_ATTEMPTS,
      maximumEventAgeMs: MAX_EVENT_AGE_MS,
    });
    const delays = options.retryDelaysMs ?? [60_000, 120_000];
    for (const ms of delays) checkMs("retryDelaysMs", ms);
    this.#retryDelaysMs = delays;
    const backoff = options.backoff ?? { initialMs: 1000, maxMs: 300_000 };
    checkMs("backoff.initialMs", backoff.initialMs);
    checkMs("backoff.maxMs", backoff.maxMs);
    this.#backoff = backoff;
  }

  /** The queue's state (see the module paragraph). */
  get state(): InvocationQueueState {
    return this.#state;
  }

  /**
   * Takes an event and returns at once; its first attempt starts in a microtask.
   * @param config the function's retry settings, else the queue's defaults.
   * @throws {IllegalStateError} when the queue is closing or closed.
   * @throws {InvalidParameterValueError} when `config` is out of range.
   */
  enqueue(event: T, config?: EventRetryConfig): void {
    if (this.#state !== "open")
      throw new IllegalStateError(`the Event queue is ${this.#state}`);
    const settings =
      config === undefined
        ? this.#defaults
        : checkConfig(config, this.#defaults);
    const entry: Entry<T> = {
      event,
      enqueuedAt: this.#clock.now(),
      maximumRetryAttempts: settings.maximumRetryAttempts,
      maximumEventAgeMs: settings.maximumEventAgeMs,
      attempts: 0,
      functionErrors: 0,
      backoffs: 0,
      lastOutcome: undefined,
      timer: undefined,
    };
    this.#running.add(entry);
    queueMicrotask(() => {
      void this.#attempt(entry);
    });
  }

  /** How many events are running and waiting, and how many ended each way. */
  counts(): InvocationQueueCounts {
    return {
      running: this.#running.size,
      waiting: this.#waiting.size,
      succeeded: this.#succeeded,
      discarded: this.#discarded,
    };
  }

  /**
   * Stops taking events, discards the waiting retries (`QueueClosed`) and resolves once the running
   * attempts have ended. Idempotent.
   */
  close(): Promise<void> {
    if (this.#state === "open") {
      this.#state = "closing";
      this.#discardWaiting("QueueClosed");
    }
    return this.#whenClosed();
  }

  /**
   * Stops at once: discards the waiting retries (`QueueDestroyed`) and aborts the signal given to
   * the running attempts. Resolves once they have ended. Idempotent.
   */
  destroy(): Promise<void> {
    if (this.#state !== "closed") {
      this.#state = "closed";
      this.#discardWaiting("QueueDestroyed");
      this.#abort.abort(new IllegalStateError("the Event queue was destroyed"));
    }
    return this.#whenClosed();
  }

  async #attempt(entry: Entry<T>): Promise<void> {
    entry.attempts++;
    let outcome: RunOutcome;
    try {
      outcome = await this.#run(entry.event, this.#abort.signal);
    } catch {
      outcome = "platform-error";
    }
    entry.lastOutcome = outcome;
    this.#running.delete(entry);
    try {
      this.#settle(entry, outcome);
    } finally {
      this.#checkClosed();
    }
  }

  #settle(entry: Entry<T>, outcome: RunOutcome): void {
    if (outcome === "success") {
      this.#succeeded++;
      this.#onSuccess?.(entry.event, entry.attempts);
      return;
    }
    if (this.#state !== "open") {
      this.#discard(
        entry,
        this.#abort.signal.aborted ? "QueueDestroyed" : "QueueClosed",
      );
      return;
    }
    let delayMs: number;
    if (outcome === "function-error") {
      entry.backoffs = 0;
      entry.functionErrors++;
      if (entry.functionErrors > entry.maximumRetryAttempts) {
        this.#discard(entry, "RetriesExhausted");
        return;
      }
      delayMs = this.#retryDelaysMs[entry.functionErrors === 1 ? 0 : 1];
    } else {
      entry.backoffs++;
      delayMs = Math.min(
        this.#backoff.initialMs * 2 ** (entry.backoffs - 1),
        this.#backoff.maxMs,
      );
    }
    const now = this.#clock.now();
    if (now + delayMs - entry.enqueuedAt > entry.maximumEventAgeMs) {
      this.#discard(entry, "EventAgeExceeded");
      return;
    }
    this.#waiting.add(entry);
    entry.timer = this.#clock.setTimeout(() => {
      entry.timer = undefined;
      this.#waiting.delete(entry);
      this.#running.add(entry);
      void this.#attempt(entry);
    }, delayMs);
  }

  #discardWaiting(reason: DiscardReason): void {
    for (const entry of [...this.#waiting]) {
      entry.timer?.cancel();
      entry.timer = undefined;
      this.#waiting.delete(entry);
      this.#discard(entry, reason);
    }
  }

  #discard(entry: Entry<T>, reason: DiscardReason): void {
    this.#discarded++;
    this.#onDiscard(entry.event, {
      reason,
      attempts: entry.attempts,
      lastOutcome: entry.lastOutcome,
      ageMs: this.#clock.now() - entry.enqueuedAt,
    });
  }

  #whenClosed(): Promise<void> {
    this.#closed ??= new Promise<void>((resolve) => {
      this.#resolveClosed = resolve;
    });
    this.#checkClosed();
    return this.#closed;
  }

  #checkClosed(): void {
    if (this.#state === "open" || this.#running.size > 0) return;
    this.#state = "closed";
    this.#resolveClosed?.();
  }
}

function checkConfig(
  config: EventRetryConfig,
  fallback: Required<EventRetryConfig>,
): Required<EventRetryConfig> {
  const retries = config.maximumRetryAttempts ?? fallback.maximumRetryAttempts;
  if (
    !Number.isSafeInteger(retries) ||
    retries < 0 ||
    retries > MAX_RETRY_ATTEMPTS
  ) {
    throw new InvalidParameterValueError(
      `MaximumRetryAttempts must be a whole number from 0 to ${String(MAX_RETRY_ATTEMPTS)}, got ${String(retries)}`,
    );
  }
  const ageMs = config.maximumEventAgeMs ?? fallback.maximumEventAgeMs;
  if (
    !Number.isFinite(ageMs) ||
    ageMs < MIN_EVENT_AGE_MS ||
    ageMs > MAX_EVENT_AGE_MS
  ) {
    throw new InvalidParameterValueError(
      `MaximumEventAgeInSeconds must be from 60 to 21600, got ${String(ageMs / 1000)}`,
    );
  }
  return { maximumRetryAttempts: retries, maximumEventAgeMs: ageMs };
}

function checkMs(name: string, value: number): void {
  if (!Number.isFinite(value) || value < 0) {
    throw new InvalidParameterValueError(
      `${name} must be a number of milliseconds >= 0, got ${String(value)}`,
    );
  }
}
