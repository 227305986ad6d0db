/**
 * Scenario (e), code and dependency size: generated Go and Rust programs of 10, 100 and 1,000
 * packages or modules, each with init-time work (generated-programs.ts); their binary size and
 * cold Init Duration. Builds are cached under `.thaw/war/code-size/`: the first run compiles.
 */
import { statSync } from "node:fs";
import { summarize } from "../../serve-stats.js";
import { toolchainOf } from "../fixture-contestants.js";
import { buildGeneratedProgram } from "../generated-programs.js";
import type { CodeSizeResult, Contestant, Skipped } from "../war-results.js";
import {
  coldInvoke,
  planSettings,
  skippedPart,
  WAR_WORK_DIR,
  type Scenario,
} from "../war-scenario.js";
import { withWarmBackend } from "../../warm-backend.js";

const LANGUAGES = ["go", "rust"] as const;

/** Runs scenario (e). */
export const codeSizeScenario: Scenario = async ({ plan, progress }) => {
  const codeSize: CodeSizeResult[] = [];
  const skipped: Skipped[] = [];
  await withWarmBackend(planSettings(plan), async (backend) => {
    for (const language of LANGUAGES) {
      for (const modules of plan.codeModules) {
        const label = `${language} with ${String(modules)} modules`;
        const total = plan.codeRuns + 1;
        progress(`${label} (build)`, 0, total);
        try {
          const program = await buildGeneratedProgram(
            language,
            modules,
            WAR_WORK_DIR,
          );
          progress(label, 1, total);
          const contestant: Contestant = {
            id: `${language}-codesize-${String(modules)}`,
            language,
            variant: "hello",
            build: `generated, ${String(modules)} modules`,
            runtime: "provided.al2023",
            handler: "bootstrap",
            packagePath: program.packagePath,
            packageBytes: statSync(program.bootstrap).size,
            packageFiles: 1,
            toolchain: toolchainOf(language),
          };
          const initDurationMs: number[] = [];
          for (let i = 0; i < plan.codeRuns; i += 1) {
            const result = await coldInvoke(contestant, backend, {
              memoryMB: plan.memoryMB,
            });
            initDurationMs.push(result.init.durationMs);
            progress(label, i + 2, total);
          }
          codeSize.push({
            language,
            modules,
            binaryBytes: contestant.packageBytes,
            initDuration: summarize(initDurationMs),
            initDurationMs,
          });
        } catch (error) {
          skipped.push(skippedPart("code-size", label, error));
        }
      }
    }
  });
  return { codeSize, skipped };
};
