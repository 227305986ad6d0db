/**
 * Scenario (g), SnapStart: for every contestant, `snapStartRuns` plain on-demand cold starts (their
 * Init Duration), then its snapshot, then `snapStartRuns` clones restored from it one at a time
 * (their Restore Duration), each answering one Invocation that is checked.
 *
 * Both sides run in the process backend's sandboxes, whatever the plan's backend: a clone's sandbox
 * is that one (its cgroups, its fork server, the host's filesystem) plus thaw-init as PID 1 of its
 * own pid and network namespaces, so neither side pays for bubblewrap's mount namespace. Where
 * snapshots cannot work (the snapshot backend's probe: not root, no CRIU ≥ 4.2), the scenario is
 * skipped with the probe's reason.
 */
import { snapStartSeries } from "../war-aggregate.js";
import type { SnapStartResult, Skipped } from "../war-results.js";
import {
  coldInvoke,
  planSettings,
  skippedPart,
  type Scenario,
} from "../war-scenario.js";
import { cloneEvent, SnapStartLab } from "../snapstart-lab.js";
import { withWarmBackend } from "../../warm-backend.js";

/** Runs scenario (g). */
export const snapStartScenario: Scenario = async ({
  plan,
  contestants,
  progress,
}) => {
  const unavailable = await SnapStartLab.unavailable({ cpu: plan.sandbox.cpu });
  if (unavailable !== undefined)
    return { skipped: [{ scenario: "snapstart", reason: unavailable }] };
  const snapStart: SnapStartResult[] = [];
  const skipped: Skipped[] = [];
  const runs = plan.snapStartRuns;
  await withWarmBackend(
    planSettings(plan, { backend: "process", isolateNetwork: false }),
    async (backend) => {
      const lab = await SnapStartLab.open({
        cpu: plan.sandbox.cpu,
        fallbackBackend: backend,
      });
      try {
        for (const contestant of contestants) {
          const steps = 2 * runs + 1;
          progress(contestant.id, 0, steps);
          try {
            const plainInitMs: number[] = [];
            for (let i = 0; i < runs; i += 1) {
              const result = await coldInvoke(contestant, backend, {
                memoryMB: plan.memoryMB,
              });
              plainInitMs.push(result.init.durationMs);
              progress(contestant.id, i + 1, steps);
            }
            const snap = await lab.snapshot(contestant, plan.memoryMB);
            progress(contestant.id, runs + 1, steps);
            const restoreMs: number[] = [];
            try {
              const holder = await lab.hold(snap);
              try {
                for (let i = 0; i < runs; i += 1) {
                  const clone = await lab.restore(snap, cloneEvent(i));
                  restoreMs.push(clone.restoreMs);
                  progress(contestant.id, runs + 2 + i, steps);
                }
              } finally {
                await holder.release();
              }
            } finally {
              lab.drop(snap);
            }
            snapStart.push(
              snapStartSeries(contestant.id, plainInitMs, restoreMs, snap),
            );
          } catch (error) {
            skipped.push(skippedPart("snapstart", contestant.id, error));
          }
        }
      } finally {
        lab.close();
      }
    },
  );
  return { snapStart, skipped };
};
