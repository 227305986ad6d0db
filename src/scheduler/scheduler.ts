/**
 * Admission control across all functions (spec §5.4, §6.4, §7): how many Invocations may run at
 * once in the account and per function, and how fast a function may add ExecutionEnvironments.
 * Every check is O(1) and throws Lambda's `TooManyRequestsException` with the right `Reason`.
 *
 * - **Account concurrency**: at most `accountLimit` Invocations in flight (Lambda's default quota:
 *   1,000 per Region). One Invocation holds one environment, so this also bounds environments.
 * - **Reserved concurrency**: a function with reserved concurrency R runs at most R Invocations
 *   at once, and those R are set aside for it; R = 0 blocks it entirely. Over the limit: Reason
 *   `ReservedFunctionConcurrentInvocationLimitExceeded` (what AWS answers, also for R = 0).
 * - **Unreserved pool**: functions without reserved concurrency share
 *   `accountLimit - sum(reserved)`. Over it: Reason `ConcurrentInvocationLimitExceeded`. (The
 *   control plane keeps at least 100 unreserved, spec §6.4; this class only does the sums.)
 * - **Scaling rate** (optional, on by default): each function may start at most 1,000 new
 *   environments per 10 s, refilled continuously and never banked beyond 1,000 (spec §7, Lambda's
 *   "concurrency scaling rate"). Only cold starts spend from it: the code that creates an
 *   environment calls {@link Scheduler.scaleUp} first. AWS documents the 429 but not its Reason;
 *   thaw uses `FunctionInvocationRateLimitExceeded`, or `ReservedFunctionInvocationRateLimitExceeded`
 *   for a function with reserved concurrency (the two rate Reasons of the Invoke API model).
 *
 * States: `open → closing → closed` (`close()`: no new admissions, resolves once all are released)
 * or `open | closing → closed` (`destroy()`: at once). Releasing after that is still allowed.
 */
import { IllegalStateError } from "../errors/sandbox-errors.js";
import { tooManyRequests } from "../errors/service-exceptions.js";
import { InvalidParameterValueError } from "../errors/usage-errors.js";
import { systemClock, type Clock } from "../util/clock.js";

/** Lambda's default account concurrency quota per Region (spec §7). */
const DEFAULT_ACCOUNT_LIMIT = 1000;

/** A token bucket: `environments` new environments per `perMs`, refilled continuously. */
export interface ScalingRate {
  /** Bucket size and refill amount. @default 1000 */
  readonly environments: number;
  /** The refill period in milliseconds. @default 10000 */
  readonly perMs: number;
}

/** Options of {@link Scheduler}. */
export interface SchedulerOptions {
  /**
   * Invocations that may run at once across all functions (AccountLimit.ConcurrentExecutions).
   * @default 1000
   */
  readonly accountLimit?: number;
  /**
   * How fast one function may add environments; `"off"` never throttles cold starts.
   * @default { environments: 1000, perMs: 10000 }
   */
  readonly scalingRate?: ScalingRate | "off";
  /** Source of time for the scaling rate. @default systemClock */
  readonly clock?: Clock;
}

/** States of a {@link Scheduler}. */
export type SchedulerState = "open" | "closing" | "closed";

/** The right to run one Invocation; give it back with {@link Admission.release}. */
export interface Admission {
  /** Ends the Invocation's claim on concurrency. Idempotent. */
  release(): void;
}

/** Concurrency figures, for GetAccountSettings and the status page. */
export interface SchedulerStatus {
  readonly accountLimit: number;
  /** Sum of the reserved concurrency of all functions. */
  readonly reservedTotal: number;
  /** What unreserved functions share: `accountLimit - reservedTotal`, at least 0. */
  readonly unreservedLimit: number;
  readonly inFlight: number;
  /** Invocations in flight of functions without reserved concurrency. */
  readonly unreservedInFlight: number;
}

/** One function's counters. */
interface FunctionEntry {
  reserved: number | undefined;
  inFlight: number;
  /** Scaling-rate tokens, and when they were last refilled. */
  tokens: number;
  refilledAt: number;
}

type ReleaseOne = (entry: FunctionEntry, unreserved: boolean) => void;

class AdmissionToken implements Admission {
  #released = false;
  readonly #entry: FunctionEntry;
  readonly #unreserved: boolean;
  readonly #releaseOne: ReleaseOne;

  constructor(
    entry: FunctionEntry,
    unreserved: boolean,
    releaseOne: ReleaseOne,
  ) {
    this.#entry = entry;
    this.#unreserved = unreserved;
    this.#releaseOne = releaseOne;
  }

  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#releaseOne(this.#entry, this.#unreserved);
  }
}

/** Admission control for every function of one thaw. */
export class Scheduler {
  readonly #accountLimit: number;
  readonly #rate: ScalingRate | undefined;
  readonly #clock: Clock;
  readonly #functions = new Map<string, FunctionEntry>();
  #state: SchedulerState = "open";
  #reservedTotal = 0;
  #inFlight = 0;
  #unreservedInFlight = 0;
  #drained: (() => void) | undefined;
  #closed: Promise<void> | undefined;

  /** @throws {InvalidParameterValueError} when a limit is not a positive whole number. */
  constructor(options: SchedulerOptions = {}) {
    this.#accountLimit = checkCount(
      "accountLimit",
      options.accountLimit ?? DEFAULT_ACCOUNT_LIMIT,
      1,
    );
    const rate = options.scalingRate ?? { environments: 1000, perMs: 10_000 };
    if (rate !== "off") {
      checkCount("scalingRate.environments", rate.environments, 1);
      if (!(rate.perMs > 0))
        throw new InvalidParameterValueError(
          `scalingRate.perMs must be > 0, got ${String(rate.perMs)}`,
        );
    }
    this.#rate = rate === "off" ? undefined : rate;
    this.#clock = options.clock ?? systemClock;
  }

  /** The scheduler's state (see the module paragraph). */
  get state(): SchedulerState {
    return this.#state;
  }

  /**
   * Admits one Invocation of `functionName` (a function name: reserved concurrency is per
   * function, across its versions), given its current reserved concurrency (undefined: none),
   * which also updates the one this scheduler knows.
   * @throws {ServiceException} `TooManyRequestsException` (429) with Reason
   *   `ReservedFunctionConcurrentInvocationLimitExceeded` when the function has `reserved`
   *   Invocations in flight (always when `reserved` is 0), or `ConcurrentInvocationLimitExceeded`
   *   when the unreserved pool or the account is full.
   * @throws {InvalidParameterValueError} when `reserved` is not a whole number ≥ 0.
   * @throws {IllegalStateError} when the scheduler is closing or closed.
   */
  admit(functionName: string, reserved: number | undefined): Admission {
    if (this.#state !== "open")
      throw new IllegalStateError(`the scheduler is ${this.#state}`);
    const entry = this.#entry(functionName);
    if (entry.reserved !== reserved) this.#setReserved(entry, reserved);
    if (reserved !== undefined) {
      if (entry.inFlight >= reserved)
        throw tooManyRequests(
          "ReservedFunctionConcurrentInvocationLimitExceeded",
        );
    } else if (
      this.#unreservedInFlight >=
      this.#accountLimit - this.#reservedTotal
    ) {
      throw tooManyRequests("ConcurrentInvocationLimitExceeded");
    }
    // Reached only when reservations exceed the account limit (the control plane prevents it).
    if (this.#inFlight >= this.#accountLimit)
      throw tooManyRequests("ConcurrentInvocationLimitExceeded");
    entry.inFlight++;
    this.#inFlight++;
    if (reserved === undefined) this.#unreservedInFlight++;
    return new AdmissionToken(entry, reserved === undefined, this.#releaseOne);
  }

  /**
   * Records a function's reserved concurrency (PutFunctionConcurrency; undefined after
   * DeleteFunctionConcurrency), so that the unreserved pool shrinks before the function is
   * invoked. Invocations in flight are not affected.
   * @throws {InvalidParameterValueError} when `reserved` is not a whole number ≥ 0.
   */
  setReserved(functionName: string, reserved: number | undefined): void {
    this.#setReserved(this.#entry(functionName), reserved);
  }

  /**
   * Spends one unit of `functionName`'s scaling rate, before a new environment is started for it.
   * Does nothing when the scaling rate is off.
   * @throws {ServiceException} `TooManyRequestsException` (429) with Reason
   *   `FunctionInvocationRateLimitExceeded` (`ReservedFunctionInvocationRateLimitExceeded` for a
   *   function with reserved concurrency) when the function has started its quota of
   *   environments in the last period.
   */
  scaleUp(functionName: string): void {
    const rate = this.#rate;
    if (rate === undefined) return;
    const entry = this.#entry(functionName);
    const now = this.#clock.now();
    entry.tokens = Math.min(
      rate.environments,
      entry.tokens +
        ((now - entry.refilledAt) * rate.environments) / rate.perMs,
    );
    entry.refilledAt = now;
    if (entry.tokens < 1) {
      throw tooManyRequests(
        entry.reserved === undefined
          ? "FunctionInvocationRateLimitExceeded"
          : "ReservedFunctionInvocationRateLimitExceeded",
      );
    }
    entry.tokens -= 1;
  }

  /** Invocations in flight: of `functionName`, or of all functions. */
  inFlight(functionName?: string): number {
    if (functionName === undefined) return this.#inFlight;
    return this.#functions.get(functionName)?.inFlight ?? 0;
  }

  /** The account's concurrency figures. */
  status(): SchedulerStatus {
    return {
      accountLimit: this.#accountLimit,
      reservedTotal: this.#reservedTotal,
      unreservedLimit: Math.max(0, this.#accountLimit - this.#reservedTotal),
      inFlight: this.#inFlight,
      unreservedInFlight: this.#unreservedInFlight,
    };
  }

  /**
   * Stops admitting; resolves once every admission has been released. Idempotent.
   */
  close(): Promise<void> {
    if (this.#state === "open") this.#state = "closing";
    this.#closed ??= new Promise<void>((resolve) => {
      this.#drained = resolve;
    });
    this.#checkDrained();
    return this.#closed;
  }

  /** Stops admitting at once, without waiting for admissions in flight. Idempotent. */
  destroy(): Promise<void> {
    this.#state = "closed";
    this.#drained?.();
    return Promise.resolve();
  }

  /** Called by an {@link Admission}, once. */
  readonly #releaseOne: ReleaseOne = (entry, unreserved) => {
    entry.inFlight--;
    this.#inFlight--;
    if (unreserved) this.#unreservedInFlight--;
    if (this.#state === "closing") this.#checkDrained();
  };

  #checkDrained(): void {
    if (this.#state !== "closing" || this.#inFlight > 0) return;
    this.#state = "closed";
    this.#drained?.();
  }

  #entry(functionName: string): FunctionEntry {
    let entry = this.#functions.get(functionName);
    if (entry === undefined) {
      entry = {
        reserved: undefined,
        inFlight: 0,
        tokens: this.#rate?.environments ?? 0,
        refilledAt: this.#clock.now(),
      };
      this.#functions.set(functionName, entry);
    }
    return entry;
  }

  #setReserved(entry: FunctionEntry, reserved: number | undefined): void {
    if (reserved !== undefined) checkCount("reserved concurrency", reserved, 0);
    this.#reservedTotal += (reserved ?? 0) - (entry.reserved ?? 0);
    entry.reserved = reserved;
  }
}

function checkCount(name: string, value: number, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new InvalidParameterValueError(
      `${name} must be a whole number >= ${String(min)}, got ${String(value)}`,
    );
  }
  return value;
}
