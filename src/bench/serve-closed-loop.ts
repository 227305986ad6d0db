/**
 * Closed-loop load: `clients` callers, each sending its next call as soon as the previous one is
 * answered, for a fixed time. Latency is measured per call from just before it is sent until its
 * answer is read in full; throughput is answered calls over the wall time.
 */

/** Options of {@link runClosedLoop}. */
export interface ClosedLoopOptions {
  /** Concurrent callers. */
  readonly clients: number;
  /** How long to keep sending; calls in flight at the end still finish and count. */
  readonly durationMs: number;
}

/** What one closed-loop run measured. */
export interface ClosedLoopResult {
  readonly clients: number;
  /** Every answered call's latency, in microseconds, in completion order per caller. */
  readonly latenciesUs: number[];
  /** Calls whose check failed (`call` resolved false) or that rejected. */
  readonly errors: number;
  /** The first failure's message, for the report. */
  readonly firstError: string | undefined;
  readonly elapsedMs: number;
  /** Answered calls per second, errors included. */
  readonly callsPerSecond: number;
}

/**
 * Runs `call` in a closed loop. `call` resolves true when the answer is what was expected; a false
 * or a rejection counts as an error and the loop goes on.
 */
export async function runClosedLoop(
  call: () => Promise<boolean>,
  options: ClosedLoopOptions,
): Promise<ClosedLoopResult> {
  const latenciesUs: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const started = performance.now();
  const end = started + options.durationMs;
  const caller = async (): Promise<void> => {
    for (let now = performance.now(); now < end; now = performance.now()) {
      let ok: boolean;
      try {
        ok = await call();
        if (!ok) firstError ??= "unexpected answer";
      } catch (error) {
        ok = false;
        firstError ??= error instanceof Error ? error.message : String(error);
      }
      latenciesUs.push((performance.now() - now) * 1000);
      if (!ok) errors += 1;
    }
  };
  const callers: Promise<void>[] = [];
  for (let i = 0; i < options.clients; i += 1) callers.push(caller());
  await Promise.all(callers);
  const elapsedMs = performance.now() - started;
  return {
    clients: options.clients,
    latenciesUs,
    errors,
    firstError,
    elapsedMs,
    callsPerSecond: (latenciesUs.length * 1000) / elapsedMs,
  };
}
