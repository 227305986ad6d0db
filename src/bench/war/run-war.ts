/**
 * `thaw bench`: the cold-start war. Runs each scenario of a {@link WarPlan} in a child process of
 * its own (war-child.ts), one after the other, and writes one {@link WarResults} file with every
 * sample, its aggregates and the machine's facts. A scenario that fails, or whose child dies, is
 * recorded in `skipped` with the reason; the others still run.
 */
import { fork } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { release } from "node:os";
import { dirname, join, resolve } from "node:path";
import { THAW_ROOT } from "../../config/paths.js";
import { machineFacts } from "../machine-facts.js";
import type { ScenarioMessage, ScenarioRequest } from "./war-child-protocol.js";
import { emptySections, mergeScenarioOutput } from "./war-aggregate.js";
import type { WarPlan } from "./war-plan.js";
import type { WarProgress } from "./war-progress.js";
import {
  SCENARIO_IDS,
  WAR_RESULTS_VERSION,
  type Contestant,
  type ScenarioId,
  type WarResults,
} from "./war-results.js";
import type { ScenarioOutput } from "./war-scenario.js";

/** The compiled child every scenario runs in. */
const CHILD_PATH = join(
  THAW_ROOT,
  "dist",
  "src",
  "bench",
  "war",
  "war-child.js",
);

/** How long a child may take to exit after its answer before it is killed. */
const CHILD_EXIT_GRACE_MS = 5_000;

/** Options of {@link runWar}. */
export interface RunWarOptions {
  readonly contestants: readonly Contestant[];
  /** Where the results file goes. */
  readonly out: string;
  readonly progress: WarProgress;
  /** Remarks for the results file (contestants that could not be built…). @default none */
  readonly notes?: readonly string[];
}

/** Which cgroup interface this machine has. */
function cgroupVersion(): string {
  if (existsSync("/sys/fs/cgroup/cgroup.controllers")) return "v2";
  if (existsSync("/sys/fs/cgroup/memory")) return "v1";
  return "none";
}

/** Runs one scenario in a child process and returns its output. */
function runInChild(
  request: ScenarioRequest,
  progress: WarProgress,
): Promise<ScenarioOutput> {
  return new Promise((resolvePromise, reject) => {
    const child = fork(CHILD_PATH, [], {
      stdio: ["ignore", "ignore", "pipe", "ipc"],
      execArgv: ["--enable-source-maps"],
    });
    let stderr = "";
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      stderr = (stderr + chunk).slice(-4000);
    });
    let answer: ScenarioMessage | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    child.on("message", (message: ScenarioMessage) => {
      if (message.kind === "progress") {
        progress.step(message.label, message.done, message.total);
        return;
      }
      answer = message;
      killTimer = setTimeout(() => child.kill("SIGKILL"), CHILD_EXIT_GRACE_MS);
    });
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      clearTimeout(killTimer);
      if (answer?.kind === "done") resolvePromise(answer.output);
      else if (answer?.kind === "failed") reject(new Error(answer.message));
      else
        reject(
          new Error(
            `its child process ended (${signal ?? `status ${String(code)}`}) without an answer${stderr === "" ? "" : `: ${stderr.trim()}`}`,
          ),
        );
    });
    child.send(request);
  });
}

/**
 * Carries out `plan` and writes the results file.
 * @throws {Error} when the results file cannot be written.
 */
export async function runWar(
  plan: WarPlan,
  options: RunWarOptions,
): Promise<WarResults> {
  const startedAt = performance.now();
  const sections = emptySections();
  sections.skipped.push(...plan.skipped);
  const scenarios: readonly ScenarioId[] = plan.scenarios;
  for (const [index, scenario] of scenarios.entries()) {
    options.progress.scenarioStarted(scenario, index, scenarios.length);
    const scenarioStartedAt = performance.now();
    let outcome: string;
    try {
      const output = await runInChild(
        { scenario, plan, contestants: options.contestants },
        options.progress,
      );
      mergeScenarioOutput(sections, output);
      outcome =
        output.skipped.length === 0
          ? "done"
          : `done, ${String(output.skipped.length)} part(s) skipped`;
    } catch (error) {
      sections.skipped.push({
        scenario,
        reason: `the scenario failed: ${error instanceof Error ? error.message : String(error)}`,
      });
      outcome = "failed";
    }
    options.progress.scenarioEnded(
      scenario,
      (performance.now() - scenarioStartedAt) / 1000,
      outcome,
    );
  }
  options.progress.stop();
  const results: WarResults = {
    version: WAR_RESULTS_VERSION,
    tool: "thaw bench",
    generatedAt: new Date().toISOString(),
    mode: plan.mode,
    durationSeconds: (performance.now() - startedAt) / 1000,
    machine: {
      ...machineFacts(),
      kernel: release(),
      cgroup: cgroupVersion(),
      backend: `${plan.sandbox.backend}${plan.sandbox.isolateNetwork ? "+isolate-network" : ""}, cpu ${plan.sandbox.cpu}`,
    },
    settings: {
      runs: plan.coldRuns,
      scenarios: SCENARIO_IDS.filter(
        (id) =>
          plan.scenarios.includes(id) ||
          plan.skipped.some((s) => s.scenario === id),
      ),
      memoryMB: plan.memoryMB,
    },
    contestants: options.contestants,
    ...sections,
    ...(options.notes === undefined || options.notes.length === 0
      ? {}
      : { notes: options.notes }),
  };
  const out = resolve(options.out);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  return results;
}
