import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { SampleSummary } from "../bench/serve-stats.js";
import type {
  BurstResult,
  Language,
  WarResults,
} from "../bench/war/war-results.js";
import { syntheticWarResults } from "../../tests/support/synthetic-war-results.js";
import {
  decideClaim1,
  decideClaim2,
  decideClaim3,
  decideClaim4,
  decideClaim5,
  decideClaim6,
  decideVerdicts,
  grewMaterially,
  type Verdict,
} from "./verdicts.js";

const base = syntheticWarResults({ runs: 4 });

/** A summary whose every quantile is `value`. */
const flat = (value: number): SampleSummary => ({
  count: 1,
  min: value,
  p50: value,
  p90: value,
  p99: value,
  max: value,
  mean: value,
});

const languageOf = (id: string): Language | undefined =>
  base.contestants.find((c) => c.id === id)?.language;

/** `base` with the hello cold-start p50 of the given languages replaced (others dropped). */
function withCold(p50: Partial<Record<Language, number>>): WarResults {
  return {
    ...base,
    cold: base.cold.flatMap((series) => {
      const language = languageOf(series.contestantId);
      const value = language === undefined ? undefined : p50[language];
      return value === undefined ? [] : [{ ...series, totalMs: flat(value) }];
    }),
  };
}

function withPackageSizes(
  rows: readonly [mib: number, firstDeploy: number, cached: number][],
): WarResults {
  return {
    ...base,
    packageSize: rows.map(([paddedMiB, firstDeploy, cached]) => ({
      paddedMiB,
      zipBytes: paddedMiB * 2 ** 20,
      firstDeploy: flat(firstDeploy),
      cached: flat(cached),
      firstDeployMs: [firstDeploy],
      cachedMs: [cached],
    })),
  };
}

function withCodeSizes(go: readonly number[], rust: readonly number[]) {
  const modules = [10, 100, 1000];
  const rows = (language: "go" | "rust", values: readonly number[]) =>
    values.map((value, index) => ({
      language,
      modules: modules[index] ?? 0,
      binaryBytes: 1,
      initDuration: flat(value),
      initDurationMs: [value],
    }));
  return { ...base, codeSize: [...rows("go", go), ...rows("rust", rust)] };
}

function withSnapStart(
  byLanguage: Partial<Record<Language, [plain: number, restore: number]>>,
): WarResults {
  return {
    ...base,
    snapStart: Object.entries(byLanguage).map(
      ([language, [plain, restore]]) => ({
        contestantId: `${language}-hello`,
        plainInit: flat(plain),
        restore: flat(restore),
        plainInitMs: [plain],
        restoreMs: [restore],
      }),
    ),
  };
}

function withBursts(
  byLanguage: Partial<
    Record<
      Language,
      [cpuSeconds: number, memoryMiB: number, spread: number, errors?: number]
    >
  >,
): WarResults {
  return {
    ...base,
    burst: Object.entries(byLanguage).map(
      ([language, [cpuSeconds, memoryMiB, spread, errors]]): BurstResult => ({
        contestantId: `${language}-hello`,
        parallel: 100,
        errors: errors ?? 0,
        wallMs: 100 * spread,
        latenciesMs: [10, 10 * spread],
        latency: { ...flat(10), p99: 10 * spread },
        cpuSeconds,
        summedPeakMemoryMiB: memoryMiB,
      }),
    ),
  };
}

const skipping = (
  scenario: Parameters<typeof syntheticWarResults>[0] extends infer O
    ? O extends { skip?: readonly (infer S)[] }
      ? S
      : never
    : never,
): WarResults => syntheticWarResults({ runs: 4, skip: [scenario] });

interface Case {
  readonly name: string;
  readonly results: WarResults;
  readonly verdict: Verdict;
  /** Text the reason must contain. */
  readonly reason?: RegExp;
}

function table(
  decide: (results: WarResults) => { verdict: Verdict; reason: string },
  cases: readonly Case[],
): void {
  for (const c of cases)
    test(c.name, () => {
      const decided = decide(c.results);
      assert.equal(decided.verdict, c.verdict, decided.reason);
      if (c.reason) assert.match(decided.reason, c.reason);
    });
}

describe("claim 1: Rust starts fastest", () => {
  table(decideClaim1, [
    {
      name: "Rust well ahead, managed runtimes far behind: supported",
      results: withCold({
        c: 1,
        rust: 1.6,
        go: 3,
        nodejs: 55,
        python: 20,
        java: 90,
      }),
      verdict: "supported",
      reason: /C control .* faster still/,
    },
    {
      name: "Go clearly faster than Rust: refuted",
      results: withCold({ rust: 3, go: 1.5, nodejs: 55 }),
      verdict: "refuted",
      reason: /go \(1\.5 ms\) started faster than Rust/,
    },
    {
      name: "Go within 10 % of Rust: mixed",
      results: withCold({ rust: 3, go: 3.2, python: 20 }),
      verdict: "mixed",
      reason: /go ties/,
    },
    {
      name: "a managed runtime under 1.5 × Rust: mixed",
      results: withCold({ rust: 10, go: 20, python: 12 }),
      verdict: "mixed",
      reason: /python 1\.2× is under 1\.5×/,
    },
    {
      name: "the C control faster than Rust does not refute",
      results: withCold({ c: 0.5, rust: 1.6, nodejs: 50 }),
      verdict: "supported",
    },
    {
      name: "no managed runtime: inconclusive",
      results: withCold({ c: 1, rust: 1.6, go: 3 }),
      verdict: "inconclusive",
    },
    {
      name: "cold skipped: inconclusive with the skip reason",
      results: skipping("cold"),
      verdict: "inconclusive",
      reason: /scenario cold did not run: left out/,
    },
  ]);
});

describe("claim 2: size drives load time", () => {
  table(decideClaim2, [
    {
      name: "extraction grows, cached start flat: mixed",
      results: withPackageSizes([
        [1, 5, 2],
        [100, 300, 2.1],
      ]),
      verdict: "mixed",
      reason: /costs the first deploy/,
    },
    {
      name: "both grow: supported",
      results: withPackageSizes([
        [1, 5, 2],
        [10, 40, 5],
        [100, 300, 30],
      ]),
      verdict: "supported",
    },
    {
      name: "neither grows beyond noise: refuted",
      results: withPackageSizes([
        [1, 5, 2],
        [100, 5.9, 2.4],
      ]),
      verdict: "refuted",
    },
    {
      name: "one size only: inconclusive",
      results: withPackageSizes([[1, 5, 2]]),
      verdict: "inconclusive",
    },
    {
      name: "package-size skipped: inconclusive",
      results: skipping("package-size"),
      verdict: "inconclusive",
      reason: /did not run/,
    },
  ]);
});

describe("claim 3: Go grows with code, Rust does not", () => {
  table(decideClaim3, [
    {
      name: "Go grows, Rust flat: supported",
      results: withCodeSizes([3, 5, 25], [1.6, 1.6, 1.7]),
      verdict: "supported",
    },
    {
      name: "Go flat: refuted",
      results: withCodeSizes([3, 3.1, 3.3], [1.6, 1.6, 1.7]),
      verdict: "refuted",
      reason: /does not grow materially/,
    },
    {
      name: "Rust grows more than Go: refuted",
      results: withCodeSizes([3, 5, 10], [1.6, 5, 20]),
      verdict: "refuted",
      reason: /at least as much/,
    },
    {
      name: "both grow, Go more: mixed",
      results: withCodeSizes([3, 10, 40], [1.6, 3, 6]),
      verdict: "mixed",
    },
    {
      name: "code-size skipped: inconclusive",
      results: skipping("code-size"),
      verdict: "inconclusive",
    },
  ]);
});

describe("claim 4: SnapStart helps Rust most", () => {
  table(decideClaim4, [
    {
      name: "Rust saves most and speeds up most: supported",
      results: withSnapStart({
        rust: [100, 5],
        java: [90, 40],
        python: [30, 20],
      }),
      verdict: "supported",
    },
    {
      name: "restoring Rust is slower than starting it: refuted",
      results: withSnapStart({ rust: [1.6, 30], java: [90, 40] }),
      verdict: "refuted",
      reason: /no faster than starting it/,
    },
    {
      name: "Java gains more on both: refuted",
      results: withSnapStart({ rust: [10, 5], java: [300, 30] }),
      verdict: "refuted",
      reason: /java .* gain more/,
    },
    {
      name: "Rust saves more ms, Java has the larger speed-up: mixed",
      results: withSnapStart({ rust: [100, 20], java: [60, 6] }),
      verdict: "mixed",
    },
    {
      name: "only Rust: inconclusive",
      results: withSnapStart({ rust: [100, 5] }),
      verdict: "inconclusive",
    },
    {
      name: "snapstart skipped: inconclusive with the skip reason",
      results: skipping("snapstart"),
      verdict: "inconclusive",
      reason:
        /scenario snapstart did not run: left out of the synthetic results/,
    },
  ]);
});

describe("claim 5: Rust stable in a burst", () => {
  table(decideClaim5, [
    {
      name: "Rust leanest on CPU and memory, no wider spread: supported",
      results: withBursts({
        rust: [0.2, 400, 2],
        go: [0.4, 800, 2],
        java: [9, 9000, 3],
      }),
      verdict: "supported",
    },
    {
      name: "Go as lean as Rust on everything: refuted",
      results: withBursts({ rust: [0.2, 400, 2], go: [0.21, 410, 2] }),
      verdict: "refuted",
      reason: /go held up as well as Rust/,
    },
    {
      name: "Rust leaner but with a much wider spread: mixed",
      results: withBursts({ rust: [0.2, 400, 6], java: [9, 9000, 2] }),
      verdict: "mixed",
    },
    {
      name: "Rust had errors: mixed",
      results: withBursts({ rust: [0.2, 400, 2, 3], java: [9, 9000, 3] }),
      verdict: "mixed",
      reason: /3 errors/,
    },
    {
      name: "no GC language: inconclusive",
      results: withBursts({ rust: [0.2, 400, 2], c: [0.1, 300, 2] }),
      verdict: "inconclusive",
    },
    {
      name: "burst skipped: inconclusive",
      results: skipping("burst"),
      verdict: "inconclusive",
    },
  ]);
});

describe("claim 6 and the whole", () => {
  test("claim 6 is a fact about the world: inconclusive, and says so", () => {
    const decided = decideClaim6();
    assert.equal(decided.verdict, "inconclusive");
    assert.match(decided.reason, /Not measurable here/);
  });

  test("six verdicts in claim order, each with a reason", () => {
    const verdicts = decideVerdicts(base);
    assert.deepEqual(
      verdicts.map((v) => v.claim),
      [1, 2, 3, 4, 5, 6],
    );
    for (const v of verdicts) assert.ok(v.reason.length > 0);
  });

  test("a verdict from few samples says so; an inconclusive one does not", () => {
    const quick = decideVerdicts(base);
    assert.match(quick[0]?.reason ?? "", /Few samples \(4 per series\)/);
    assert.doesNotMatch(quick[5]?.reason ?? "", /Few samples/);
    const full = decideVerdicts(syntheticWarResults({ runs: 12 }));
    assert.doesNotMatch(full[0]?.reason ?? "", /Few samples/);
  });

  test("a scenario not asked for says so", () => {
    const results = {
      ...base,
      snapStart: [],
      settings: { ...base.settings, scenarios: [] },
    };
    assert.match(decideClaim4(results).reason, /was not part of this run/);
  });

  test("growth counts above 25 % and above 1 ms", () => {
    assert.equal(grewMaterially(10, 12), false);
    assert.equal(grewMaterially(10, 12.6), true);
    assert.equal(grewMaterially(1, 1.9), false);
    assert.equal(grewMaterially(1, 2.1), true);
  });
});
