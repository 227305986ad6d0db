/**
 * Scenario (h), sandbox backends: cold starts of the hello contestants on `process`, `namespace`
 * and `namespace` with an isolated network, each backend's fork server kept running.
 */
import type { SandboxSettings } from "../../../app/backends.js";
import { summarize } from "../../serve-stats.js";
import type { BackendResult, Skipped } from "../war-results.js";
import {
  coldInvoke,
  planSettings,
  skippedPart,
  type Scenario,
} from "../war-scenario.js";
import { withWarmBackend } from "../../warm-backend.js";

/** The sandboxes compared. */
const SANDBOXES: readonly (SandboxSettings & {
  backend: "process" | "namespace";
  isolateNetwork: boolean;
})[] = [
  { backend: "process", isolateNetwork: false },
  { backend: "namespace", isolateNetwork: false },
  { backend: "namespace", isolateNetwork: true },
];

/** Runs scenario (h). */
export const backendsScenario: Scenario = async ({
  plan,
  contestants,
  progress,
}) => {
  const backends: BackendResult[] = [];
  const skipped: Skipped[] = [];
  const hello = contestants.filter((c) => c.variant === "hello");
  for (const sandbox of SANDBOXES) {
    const name = `${sandbox.backend}${sandbox.isolateNetwork ? "+isolated network" : ""}`;
    try {
      await withWarmBackend(planSettings(plan, sandbox), async (backend) => {
        for (const contestant of hello) {
          const label = `${contestant.id} on ${name}`;
          progress(label, 0, plan.backendRuns);
          try {
            const samplesMs: number[] = [];
            for (let i = 0; i < plan.backendRuns; i += 1) {
              const result = await coldInvoke(contestant, backend, {
                memoryMB: plan.memoryMB,
              });
              samplesMs.push(result.phases.totalMs);
              progress(label, i + 1, plan.backendRuns);
            }
            backends.push({
              contestantId: contestant.id,
              backend: sandbox.backend,
              isolateNetwork: sandbox.isolateNetwork,
              totalMs: summarize(samplesMs),
              samplesMs,
            });
          } catch (error) {
            skipped.push(skippedPart("backends", label, error));
          }
        }
      });
    } catch (error) {
      skipped.push(skippedPart("backends", `the ${name} backend`, error));
    }
  }
  return { backends, skipped };
};
