/**
 * Scenario (d), package size: the Rust hello contestant's `bootstrap` zipped with a file of random
 * (incompressible) bytes that pads the package to 1, 10, 50 and 100 MiB, run from the zip. A *first
 * deploy* starts from an empty package cache (a private one, emptied before each sample), so the
 * zip is hashed and extracted; a *cached* start finds it extracted and pays only the hash. Each
 * sample is a whole cold Invocation: package preparation until the first answer.
 */
import { randomBytes } from "node:crypto";
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  rmSync,
  statSync,
} from "node:fs";
import { rename } from "node:fs/promises";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { ZipFile } from "yazl";
import { summarize } from "../../serve-stats.js";
import type { Contestant, PackageSizeResult, Skipped } from "../war-results.js";
import {
  planSettings,
  skippedPart,
  startEnvironment,
  WAR_PAYLOAD,
  WAR_WORK_DIR,
  type Scenario,
} from "../war-scenario.js";
import type { SandboxBackend } from "../../../sandbox/sandbox.js";
import { withWarmBackend } from "../../warm-backend.js";

const MiB = 1024 * 1024;

/**
 * The padded zip of `bootstrap` at `paddedMiB` (bootstrap + padding = that many MiB, unzipped),
 * made once and kept under `.thaw/war/package-size/` until the bootstrap changes.
 */
async function paddedZip(
  bootstrap: string,
  paddedMiB: number,
): Promise<string> {
  const dir = join(WAR_WORK_DIR, "package-size");
  mkdirSync(dir, { recursive: true });
  const stats = statSync(bootstrap);
  const path = join(
    dir,
    `rust-hello-${String(paddedMiB)}MiB-${String(stats.size)}-${String(Math.floor(stats.mtimeMs))}.zip`,
  );
  if (existsSync(path)) return path;
  const zip = new ZipFile();
  zip.addFile(bootstrap, "bootstrap", { mode: 0o100755 });
  const padding = Math.max(0, paddedMiB * MiB - stats.size);
  // Random bytes do not compress: the zip is as large as the package.
  zip.addBuffer(randomBytes(padding), "padding.bin", { mode: 0o100644 });
  zip.end();
  const partial = `${path}.${String(process.pid)}.tmp`;
  await pipeline(zip.outputStream, createWriteStream(partial));
  await rename(partial, path);
  return path;
}

/** One cold Invocation from the zip: package preparation until the answer, in ms. */
async function startFromZip(
  contestant: Contestant,
  backend: SandboxBackend,
  options: { memoryMB: number; cacheDir: string; extracts: boolean },
): Promise<number> {
  const started = await startEnvironment(contestant, backend, options);
  try {
    if (started.extracted !== options.extracts) {
      throw new Error(
        `expected ${options.extracts ? "an extraction" : "a cached package"}, got the other`,
      );
    }
    const outcome = await started.environment.invoke({
      payload: WAR_PAYLOAD,
      ...started.initReport,
    });
    if (outcome.functionError)
      throw new Error(`invoke failed: ${outcome.errorType ?? "error"}`);
    return outcome.timings.answeredAt - started.startedAt;
  } finally {
    await started.environment.destroy("war scenario done");
  }
}

/** Runs scenario (d). */
export const packageSizeScenario: Scenario = async ({
  plan,
  contestants,
  progress,
}) => {
  const packageSize: PackageSizeResult[] = [];
  const skipped: Skipped[] = [];
  const rust = contestants.find(
    (c) => c.language === "rust" && c.variant === "hello",
  );
  if (rust === undefined) {
    return {
      packageSize,
      skipped: [
        {
          scenario: "package-size",
          reason: "No Rust hello contestant to pad.",
        },
      ],
    };
  }
  const bootstrap = join(rust.packagePath, "bootstrap");
  const cacheDir = join(WAR_WORK_DIR, "package-cache", String(process.pid));
  await withWarmBackend(planSettings(plan), async (backend) => {
    for (const paddedMiB of plan.paddedMiB) {
      const label = `rust-hello padded to ${String(paddedMiB)} MiB`;
      const total = plan.packageRuns * 2;
      progress(label, 0, total);
      try {
        const zipPath = await paddedZip(bootstrap, paddedMiB);
        const padded: Contestant = { ...rust, packagePath: zipPath };
        const options = { memoryMB: plan.memoryMB, cacheDir };
        const firstDeployMs: number[] = [];
        const cachedMs: number[] = [];
        for (let i = 0; i < plan.packageRuns; i += 1) {
          rmSync(cacheDir, { recursive: true, force: true });
          firstDeployMs.push(
            await startFromZip(padded, backend, { ...options, extracts: true }),
          );
          progress(label, i + 1, total);
        }
        for (let i = 0; i < plan.packageRuns; i += 1) {
          cachedMs.push(
            await startFromZip(padded, backend, {
              ...options,
              extracts: false,
            }),
          );
          progress(label, plan.packageRuns + i + 1, total);
        }
        packageSize.push({
          paddedMiB,
          zipBytes: statSync(zipPath).size,
          firstDeploy: summarize(firstDeployMs),
          cached: summarize(cachedMs),
          firstDeployMs,
          cachedMs,
        });
      } catch (error) {
        skipped.push(skippedPart("package-size", label, error));
      } finally {
        rmSync(cacheDir, { recursive: true, force: true });
      }
    }
  });
  return { packageSize, skipped };
};
