/**
 * The pool of ExecutionEnvironments of one function version: it reuses idle environments, starts
 * new ones, freezes idle ones, reaps them after the keep-alive, keeps provisioned concurrency at
 * its target and retires environments after a code or configuration update. The decisions come
 * from `pool-policy.ts`; this file carries them out. The lifecycle is written up in docs/pool.md.
 *
 * The pool is generic: it knows environments only as {@link PooledEnvironment} and gets them from
 * an injected `create(kind)`, which the composition root implements (start a sandbox, run init).
 *
 * **Environment states** (counted by {@link EnvironmentPool.counts}), changed only in `#setState`:
 *
 * - `creating → idle | busy | destroyed`: `create()` resolved (idle, or busy for the Invocation
 *   that asked for it), or rejected (nothing to destroy: `create()` cleans up after itself).
 * - `idle → busy | frozen | destroying`; `frozen → busy | destroying` (a frozen environment is
 *   thawed by the `acquire()` that takes it).
 * - `busy → idle | destroying` on `release()`.
 * - `destroying → destroyed`: `destroy(reason)` of the environment has settled; it is called once.
 *
 * **Pool states**: `open → closing → closed` (`close()`: no new acquires, busy environments are
 * destroyed when released, then the pool is closed) or `open | closing → closed` (`destroy()`:
 * every environment is destroyed now). Both resolve once every environment is destroyed.
 *
 * **Timers**: no timer per call. One timer at most is armed, for the earliest moment the policy
 * has something to do (an environment to freeze or reap); an empty or fully frozen, provisioned
 * pool has none, or only the keep-alive one.
 */
import { IllegalStateError } from "../errors/sandbox-errors.js";
import { InvalidParameterValueError } from "../errors/usage-errors.js";
import { systemClock, type Clock, type ClockTimer } from "../util/clock.js";
import {
  chooseReuse,
  decideRelease,
  planTick,
  provisionedStatus,
  retireAction,
  type EnvironmentKind,
  type IdleEnvironmentView,
  type PolicyDestroyReason,
  type ProvisionedStatus,
} from "./pool-policy.js";

/** What the pool needs of an ExecutionEnvironment. */
export interface PooledEnvironment {
  /** Stable id, used in logs and in {@link EnvironmentPoolOptions.onError}. */
  readonly id: string;
  /**
   * Stops the environment's processes until {@link thaw}; memory, sockets and files are kept.
   * When it rejects, the pool destroys the environment (unless an acquire has thawed it meanwhile).
   */
  freeze(): Promise<void>;
  /**
   * Lets a frozen environment run again. The pool may call it while a freeze is still in progress
   * (an Invocation wants the environment now): it must then undo that freeze rather than wait for
   * it. When it rejects, the pool destroys the environment and hands out another one.
   */
  thaw(): Promise<void>;
  /** Ends the environment and releases its resources; the pool calls it exactly once. */
  destroy(reason: string): Promise<void>;
}

/** States of an {@link EnvironmentPool}. */
export type PoolState = "open" | "closing" | "closed";

/** States of an environment inside the pool, as {@link EnvironmentPool.counts} reports them. */
export type PoolEnvironmentState =
  "creating" | "idle" | "frozen" | "busy" | "destroying";

/** An environment handed to one Invocation by {@link EnvironmentPool.acquire}. */
export interface Lease<E> {
  readonly environment: E;
  /** True when the environment was started for this Invocation (a cold start). */
  readonly cold: boolean;
}

/** What the pool was doing when an environment operation failed. */
export type PoolOperation = "create" | "freeze" | "thaw" | "destroy";

/** Options of {@link EnvironmentPool}. */
export interface EnvironmentPoolOptions<E extends PooledEnvironment> {
  /**
   * Starts and initialises one environment of `kind`. It may reject (init failed, throttled…);
   * it must then leave nothing behind, since the pool has no environment to destroy.
   */
  readonly create: (kind: EnvironmentKind) => Promise<E>;
  /** Used in error messages, e.g. the function version's key. @default "pool" */
  readonly name?: string;
  /** Source of time and timers. @default systemClock */
  readonly clock?: Clock;
  /**
   * How long an on-demand environment may stay idle before it is destroyed (spec §7: Lambda's
   * observed idle lifetime).
   * @default 600000
   */
  readonly keepAliveMs?: number;
  /**
   * How long an environment stays idle before it is frozen; `Infinity` never freezes. The delay
   * keeps freezer writes off the warm path under steady load (see pool-policy.ts).
   * @default 10
   */
  readonly freezeAfterMs?: number;
  /** Provisioned concurrency to start with. @default 0 */
  readonly provisioned?: number;
  /** Called whenever the provisioned concurrency status changes. @default none */
  readonly onProvisionedStatus?: (status: ProvisionedStatus) => void;
  /**
   * Called with the errors no caller can receive: a failed freeze, thaw or destroy, a provisioned
   * start that failed, an on-demand start whose Invocation had given up. The pool has already
   * dealt with the environment (destroyed it, or marked provisioned concurrency FAILED).
   * @default ignore
   */
  readonly onError?: (
    error: unknown,
    operation: PoolOperation,
    environmentId: string | undefined,
  ) => void;
}

/** Lambda's observed idle lifetime: 10 minutes (spec §7). */
const DEFAULT_KEEP_ALIVE_MS = 600_000;
const DEFAULT_FREEZE_AFTER_MS = 10;

type SlotState = PoolEnvironmentState | "destroyed";

const TRANSITIONS: Readonly<Record<SlotState, readonly SlotState[]>> = {
  creating: ["idle", "busy", "destroying", "destroyed"],
  idle: ["busy", "frozen", "destroying"],
  frozen: ["busy", "destroying"],
  busy: ["idle", "destroying"],
  destroying: ["destroyed"],
  destroyed: [],
};

const DESTROY_REASONS: Readonly<Record<PolicyDestroyReason, string>> = {
  "keep-alive-expired": "idle longer than the keep-alive",
  "provisioned-surplus": "provisioned concurrency lowered",
};

/** An Invocation waiting for the environment being created for it. */
interface Waiter<E> {
  resolve(lease: Lease<E>): void;
  reject(error: unknown): void;
}

/** One environment's place in the pool. */
class Slot<E extends PooledEnvironment> implements IdleEnvironmentView {
  id = "";
  readonly kind: EnvironmentKind;
  /** The pool's generation when it was started; older generations are retired. */
  readonly generation: number;
  state: SlotState = "creating";
  idleSince = 0;
  environment: E | undefined;
  /** Set while an Invocation holds it (between acquire and release). */
  leased = false;
  /** The Invocation it is being created for, until it exists. */
  waiter: Waiter<E> | undefined;
  /** The freeze in progress, until it settles or an acquire thaws the environment. */
  pending: Promise<void> | undefined;
  /** Leases made once, so that handing out a warm environment allocates nothing. */
  warmLease: Lease<E> | undefined;
  coldLease: Lease<E> | undefined;

  constructor(kind: EnvironmentKind, generation: number) {
    this.kind = kind;
    this.generation = generation;
  }

  get frozen(): boolean {
    return this.state === "frozen";
  }
}

/** The ExecutionEnvironments of one function version. */
export class EnvironmentPool<E extends PooledEnvironment> {
  readonly name: string;
  readonly #create: (kind: EnvironmentKind) => Promise<E>;
  readonly #clock: Clock;
  readonly #timing: { keepAliveMs: number; freezeAfterMs: number };
  readonly #onProvisionedStatus:
    ((status: ProvisionedStatus) => void) | undefined;
  readonly #onError: NonNullable<EnvironmentPoolOptions<E>["onError"]>;

  #state: PoolState = "open";
  #generation = 0;
  /** Every environment not yet destroyed (including those creating and destroying). */
  readonly #slots = new Set<Slot<E>>();
  /** Environments by object, for release(); kept while leased even once destroyed. */
  readonly #byEnvironment = new Map<E, Slot<E>>();
  /** Idle and frozen environments per kind, least recently released first. */
  readonly #idleProvisioned: Slot<E>[] = [];
  readonly #idleOnDemand: Slot<E>[] = [];
  readonly #counts: Record<PoolEnvironmentState, number> = {
    creating: 0,
    idle: 0,
    frozen: 0,
    busy: 0,
    destroying: 0,
  };
  #provisionedTarget = 0;
  #provisionedFailure: string | undefined;
  /** True while busy provisioned environments exceed the target (destroyed once released). */
  #surplusPending = false;
  /** The last status reported; nothing provisioned at first. */
  #lastStatus: ProvisionedStatus = provisionedStatus(0, 0, undefined);
  #timer: ClockTimer | undefined;
  #armedAt: number | undefined;
  #drained: Promise<void> | undefined;
  #resolveDrained: (() => void) | undefined;

  /**
   * Makes an empty pool; when `options.provisioned` is above 0, starts the provisioned
   * environments right away.
   * @throws {InvalidParameterValueError} when a number option is out of range.
   */
  constructor(options: EnvironmentPoolOptions<E>) {
    this.name = options.name ?? "pool";
    this.#create = options.create;
    this.#clock = options.clock ?? systemClock;
    this.#timing = {
      keepAliveMs: checkDuration(
        "keepAliveMs",
        options.keepAliveMs ?? DEFAULT_KEEP_ALIVE_MS,
      ),
      freezeAfterMs: checkDuration(
        "freezeAfterMs",
        options.freezeAfterMs ?? DEFAULT_FREEZE_AFTER_MS,
      ),
    };
    this.#onProvisionedStatus = options.onProvisionedStatus;
    this.#onError = options.onError ?? (() => undefined);
    if (options.provisioned !== undefined)
      this.setProvisioned(options.provisioned);
  }

  /** The pool's state (see the module paragraph). */
  get state(): PoolState {
    return this.#state;
  }

  /**
   * Hands an environment to one Invocation: an idle provisioned one, else the most recently
   * released idle on-demand one (thawed first when frozen), else a new on-demand one (`cold`).
   * A warm, unfrozen environment is handed over without any timer or I/O. The Invocation must
   * give it back with {@link release}.
   * @param signal aborts the wait for a new environment; that environment still joins the pool
   *   as idle once it exists.
   * @throws {IllegalStateError} when the pool is closing or closed.
   * @throws whatever `create()` rejected with, or `signal.reason` when aborted.
   */
  acquire(signal?: AbortSignal): Promise<Lease<E>> {
    if (this.#state !== "open") {
      return Promise.reject(
        new IllegalStateError(
          `environment pool ${this.name} is ${this.#state}`,
        ),
      );
    }
    if (signal?.aborted === true) return Promise.reject(asError(signal.reason));
    const provisioned = this.#idleProvisioned;
    const onDemand = this.#idleOnDemand;
    const choice = chooseReuse(provisioned.at(-1), onDemand.at(-1));
    if (choice === "create") return this.#createFor(signal);
    const slot = (choice === "provisioned" ? provisioned : onDemand).pop();
    if (slot?.warmLease === undefined) throw new Error("unreachable");
    const frozen = slot.state === "frozen";
    this.#setState(slot, "busy");
    slot.leased = true;
    if (!frozen) return Promise.resolve(slot.warmLease);
    return this.#thawFor(slot, signal);
  }

  /**
   * Gives an environment back after its Invocation. `reusable`: it returns to the idle set, unless
   * it was retired or the pool is closing, when it is destroyed. `broken` (the Runtime died, timed
   * out…): it is destroyed, and a provisioned one is replaced. After {@link destroy} the pool has
   * already destroyed it, and this does nothing.
   * @throws {IllegalStateError} when the environment is not held from this pool (released twice).
   */
  release(environment: E, outcome: "reusable" | "broken"): void {
    const slot = this.#byEnvironment.get(environment);
    if (slot?.leased !== true) {
      throw new IllegalStateError(
        `environment ${environment.id} is not held from environment pool ${this.name}`,
      );
    }
    this.#unlease(slot);
    // Destroyed by destroy() while busy.
    if (slot.state !== "busy") return;
    const retired = slot.generation !== this.#generation;
    if (decideRelease(outcome, retired, this.#state === "open") === "keep") {
      const now = this.#clock.now();
      slot.idleSince = now;
      this.#setState(slot, "idle");
      if (slot.kind === "on-demand") {
        this.#idleOnDemand.push(slot);
        this.#wakeBy(
          now + Math.min(this.#timing.freezeAfterMs, this.#timing.keepAliveMs),
        );
      } else {
        this.#idleProvisioned.push(slot);
        if (this.#surplusPending) this.#tick();
        else this.#wakeBy(now + this.#timing.freezeAfterMs);
      }
      return;
    }
    void this.#destroySlot(
      slot,
      outcome === "broken"
        ? "broken by its Invocation"
        : retired
          ? "retired by a code or configuration update"
          : "environment pool closing",
    );
    if (slot.kind === "provisioned-concurrency") this.#tick();
  }

  /**
   * Sets the provisioned concurrency: starts environments up to `n`, or destroys idle surplus
   * ones (busy ones once released). Clears a FAILED status, so that starting is tried again.
   * @throws {InvalidParameterValueError} when `n` is not a whole number ≥ 0.
   * @throws {IllegalStateError} when the pool is closing or closed.
   */
  setProvisioned(n: number): void {
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new InvalidParameterValueError(
        `provisioned concurrency must be a whole number >= 0, got ${String(n)}`,
      );
    }
    this.#assertOpen("setProvisioned");
    this.#provisionedTarget = n;
    this.#provisionedFailure = undefined;
    this.#tick();
  }

  /** The provisioned concurrency status, as GetProvisionedConcurrencyConfig reports it. */
  provisionedStatus(): ProvisionedStatus {
    let initialised = 0;
    for (const slot of this.#slots) {
      if (
        slot.kind === "provisioned-concurrency" &&
        slot.generation === this.#generation &&
        (slot.state === "idle" ||
          slot.state === "frozen" ||
          slot.state === "busy")
      )
        initialised++;
    }
    return provisionedStatus(
      this.#provisionedTarget,
      initialised,
      this.#provisionedFailure,
    );
  }

  /**
   * Retires every environment after a code or configuration update: idle ones are destroyed now,
   * busy ones when released; the Invocations in flight finish normally. The pool stays open: the
   * next acquires start fresh environments, and provisioned concurrency is started again.
   * Resolves once the idle ones are destroyed.
   * @throws {IllegalStateError} when the pool is closing or closed.
   */
  retire(): Promise<void> {
    this.#assertOpen("retire");
    this.#generation++;
    this.#provisionedFailure = undefined;
    const destroys: Promise<void>[] = [];
    for (const slot of [...this.#slots]) {
      if (slot.state === "destroying" || slot.state === "destroyed") continue;
      const action = retireAction(slot.state, slot.waiter !== undefined);
      if (action === "destroy-now")
        destroys.push(this.#destroySlot(slot, "retired"));
      // "destroy-on-release" and "destroy-when-created" follow from the generation.
    }
    this.#tick();
    return Promise.all(destroys).then(() => undefined);
  }

  /** How many environments are in each state, for the status page. */
  counts(): Record<PoolEnvironmentState, number> {
    return { ...this.#counts };
  }

  /**
   * Drains the pool: no new acquires; idle environments are destroyed now, busy ones when
   * released, starting ones once started (after their Invocation, if one waits for them).
   * Resolves once every environment is destroyed. Idempotent, and returns the same promise as
   * {@link destroy} when that was called.
   */
  close(): Promise<void> {
    if (this.#state === "open") {
      this.#setPoolState("closing");
      for (const slot of [...this.#slots]) {
        if (slot.state === "idle" || slot.state === "frozen")
          void this.#destroySlot(slot, "environment pool closing");
      }
    }
    return this.#drainedPromise();
  }

  /**
   * Destroys every environment now, busy ones included; Invocations waiting for a new
   * environment are rejected with {@link IllegalStateError}. Resolves once every environment is
   * destroyed. Idempotent.
   */
  destroy(reason: string): Promise<void> {
    if (this.#state !== "closed") {
      this.#setPoolState("closed");
      for (const slot of [...this.#slots]) {
        if (slot.state === "creating") {
          const waiter = slot.waiter;
          slot.waiter = undefined;
          waiter?.reject(
            new IllegalStateError(
              `environment pool ${this.name} was destroyed: ${reason}`,
            ),
          );
        } else {
          void this.#destroySlot(slot, reason);
        }
      }
    }
    return this.#drainedPromise();
  }

  // ---- acquiring -------------------------------------------------------------------------------

  #createFor(signal: AbortSignal | undefined): Promise<Lease<E>> {
    const slot = this.#startCreate("on-demand");
    return new Promise<Lease<E>>((resolve, reject) => {
      if (signal === undefined) {
        slot.waiter = { resolve, reject };
        return;
      }
      const onAbort = (): void => {
        if (slot.waiter === undefined) return;
        slot.waiter = undefined;
        reject(asError(signal.reason));
      };
      signal.addEventListener("abort", onAbort, { once: true });
      slot.waiter = {
        resolve: (lease) => {
          signal.removeEventListener("abort", onAbort);
          resolve(lease);
        },
        reject: (error) => {
          signal.removeEventListener("abort", onAbort);
          reject(asError(error));
        },
      };
    });
  }

  async #thawFor(
    slot: Slot<E>,
    signal: AbortSignal | undefined,
  ): Promise<Lease<E>> {
    const environment = slot.environment;
    const lease = slot.warmLease;
    if (environment === undefined || lease === undefined)
      throw new Error("unreachable");
    // A freeze in progress is not waited for: thaw() undoes it (see PooledEnvironment.thaw).
    slot.pending = undefined;
    try {
      await environment.thaw();
    } catch (error) {
      this.#onError(error, "thaw", slot.id);
      this.#unlease(slot);
      void this.#destroySlot(slot, "could not be thawed");
      return this.acquire(signal);
    }
    if (slot.state !== "busy") {
      // The pool was destroyed while thawing.
      this.#unlease(slot);
      throw new IllegalStateError(
        `environment pool ${this.name} is ${this.#state}`,
      );
    }
    return lease;
  }

  #startCreate(kind: EnvironmentKind): Slot<E> {
    const slot = new Slot<E>(kind, this.#generation);
    this.#slots.add(slot);
    this.#counts.creating++;
    let created: Promise<E>;
    try {
      created = this.#create(kind);
    } catch (error) {
      created = Promise.reject(asError(error));
    }
    created.then(
      (environment) => {
        this.#created(slot, environment);
      },
      (error: unknown) => {
        this.#createFailed(slot, error);
      },
    );
    return slot;
  }

  #created(slot: Slot<E>, environment: E): void {
    slot.environment = environment;
    slot.id = environment.id;
    slot.warmLease = Object.freeze({ environment, cold: false });
    slot.coldLease = Object.freeze({ environment, cold: true });
    this.#byEnvironment.set(environment, slot);
    const waiter = slot.waiter;
    slot.waiter = undefined;
    if (waiter !== undefined) {
      // Handed over even when retired or closing meanwhile: the Invocation in flight never fails.
      this.#setState(slot, "busy");
      slot.leased = true;
      waiter.resolve(slot.coldLease);
    } else if (this.#state !== "open") {
      void this.#destroySlot(slot, "environment pool closing");
    } else if (slot.generation !== this.#generation) {
      void this.#destroySlot(slot, "retired by a code or configuration update");
    } else {
      slot.idleSince = this.#clock.now();
      this.#setState(slot, "idle");
      (slot.kind === "on-demand"
        ? this.#idleOnDemand
        : this.#idleProvisioned
      ).push(slot);
    }
    this.#tick();
  }

  #createFailed(slot: Slot<E>, error: unknown): void {
    this.#setState(slot, "destroyed");
    this.#slots.delete(slot);
    const waiter = slot.waiter;
    slot.waiter = undefined;
    if (waiter !== undefined) {
      waiter.reject(error);
    } else {
      this.#onError(error, "create", undefined);
      if (
        slot.kind === "provisioned-concurrency" &&
        slot.generation === this.#generation
      )
        this.#provisionedFailure = `an environment failed to start: ${messageOf(error)}`;
    }
    this.#tick();
    this.#checkDrained();
  }

  // ---- freezing, destroying ----------------------------------------------------------------------

  #freezeSlot(slot: Slot<E>): void {
    const environment = slot.environment;
    if (environment === undefined) return;
    this.#setState(slot, "frozen");
    let freezing: Promise<void>;
    try {
      freezing = environment.freeze();
    } catch (error) {
      freezing = Promise.reject(asError(error));
    }
    const pending = freezing.then(
      () => {
        if (slot.pending === pending) slot.pending = undefined;
      },
      (error: unknown) => {
        this.#onError(error, "freeze", slot.id);
        // Superseded: an acquire has thawed it meanwhile, and that thaw decided.
        if (slot.pending !== pending) return;
        slot.pending = undefined;
        // Not reused after a failed freeze: it is destroyed.
        if (slot.state === "frozen")
          void this.#destroySlot(slot, "could not be frozen");
      },
    );
    slot.pending = pending;
  }

  /**
   * Destroys an environment that exists (idle, frozen, busy, or just created), once; resolves when
   * that has settled.
   */
  #destroySlot(slot: Slot<E>, reason: string): Promise<void> {
    const environment = slot.environment;
    // Without an environment it is still starting: it is dealt with once it exists.
    if (
      environment === undefined ||
      slot.state === "destroying" ||
      slot.state === "destroyed"
    )
      return Promise.resolve();
    if (slot.state === "idle" || slot.state === "frozen") {
      const stack =
        slot.kind === "on-demand" ? this.#idleOnDemand : this.#idleProvisioned;
      stack.splice(stack.indexOf(slot), 1);
    }
    this.#setState(slot, "destroying");
    const pending = slot.pending;
    const destroyed = (async () => {
      // A freeze in progress settles first (the environment thaws itself to die).
      await pending;
      try {
        await environment.destroy(reason);
      } catch (error) {
        this.#onError(error, "destroy", slot.id);
      }
    })();
    return destroyed.then(() => {
      this.#setState(slot, "destroyed");
      this.#slots.delete(slot);
      if (!slot.leased) this.#byEnvironment.delete(environment);
      if (slot.kind === "provisioned-concurrency") this.#reportProvisioned();
      this.#checkDrained();
    });
  }

  // ---- ticks -------------------------------------------------------------------------------------

  readonly #onTimer = (): void => {
    this.#timer = undefined;
    this.#armedAt = undefined;
    this.#tick();
  };

  /** Arms the one timer for `at`, unless it is already armed for that time or earlier. */
  #wakeBy(at: number): void {
    if (!Number.isFinite(at)) return;
    if (this.#armedAt !== undefined && this.#armedAt <= at) return;
    this.#timer?.cancel();
    this.#armedAt = at;
    this.#timer = this.#clock.setTimeout(this.#onTimer, at - this.#clock.now());
  }

  /** Asks the policy what is due and does it. */
  #tick(): void {
    if (this.#state !== "open") {
      this.#timer?.cancel();
      this.#timer = undefined;
      this.#armedAt = undefined;
      return;
    }
    const idle = [...this.#idleProvisioned, ...this.#idleOnDemand];
    let provisionedLive = 0;
    for (const slot of this.#slots) {
      if (
        slot.kind === "provisioned-concurrency" &&
        slot.generation === this.#generation &&
        slot.state !== "destroying" &&
        slot.state !== "destroyed"
      )
        provisionedLive++;
    }
    const plan = planTick(
      {
        now: this.#clock.now(),
        idle,
        provisionedTarget: this.#provisionedTarget,
        provisionedLive,
        provisionedFailed: this.#provisionedFailure !== undefined,
      },
      this.#timing,
    );
    let surplusDestroyed = 0;
    if (plan.destroy.length > 0 || plan.freeze.length > 0) {
      const byId = new Map(idle.map((slot) => [slot.id, slot]));
      for (const { id, reason } of plan.destroy) {
        const slot = byId.get(id);
        if (slot === undefined) continue;
        if (reason === "provisioned-surplus") surplusDestroyed++;
        void this.#destroySlot(slot, DESTROY_REASONS[reason]);
      }
      for (const id of plan.freeze) {
        const slot = byId.get(id);
        if (slot !== undefined) this.#freezeSlot(slot);
      }
    }
    this.#surplusPending =
      provisionedLive - surplusDestroyed > this.#provisionedTarget;
    for (let i = 0; i < plan.createProvisioned; i++)
      this.#startCreate("provisioned-concurrency");
    if (plan.nextTickAt !== undefined) this.#wakeBy(plan.nextTickAt);
    this.#reportProvisioned();
  }

  #reportProvisioned(): void {
    if (this.#onProvisionedStatus === undefined) return;
    const status = this.provisionedStatus();
    const last = this.#lastStatus;
    if (
      last.requested === status.requested &&
      last.allocated === status.allocated &&
      last.status === status.status &&
      last.statusReason === status.statusReason
    )
      return;
    this.#lastStatus = status;
    this.#onProvisionedStatus(status);
  }

  // ---- states ------------------------------------------------------------------------------------

  #setState(slot: Slot<E>, to: SlotState): void {
    const from = slot.state;
    if (!TRANSITIONS[from].includes(to)) {
      throw new IllegalStateError(
        `environment ${slot.id} in pool ${this.name}: cannot go from ${from} to ${to}`,
      );
    }
    if (from !== "destroyed") this.#counts[from]--;
    if (to !== "destroyed") this.#counts[to]++;
    slot.state = to;
  }

  #setPoolState(to: "closing" | "closed"): void {
    this.#state = to;
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#armedAt = undefined;
  }

  /** Ends a lease; a slot destroyed while leased is forgotten now. */
  #unlease(slot: Slot<E>): void {
    slot.leased = false;
    if (slot.state === "destroyed" && slot.environment !== undefined)
      this.#byEnvironment.delete(slot.environment);
  }

  #assertOpen(operation: string): void {
    if (this.#state !== "open") {
      throw new IllegalStateError(
        `environment pool ${this.name} is ${this.#state}: cannot ${operation}`,
      );
    }
  }

  #drainedPromise(): Promise<void> {
    this.#drained ??= new Promise<void>((resolve) => {
      this.#resolveDrained = resolve;
    });
    this.#checkDrained();
    return this.#drained;
  }

  #checkDrained(): void {
    if (this.#state === "open" || this.#slots.size > 0) return;
    this.#state = "closed";
    this.#resolveDrained?.();
  }
}

function checkDuration(name: string, value: number): number {
  if (Number.isNaN(value) || value < 0) {
    throw new InvalidParameterValueError(
      `${name} must be a number of milliseconds >= 0, got ${String(value)}`,
    );
  }
  return value;
}

/** The value itself when it is an Error (rejections carry Errors), else an Error saying what it was. */
function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
