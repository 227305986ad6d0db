/**
 * The environment pool's decisions, as pure functions: which idle ExecutionEnvironment an
 * Invocation reuses, and, at each tick, which idle ones to freeze, which to destroy and how many
 * provisioned ones to start. No I/O and no clock reads: the time is an argument, so every rule is
 * table-tested (`pool-policy.test.ts`); `environment-pool.ts` carries the decisions out.
 *
 * The rules, and why (see also docs/pool.md):
 *
 * - **Reuse**: a provisioned environment first (Lambda serves from provisioned concurrency before it
 *   spills over to on-demand environments), else an on-demand one; within a kind the most recently
 *   released, so that it is likely still warm and unfrozen and the others age out and get reaped.
 * - **Freeze**: an idle environment is frozen once it has been idle `freezeAfterMs` (10 ms by
 *   default). Lambda freezes an environment as soon as its Invocation ends; thaw waits a little
 *   because under steady load an environment is reused within milliseconds, and then the warm path
 *   pays no freezer writes at all (a freeze and a thaw cost about 0.2 ms each with the cgroup v1
 *   freezer, 3.7 ms with SIGSTOP). An environment that sits idle longer stops using CPU, as on
 *   Lambda (background work resumes on thaw).
 * - **Reap**: an on-demand environment idle for `keepAliveMs` (10 minutes by default, Lambda's
 *   observed idle lifetime, spec §7) is destroyed. Provisioned environments are never reaped for
 *   idleness.
 * - **Provisioned**: live provisioned environments (starting, idle, frozen or busy) are kept at the
 *   target: missing ones are started, unless the last start failed (then only a new target or a
 *   retire tries again, so that a broken init does not loop); surplus idle ones are destroyed,
 *   longest idle first, when the target drops. Surplus busy ones are destroyed at a later tick,
 *   once released.
 * - **Retire** (a code or configuration update): idle environments are destroyed now, busy ones
 *   when released; the Invocations in flight are never failed.
 */

/** How an ExecutionEnvironment was started (Lambda's `AWS_LAMBDA_INITIALIZATION_TYPE`). */
export type EnvironmentKind = "on-demand" | "provisioned-concurrency";

/** What the policy needs to know of one idle (or frozen) environment. */
export interface IdleEnvironmentView {
  readonly id: string;
  readonly kind: EnvironmentKind;
  /** Clock time at which it last became idle. */
  readonly idleSince: number;
  /** True once it is frozen (or being frozen). */
  readonly frozen: boolean;
}

/** Which idle environment {@link chooseReuse} picked. */
export type ReuseChoice = "provisioned" | "on-demand" | "create";

/**
 * Picks the environment an Invocation gets, given the most recently released idle environment of
 * each kind (the top of each idle stack), or undefined where there is none. Provisioned first,
 * then on-demand, else a new on-demand environment must be created.
 */
export function chooseReuse(
  provisioned: IdleEnvironmentView | undefined,
  onDemand: IdleEnvironmentView | undefined,
): ReuseChoice {
  if (provisioned !== undefined) return "provisioned";
  if (onDemand !== undefined) return "on-demand";
  return "create";
}

/** Why the policy destroys an environment. */
export type PolicyDestroyReason = "keep-alive-expired" | "provisioned-surplus";

/** Settings of {@link planTick}. */
export interface PoolTiming {
  /** How long an on-demand environment may stay idle before it is destroyed. */
  readonly keepAliveMs: number;
  /** How long an environment stays idle before it is frozen; `Infinity` never freezes. */
  readonly freezeAfterMs: number;
}

/** The pool as seen by one tick. */
export interface TickInput {
  readonly now: number;
  /** Idle and frozen environments, of both kinds, in any order. */
  readonly idle: readonly IdleEnvironmentView[];
  /** Provisioned concurrency asked for (0 when none). */
  readonly provisionedTarget: number;
  /**
   * Provisioned environments that count towards the target: starting, idle, frozen or busy, and
   * not retired.
   */
  readonly provisionedLive: number;
  /** True when the last provisioned start failed and no new target or retire came since. */
  readonly provisionedFailed: boolean;
}

/** What one tick decided. */
export interface TickPlan {
  /** Ids of idle environments to freeze. */
  readonly freeze: readonly string[];
  /** Idle environments to destroy, with the reason. */
  readonly destroy: readonly {
    readonly id: string;
    readonly reason: PolicyDestroyReason;
  }[];
  /** How many provisioned environments to start now. */
  readonly createProvisioned: number;
  /**
   * When the next tick is needed if nothing else changes (an environment to freeze or reap), or
   * undefined when nothing is due.
   */
  readonly nextTickAt: number | undefined;
}

/**
 * Decides what one tick does; see the module paragraph for the rules. An environment is frozen or
 * reaped when its idle time has reached the limit (`>=`). One environment gets at most one
 * decision: a destroyed one is not also frozen.
 */
export function planTick(input: TickInput, timing: PoolTiming): TickPlan {
  const { now, idle, provisionedTarget, provisionedLive } = input;
  const destroy: { id: string; reason: PolicyDestroyReason }[] = [];
  const doomed = new Set<string>();

  let surplus = provisionedLive - provisionedTarget;
  if (surplus > 0) {
    // Longest idle first: the recently used ones are warmer.
    const candidates = idle
      .filter((env) => env.kind === "provisioned-concurrency")
      .sort((a, b) => a.idleSince - b.idleSince);
    for (const env of candidates) {
      if (surplus === 0) break;
      destroy.push({ id: env.id, reason: "provisioned-surplus" });
      doomed.add(env.id);
      surplus--;
    }
  }

  const freeze: string[] = [];
  let nextTickAt: number | undefined;
  const wakeAt = (at: number): void => {
    if (Number.isFinite(at) && (nextTickAt === undefined || at < nextTickAt))
      nextTickAt = at;
  };
  for (const env of idle) {
    if (doomed.has(env.id)) continue;
    if (env.kind === "on-demand") {
      const reapAt = env.idleSince + timing.keepAliveMs;
      if (now >= reapAt) {
        destroy.push({ id: env.id, reason: "keep-alive-expired" });
        continue;
      }
      wakeAt(reapAt);
    }
    if (!env.frozen) {
      const freezeAt = env.idleSince + timing.freezeAfterMs;
      if (now >= freezeAt) freeze.push(env.id);
      else wakeAt(freezeAt);
    }
  }

  const missing = provisionedTarget - provisionedLive;
  const createProvisioned =
    missing > 0 && !input.provisionedFailed ? missing : 0;
  return { freeze, destroy, createProvisioned, nextTickAt };
}

/** The status Lambda reports for provisioned concurrency (GetProvisionedConcurrencyConfig). */
export type ProvisionedStatusName = "IN_PROGRESS" | "READY" | "FAILED";

/** Provisioned concurrency as GetProvisionedConcurrencyConfig reports it. */
export interface ProvisionedStatus {
  readonly requested: number;
  /** Initialised provisioned environments (idle, frozen or busy), at most `requested`. */
  readonly allocated: number;
  /** Provisioned environments ready to serve; thaw counts them as allocated. */
  readonly available: number;
  readonly status: ProvisionedStatusName;
  /** Why the status is FAILED. */
  readonly statusReason?: string;
}

/**
 * The provisioned concurrency status from counts: `READY` once `requested` environments are
 * initialised, `FAILED` when the last start failed, else `IN_PROGRESS`. A request of 0 is `READY`.
 */
export function provisionedStatus(
  requested: number,
  initialised: number,
  failure: string | undefined,
): ProvisionedStatus {
  const allocated = Math.min(requested, initialised);
  if (allocated >= requested)
    return { requested, allocated, available: allocated, status: "READY" };
  if (failure !== undefined)
    return {
      requested,
      allocated,
      available: allocated,
      status: "FAILED",
      statusReason: failure,
    };
  return { requested, allocated, available: allocated, status: "IN_PROGRESS" };
}

/** What happens to an environment when its Invocation releases it. */
export type ReleaseDecision = "keep" | "destroy";

/**
 * Decides whether a released environment goes back to the idle set: only when the Invocation left
 * it reusable, it was not retired meanwhile and the pool is still open.
 */
export function decideRelease(
  outcome: "reusable" | "broken",
  retired: boolean,
  poolOpen: boolean,
): ReleaseDecision {
  return outcome === "reusable" && !retired && poolOpen ? "keep" : "destroy";
}

/** Where an environment is in its lifecycle, as far as retiring it is concerned. */
export type RetiringState = "creating" | "idle" | "frozen" | "busy";

/** What a retire does to one environment. */
export type RetireAction =
  "destroy-now" | "destroy-on-release" | "destroy-when-created";

/**
 * Decides what a retire (a code or configuration update) does to an environment: an idle or
 * frozen one is destroyed now; a busy one is destroyed when its Invocation releases it; one still
 * starting for a waiting Invocation is handed to that Invocation and destroyed on release (the
 * Invocation in flight never fails), and one starting for nobody (provisioned, or for an
 * Invocation that gave up) is destroyed as soon as it exists.
 */
export function retireAction(
  state: RetiringState,
  claimed: boolean,
): RetireAction {
  switch (state) {
    case "idle":
    case "frozen":
      return "destroy-now";
    case "busy":
      return "destroy-on-release";
    case "creating":
      return claimed ? "destroy-on-release" : "destroy-when-created";
  }
}
