/**
 * A synthetic, schema-valid results file of `thaw bench` for the tests of the validator and of
 * `thaw report`: every scenario filled with seeded, plausible figures. Never presented as
 * a measurement: `machine.cpuModel` says `synthetic`, and the report prints it under its title.
 */
import { SeededRandom } from "../../src/bench/seeded-random.js";
import { summarize } from "../../src/bench/serve-stats.js";
import {
  LANGUAGES,
  SCENARIO_IDS,
  type Contestant,
  type Language,
  type ScenarioId,
  type WarResults,
} from "../../src/bench/war/war-results.js";

/** Options of {@link syntheticWarResults}. */
export interface SyntheticOptions {
  /** @default "thaw" */
  readonly seed?: string;
  /** Samples per series. @default 12 */
  readonly runs?: number;
  /** Scenarios left out, recorded in `skipped` with a reason. @default [] */
  readonly skip?: readonly ScenarioId[];
}

/** Typical cold start (ms) of a hello function per language, the spread's centre. */
const BASE_MS: Readonly<Record<Language, number>> = {
  c: 1.2,
  rust: 1.6,
  go: 3.1,
  python: 21,
  nodejs: 58,
  java: 92,
};

/** A synthetic {@link WarResults} with every scenario but those in `skip`. */
export function syntheticWarResults(
  options: SyntheticOptions = {},
): WarResults {
  const random = new SeededRandom(options.seed ?? "thaw");
  const runs = options.runs ?? 12;
  const skip = new Set(options.skip ?? []);
  const around = (centre: number, spread = 0.15): number =>
    Math.round(centre * (1 + spread * (random.next() * 2 - 1)) * 1000) / 1000;
  const series = (centre: number, spread?: number): number[] =>
    Array.from({ length: runs }, () => around(centre, spread));

  const contestants: Contestant[] = LANGUAGES.flatMap((language) =>
    (["hello", "realistic"] as const).map((variant) => ({
      id: `${language}-${variant}`,
      language,
      variant,
      build: language === "java" ? "appcds" : undefined,
      runtime: language === "nodejs" ? "nodejs20.x" : "provided.al2023",
      handler: "index.handler",
      packagePath: `/synthetic/${language}-${variant}`,
      packageBytes: Math.round(
        { c: 0.02, rust: 1.2, go: 6, nodejs: 3, python: 9, java: 14 }[
          language
        ] *
          2 ** 20 *
          (variant === "hello" ? 1 : 3),
      ),
      packageFiles: language === "nodejs" || language === "python" ? 900 : 1,
      toolchain: `${language} synthetic`,
    })),
  );
  const baseOf = (contestant: Contestant): number =>
    BASE_MS[contestant.language] * (contestant.variant === "hello" ? 1 : 1.8);

  const cold = contestants.map((contestant) => {
    const samples = series(baseOf(contestant)).map((totalMs) => {
      const packageMs = totalMs * 0.05;
      const sandboxMs = Math.min(4.5, totalMs * 0.3);
      const invokeMs = totalMs * 0.1;
      const runtimeInitMs = totalMs - packageMs - sandboxMs - invokeMs;
      return {
        packageMs,
        sandboxMs,
        runtimeInitMs,
        invokeMs,
        totalMs,
        initDurationMs: sandboxMs + runtimeInitMs,
        maxMemoryUsedMB: Math.round(around(baseOf(contestant) / 2 + 4)),
      };
    });
    return {
      contestantId: contestant.id,
      samples,
      totalMs: summarize(samples.map((s) => s.totalMs)),
      initDurationMs: summarize(samples.map((s) => s.initDurationMs)),
    };
  });

  const warm = contestants.map((contestant) => {
    const firstInvokeMs = series(baseOf(contestant) * 0.1);
    const warmInvokeUs = series(120);
    return {
      contestantId: contestant.id,
      firstInvokeMs,
      warmInvokeUs,
      firstInvoke: summarize(firstInvokeMs),
      warmInvoke: summarize(warmInvokeUs),
    };
  });

  const hellos = contestants.filter((c) => c.variant === "hello");
  const burst = hellos.map((contestant) => {
    const parallel = 100;
    const perStart = baseOf(contestant);
    const latenciesMs = Array.from({ length: parallel }, (_, index) =>
      around(perStart + (index * perStart) / 2, 0.1),
    ).sort((a, b) => a - b);
    return {
      contestantId: contestant.id,
      parallel,
      errors: 0,
      wallMs: Math.max(...latenciesMs),
      latenciesMs,
      latency: summarize(latenciesMs),
      cpuSeconds: (parallel * perStart) / 1000,
      summedPeakMemoryMiB: parallel * (perStart / 2 + 3),
    };
  });

  const packageSize = [1, 10, 50, 100].map((paddedMiB) => {
    const firstDeployMs = series(2 + paddedMiB * 3.2);
    const cachedMs = series(2.1);
    return {
      paddedMiB,
      zipBytes: Math.round(paddedMiB * 2 ** 20 * 1.01),
      firstDeploy: summarize(firstDeployMs),
      cached: summarize(cachedMs),
      firstDeployMs,
      cachedMs,
    };
  });

  const codeSize = (["go", "rust"] as const).flatMap((language) =>
    [10, 100, 1000].map((modules) => {
      const initDurationMs = series(
        language === "go" ? 3 + modules * 0.02 : 1.6 + modules * 0.0005,
      );
      return {
        language,
        modules,
        binaryBytes: modules * (language === "go" ? 12_000 : 4_000) + 900_000,
        initDuration: summarize(initDurationMs),
        initDurationMs,
      };
    }),
  );

  const memory = hellos.flatMap((contestant) =>
    [128, 512, 1024, 3008].map((memoryMB) => {
      const initDurationMs = series(baseOf(contestant) * (1 + 64 / memoryMB));
      return {
        contestantId: contestant.id,
        memoryMB,
        cpu: "quota" as const,
        initDuration: summarize(initDurationMs),
        initDurationMs,
      };
    }),
  );

  const snapStart = hellos.map((contestant) => {
    const plainInitMs = series(baseOf(contestant));
    const restoreMs = series(30 + baseOf(contestant) * 0.2);
    return {
      contestantId: contestant.id,
      plainInit: summarize(plainInitMs),
      restore: summarize(restoreMs),
      plainInitMs,
      restoreMs,
      imageBytes: Math.round(2 ** 20 * (1 + baseOf(contestant) / 10)),
      dumpMs: 100 + baseOf(contestant) / 2,
    };
  });

  const backends = hellos.flatMap((contestant) =>
    (["process", "namespace"] as const).map((backend) => {
      const samplesMs = series(
        baseOf(contestant) + (backend === "namespace" ? 3.5 : 0),
      );
      return {
        contestantId: contestant.id,
        backend,
        isolateNetwork: backend === "namespace",
        totalMs: summarize(samplesMs),
        samplesMs,
      };
    }),
  );

  const scenarios = [...SCENARIO_IDS];
  const keep = <T>(id: ScenarioId, rows: T[]): T[] =>
    skip.has(id) ? [] : rows;
  return {
    version: 1,
    tool: "thaw bench",
    generatedAt: "2026-01-01T00:00:00.000Z",
    mode: "quick",
    durationSeconds: 1,
    machine: {
      node: "v20.0.0",
      os: "Linux synthetic",
      arch: "x64",
      cpuModel: "synthetic (not a measurement)",
      cores: 2,
      totalMemoryMiB: 4096,
      kernel: "synthetic",
      cgroup: "v1",
      backend: "namespace",
    },
    settings: { runs, scenarios, memoryMB: 1024 },
    contestants,
    cold: keep("cold", cold),
    warm: keep("warm", warm),
    burst: keep("burst", burst),
    packageSize: keep("package-size", packageSize),
    codeSize: keep("code-size", codeSize),
    memory: keep("memory", memory),
    snapStart: keep("snapstart", snapStart),
    backends: keep("backends", backends),
    skipped: [...skip].map((scenario) => ({
      scenario,
      reason: `left out of the synthetic results (${scenario})`,
    })),
  };
}
