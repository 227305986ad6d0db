/**
 * Scenario (b), warm invokes: one ExecutionEnvironment per contestant, started and initialised once;
 * its first Invocation after init, then `warmInvokes` more on the same environment, one after the
 * other. Warm Invocations print no platform lines (as `thaw serve` reads the peak memory only when
 * asked), so they measure the Invocation itself: hand-over to the Runtime until its answer.
 */
import { warmSeries } from "../war-aggregate.js";
import type { Skipped, WarmSeriesResult } from "../war-results.js";
import {
  planSettings,
  skippedPart,
  startEnvironment,
  WAR_PAYLOAD,
  type Scenario,
} from "../war-scenario.js";
import { withWarmBackend } from "../../warm-backend.js";

/** Runs scenario (b). */
export const warmScenario: Scenario = async ({
  plan,
  contestants,
  progress,
}) => {
  const warm: WarmSeriesResult[] = [];
  const skipped: Skipped[] = [];
  await withWarmBackend(planSettings(plan), async (backend) => {
    for (const contestant of contestants) {
      const total = plan.warmInvokes + 1;
      progress(contestant.id, 0, total);
      try {
        const started = await startEnvironment(contestant, backend, {
          memoryMB: plan.memoryMB,
        });
        const { environment } = started;
        try {
          const first = await environment.invoke({
            payload: WAR_PAYLOAD,
            ...started.initReport,
          });
          if (first.functionError)
            throw new Error(
              `first invoke failed: ${first.errorType ?? "error"}`,
            );
          const firstInvokeMs =
            first.timings.answeredAt - first.timings.dispatchedAt;
          progress(contestant.id, 1, total);
          const warmInvokeUs: number[] = [];
          for (let i = 0; i < plan.warmInvokes; i += 1) {
            const outcome = await environment.invoke({
              payload: WAR_PAYLOAD,
              platformLines: false,
            });
            if (outcome.functionError)
              throw new Error(
                `warm invoke failed: ${outcome.errorType ?? "error"}`,
              );
            warmInvokeUs.push(
              (outcome.timings.answeredAt - outcome.timings.dispatchedAt) *
                1000,
            );
            if (i % 10 === 9 || i === plan.warmInvokes - 1)
              progress(contestant.id, i + 2, total);
          }
          warm.push(warmSeries(contestant.id, [firstInvokeMs], warmInvokeUs));
        } finally {
          await environment.destroy("war scenario done");
        }
      } catch (error) {
        skipped.push(skippedPart("warm", contestant.id, error));
      }
    }
  });
  return { warm, skipped };
};
