/**
 * Scenario (c), bursts: `burstParallel` cold Invocations of one contestant started at once, each in
 * its own fresh ExecutionEnvironment, as an agent's fan-out lands on Lambda. Recorded: when each was
 * answered (from the burst's start), the wall time, the CPU seconds of every sandbox (its process
 * tree, read right before it is destroyed: see cpu-recording-backend.ts) and the sum of every
 * sandbox's Max Memory Used. Contestants run one after the other; the backend's fork server is kept
 * up between them.
 */
import { CpuRecordingBackend } from "../cpu-recording-backend.js";
import { burstResult, type BurstStart } from "../war-aggregate.js";
import type { BurstResult, Skipped } from "../war-results.js";
import {
  coldInvoke,
  planSettings,
  reasonOf,
  type Scenario,
} from "../war-scenario.js";
import { withWarmBackend } from "../../warm-backend.js";

/** Runs scenario (c). */
export const burstScenario: Scenario = async ({
  plan,
  contestants,
  progress,
}) => {
  const burst: BurstResult[] = [];
  const skipped: Skipped[] = [];
  await withWarmBackend(planSettings(plan), async (inner) => {
    const backend = new CpuRecordingBackend(inner);
    for (const contestant of contestants) {
      const total = plan.burstParallel;
      let done = 0;
      progress(contestant.id, 0, total);
      backend.reset();
      const startedAt = performance.now();
      const starts = await Promise.all(
        Array.from({ length: total }, async (): Promise<BurstStart> => {
          try {
            const result = await coldInvoke(contestant, backend, {
              memoryMB: plan.memoryMB,
            });
            const answeredAt =
              result.invocation?.timings.answeredAt ?? performance.now();
            return {
              ok: true,
              latencyMs: answeredAt - startedAt,
              maxMemoryUsedMB: result.invocation?.maxMemoryUsedMB ?? 0,
            };
          } catch (error) {
            return { ok: false, error: reasonOf(error) };
          } finally {
            done += 1;
            progress(contestant.id, done, total);
          }
        }),
      );
      const tally = backend.tally();
      const result = burstResult(contestant.id, starts, tally.cpuSeconds);
      if (result.errors === total) {
        skipped.push({
          scenario: "burst",
          reason: `${contestant.id} did not run: every start failed (${result.firstErrors?.[0] ?? "?"})`,
        });
        continue;
      }
      burst.push(result);
      if (tally.unmeasured > 0) {
        skipped.push({
          scenario: "burst",
          reason: `${contestant.id}: ${String(tally.unmeasured)} sandbox(es) ended before their CPU time could be read; cpuSeconds leaves them out`,
        });
      }
    }
  });
  return { burst, skipped };
};
