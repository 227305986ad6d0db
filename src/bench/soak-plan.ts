/**
 * The soak benchmark's plan: which function each Invocation goes to, which fault it injects and
 * whether the client disconnects, drawn from a seeded generator so that a run can be repeated
 * call for call. The plan is made in full before the first call and decides nothing at run time.
 */
import { SeededRandom } from "./seeded-random.js";
import type { SoakFunction } from "./soak-functions.js";

/**
 * What one Invocation asks its function to do (the fixtures' `action`s):
 * - `echo`: no action; the event, with a unique `id`, must come back byte for byte;
 * - `crash`: exit at once with `exitCode`, without answering (`Runtime.ExitError`);
 * - `timeout`: sleep past the function's timeout (`Sandbox.Timedout`);
 * - `outOfMemory`: allocate past the function's MemorySize (`Runtime.OutOfMemory`);
 * - `oversize`: answer with more than Lambda's 6 MB limit (`Function.ResponseSizeTooLarge`);
 * - `error`: fail the language's ordinary way (the fixture's own error type).
 */
export type Fault =
  | { readonly kind: "echo"; readonly id: string; readonly pad: string }
  | { readonly kind: "crash"; readonly exitCode: number }
  | { readonly kind: "timeout"; readonly sleepMs: number }
  | { readonly kind: "outOfMemory"; readonly megabytes: number }
  | { readonly kind: "oversize"; readonly bytes: number }
  | { readonly kind: "error" };

/** The kind of a {@link Fault}. */
export type FaultKind = Fault["kind"];

/** One planned Invocation. */
export interface PlannedInvocation {
  /** Position in the plan, from 0. */
  readonly index: number;
  readonly fn: SoakFunction;
  readonly fault: Fault;
  /** The event sent, JSON. */
  readonly payload: Buffer;
  /**
   * When set, the client destroys its socket this many milliseconds after the request was
   * written (0: at once), whether or not the answer has started to arrive.
   */
  readonly disconnectAfterMs: number | undefined;
}

/** Shares of each fault and of client disconnects, each in [0, 1]; the rest are echoes. */
export interface SoakMix {
  readonly crash: number;
  readonly timeout: number;
  readonly outOfMemory: number;
  readonly oversize: number;
  readonly error: number;
  /** Drawn independently of the fault: any Invocation may be disconnected. */
  readonly disconnect: number;
}

/** The mix of the issue: 5 % crashes, 1 % each of timeouts, OOM kills, oversized answers and disconnects, 3 % handled errors. */
export const DEFAULT_SOAK_MIX: SoakMix = {
  crash: 0.05,
  timeout: 0.01,
  outOfMemory: 0.01,
  oversize: 0.01,
  error: 0.03,
  disconnect: 0.01,
};

/** Options of {@link planInvocations}. */
export interface PlanOptions {
  readonly count: number;
  readonly seed: string;
  /** @default DEFAULT_SOAK_MIX */
  readonly mix?: SoakMix;
  /** Milliseconds the `timeout` fault sleeps (longer than the function's timeout). @default 1500 */
  readonly sleepMs?: number;
  /** MiB the `outOfMemory` fault allocates (more than the function's MemorySize). @default 300 */
  readonly megabytes?: number;
  /** Size of the `oversize` fault's answer. @default 7000000 */
  readonly oversizeBytes?: number;
  /** Latest a disconnect fires after the request was written, in ms. @default 30 */
  readonly maxDisconnectMs?: number;
}

/** Longest filler of an echo, so that echoes are of varied sizes. */
const MAX_PAD = 512;

/**
 * The event of `fault`. Echo events carry their keys in sorted order, so a runtime that sorts keys
 * (Rust's `serde_json`) gives them back as sent.
 */
export function faultPayload(fault: Fault): Buffer {
  return Buffer.from(JSON.stringify(faultEvent(fault)));
}

/** The event that asks the fixture function for `fault` (the fixtures' README lists the actions). */
function faultEvent(fault: Fault): Record<string, string | number> {
  switch (fault.kind) {
    case "echo":
      return { id: fault.id, pad: fault.pad };
    case "crash":
      return { action: "crash", code: fault.exitCode };
    case "timeout":
      return { action: "sleep", ms: fault.sleepMs };
    case "outOfMemory":
      return { action: "memory", mb: fault.megabytes };
    case "oversize":
      return { action: "size", bytes: fault.bytes };
    case "error":
      return { action: "error" };
  }
}

/**
 * Plans `options.count` Invocations over `functions`: out-of-memory and oversize faults to the
 * functions whose role is `heavy`, every other call to the `general` ones, each of them equally
 * likely.
 * Echo ids are `<seed>-<index>`, unique within a run.
 * @throws {RangeError} when a role has no function, `count` is not a non-negative integer or the
 *   fault shares add up to more than 1.
 */
export function planInvocations(
  functions: readonly SoakFunction[],
  options: PlanOptions,
): PlannedInvocation[] {
  const mix = options.mix ?? DEFAULT_SOAK_MIX;
  const general = functions.filter((fn) => fn.role === "general");
  const heavy = functions.filter((fn) => fn.role === "heavy");
  if (general.length === 0 || heavy.length === 0)
    throw new RangeError("each role needs a function");
  if (!Number.isInteger(options.count) || options.count < 0)
    throw new RangeError(`bad count ${String(options.count)}`);
  const faultShare =
    mix.crash + mix.timeout + mix.outOfMemory + mix.oversize + mix.error;
  if (faultShare > 1)
    throw new RangeError(`fault shares add up to ${String(faultShare)}`);
  const random = new SeededRandom(options.seed);
  const maxDisconnectMs = options.maxDisconnectMs ?? 30;
  const plan: PlannedInvocation[] = [];
  for (let index = 0; index < options.count; index += 1) {
    const fault = drawFault(random, mix, `${options.seed}-${index}`, options);
    const fn = random.pick(isHeavy(fault) ? heavy : general);
    const disconnect = random.next() < mix.disconnect;
    plan.push({
      index,
      fn,
      fault,
      payload: faultPayload(fault),
      // Half of the disconnects come right after the request is written, half a little later,
      // so that some land before the function answers and some while the answer is sent.
      disconnectAfterMs: disconnect
        ? random.next() < 0.5
          ? 0
          : random.integer(1, maxDisconnectMs)
        : undefined,
    });
  }
  return plan;
}

/** True for the faults whose work grows with memory or size (see soak-functions.ts). */
function isHeavy(fault: Fault): boolean {
  return fault.kind === "outOfMemory" || fault.kind === "oversize";
}

function drawFault(
  random: SeededRandom,
  mix: SoakMix,
  id: string,
  options: PlanOptions,
): Fault {
  let draw = random.next();
  if ((draw -= mix.crash) < 0)
    return { kind: "crash", exitCode: random.integer(1, 100) };
  if ((draw -= mix.timeout) < 0)
    return { kind: "timeout", sleepMs: options.sleepMs ?? 1_500 };
  if ((draw -= mix.outOfMemory) < 0)
    return { kind: "outOfMemory", megabytes: options.megabytes ?? 300 };
  if ((draw -= mix.oversize) < 0)
    return { kind: "oversize", bytes: options.oversizeBytes ?? 7_000_000 };
  if ((draw -= mix.error) < 0) return { kind: "error" };
  return { kind: "echo", id, pad: random.hex(random.integer(0, MAX_PAD)) };
}
