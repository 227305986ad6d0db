/**
 * Scenario (f), memory size: the cold Init Duration of every contestant at each memory size, with
 * CPU as a hard quota in proportion to memory (Lambda's model: 1,769 MB is one vCPU), so that a
 * small function gets a small slice of a core as on Lambda.
 */
import { summarize } from "../../serve-stats.js";
import type { MemorySizeResult, Skipped } from "../war-results.js";
import {
  coldInvoke,
  planSettings,
  skippedPart,
  type Scenario,
} from "../war-scenario.js";
import { withWarmBackend } from "../../warm-backend.js";

/** Runs scenario (f). */
export const memoryScenario: Scenario = async ({
  plan,
  contestants,
  progress,
}) => {
  const memory: MemorySizeResult[] = [];
  const skipped: Skipped[] = [];
  await withWarmBackend(
    planSettings(plan, { cpu: "quota" }),
    async (backend) => {
      for (const contestant of contestants) {
        for (const memoryMB of plan.memorySizesMB) {
          const label = `${contestant.id} @ ${String(memoryMB)} MB`;
          progress(label, 0, plan.memoryRuns);
          try {
            const initDurationMs: number[] = [];
            for (let i = 0; i < plan.memoryRuns; i += 1) {
              const result = await coldInvoke(contestant, backend, {
                memoryMB,
              });
              initDurationMs.push(result.init.durationMs);
              progress(label, i + 1, plan.memoryRuns);
            }
            memory.push({
              contestantId: contestant.id,
              memoryMB,
              cpu: "quota",
              initDuration: summarize(initDurationMs),
              initDurationMs,
            });
          } catch (error) {
            skipped.push(skippedPart("memory", label, error));
          }
        }
      }
    },
  );
  return { memory, skipped };
};
