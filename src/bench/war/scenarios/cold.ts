/**
 * Scenario (a), cold starts: `coldRuns` cold Invocations of every contestant, each on a fresh
 * ExecutionEnvironment, phase by phase, with Init Duration and Max Memory Used as REPORT prints them.
 */
import { coldSeries } from "../war-aggregate.js";
import type {
  ColdPhasesMs,
  ColdSeriesResult,
  Skipped,
} from "../war-results.js";
import {
  coldInvoke,
  phasesOf,
  planSettings,
  skippedPart,
  type Scenario,
} from "../war-scenario.js";
import { withWarmBackend } from "../../warm-backend.js";

/** Runs scenario (a). */
export const coldScenario: Scenario = async ({
  plan,
  contestants,
  progress,
}) => {
  const cold: ColdSeriesResult[] = [];
  const skipped: Skipped[] = [];
  await withWarmBackend(planSettings(plan), async (backend) => {
    for (const contestant of contestants) {
      const samples: ColdPhasesMs[] = [];
      progress(contestant.id, 0, plan.coldRuns);
      try {
        for (let i = 0; i < plan.coldRuns; i += 1) {
          const result = await coldInvoke(contestant, backend, {
            memoryMB: plan.memoryMB,
          });
          samples.push(phasesOf(result));
          progress(contestant.id, i + 1, plan.coldRuns);
        }
        cold.push(coldSeries(contestant.id, samples));
      } catch (error) {
        skipped.push(skippedPart("cold", contestant.id, error));
      }
    }
  });
  return { cold, skipped };
};
