/**
 * The verdict on each of the six claims of "the cold-start war" (shared/DESIGN.md), decided from a
 * results file alone by fixed rules: pure functions, table-tested in verdicts.test.ts and written up
 * claim by claim in docs/report.md. Figures are medians (p50) unless named otherwise; two figures
 * within {@link TIE_RATIO} of each other are a tie, not a win.
 */
import { leastSquaresSlope } from "../bench/linear-trend.js";
import type {
  BurstResult,
  Contestant,
  Language,
  ScenarioId,
  WarResults,
} from "../bench/war/war-results.js";

/** The four verdicts. */
export type Verdict = "supported" | "refuted" | "mixed" | "inconclusive";

/** A figure that decides a verdict. */
export interface VerdictFigure {
  readonly label: string;
  readonly value: number;
  /** `ms`, `MiB`, `ms/MiB`, `×`, `CPU ms`… */
  readonly unit: string;
}

/** The verdict on one claim, with its reason in a sentence and the figures behind it. */
export interface ClaimVerdict {
  readonly claim: 1 | 2 | 3 | 4 | 5 | 6;
  /** The claim in a few words. */
  readonly title: string;
  readonly verdict: Verdict;
  readonly reason: string;
  readonly figures: readonly VerdictFigure[];
}

/** Two figures closer than this ratio are a tie (10 %). */
export const TIE_RATIO = 1.1;
/** Claim 1: a managed runtime "pays" when its cold start is at least this many times Rust's. */
export const MANAGED_GAP = 1.5;
/** Claims 2 and 3: growth across a sweep counts when it exceeds this share of the smallest… */
export const GROWTH_SHARE = 0.25;
/** …and this many milliseconds. */
export const GROWTH_MIN_MS = 1;

/** Below this many samples per series a verdict carries a warning (the quick war takes 5). */
export const FEW_SAMPLES = 10;

/** Languages with a garbage collector (claim 5) and managed runtimes (claim 1). */
const GC_LANGUAGES: readonly Language[] = ["go", "nodejs", "python", "java"];
const MANAGED_LANGUAGES: readonly Language[] = ["nodejs", "python", "java"];

/** The six claims' titles, as shared/DESIGN.md words them, shortened. */
export const CLAIM_TITLES = {
  1: "Rust starts fastest; Java, Node.js and Python pay for their runtimes",
  2: "Package and binary size drive load time",
  3: "Go's start-up grows with code and dependencies; Rust's does not",
  4: "SnapStart helps Rust most",
  5: "In a burst of ~100 parallel cold starts Rust stays stable in CPU and memory; GC runtimes do not",
  6: "Lambda's isolation layer, Firecracker, is written in Rust",
} as const;

/** The verdicts on all six claims, in order. */
export function decideVerdicts(results: WarResults): readonly ClaimVerdict[] {
  const few = results.settings.runs < FEW_SAMPLES;
  const note = ` Few samples (${results.settings.runs} per series): read this verdict as a quick run's, not the war's.`;
  return [
    decideClaim1(results),
    decideClaim2(results),
    decideClaim3(results),
    decideClaim4(results),
    decideClaim5(results),
  ]
    .map((v) =>
      few && v.verdict !== "inconclusive"
        ? { ...v, reason: v.reason + note }
        : v,
    )
    .concat(decideClaim6());
}

/** Why `scenario` has no usable rows: its skip reason, or that it was not asked for. */
export function whyMissing(results: WarResults, scenario: ScenarioId): string {
  const skipped = results.skipped.find((s) => s.scenario === scenario);
  if (skipped) return `scenario ${scenario} did not run: ${skipped.reason}`;
  if (!results.settings.scenarios.includes(scenario))
    return `scenario ${scenario} was not part of this run`;
  return `scenario ${scenario} has no results`;
}

/** Is `value` a win over `other` (lower is better), beyond a tie? */
const clearlyBelow = (value: number, other: number): boolean =>
  value * TIE_RATIO < other;

/** Did a sweep grow, from `first` to `last`, by more than noise? */
export function grewMaterially(first: number, last: number): boolean {
  return last - first > Math.max(GROWTH_MIN_MS, GROWTH_SHARE * first);
}

/** The contestant of each `language`'s hello variant (the first listed), by id. */
function helloOf(
  results: WarResults,
): ReadonlyMap<Language, Contestant | undefined> {
  const map = new Map<Language, Contestant>();
  for (const contestant of results.contestants)
    if (contestant.variant === "hello" && !map.has(contestant.language))
      map.set(contestant.language, contestant);
  return map;
}

/**
 * Each language's fastest hello contestant in scenario (a): its p50 total cold start. The best
 * build counts (e.g. Java with AppCDS), as each language is built by its own best practice.
 */
export function coldP50ByLanguage(
  results: WarResults,
): ReadonlyMap<Language, { contestantId: string; p50: number }> {
  const byId = new Map(results.contestants.map((c) => [c.id, c]));
  const best = new Map<Language, { contestantId: string; p50: number }>();
  for (const series of results.cold) {
    const contestant = byId.get(series.contestantId);
    const p50 = series.totalMs.p50;
    if (contestant?.variant !== "hello" || !Number.isFinite(p50)) continue;
    const current = best.get(contestant.language);
    if (!current || p50 < current.p50)
      best.set(contestant.language, { contestantId: contestant.id, p50 });
  }
  return best;
}

function inconclusive(
  claim: ClaimVerdict["claim"],
  reason: string,
  figures: readonly VerdictFigure[] = [],
): ClaimVerdict {
  return {
    claim,
    title: CLAIM_TITLES[claim],
    verdict: "inconclusive",
    reason,
    figures,
  };
}

const round = (value: number, digits = 2): number =>
  Math.round(value * 10 ** digits) / 10 ** digits;

/**
 * Claim 1. Medians of each language's fastest hello cold start (total). Refuted when a language
 * other than Rust and the C control is faster than Rust beyond a tie; supported when Rust beats
 * every other language beyond a tie and every managed runtime (Node.js, Python, Java) present
 * takes at least {@link MANAGED_GAP} × Rust's; mixed otherwise. Inconclusive without Rust and at
 * least one managed runtime.
 */
export function decideClaim1(results: WarResults): ClaimVerdict {
  const cold = coldP50ByLanguage(results);
  const figures = [...cold].map(([language, { p50 }]) => ({
    label: `${language} hello cold start p50`,
    value: round(p50),
    unit: "ms",
  }));
  const rust = cold.get("rust");
  const managed = MANAGED_LANGUAGES.filter((l) => cold.has(l));
  if (!rust || managed.length === 0)
    return inconclusive(
      1,
      results.cold.length === 0
        ? whyMissing(results, "cold")
        : "needs cold starts of Rust and of at least one of Node.js, Python, Java",
      figures,
    );
  const rivals = [...cold].filter(
    ([language]) => language !== "rust" && language !== "c",
  );
  const faster = rivals.filter(([, { p50 }]) => clearlyBelow(p50, rust.p50));
  const c = cold.get("c");
  const control =
    c && clearlyBelow(c.p50, rust.p50)
      ? ` The C control (${round(c.p50)} ms) is faster still: native code and a small binary, not Rust itself, is the factor.`
      : "";
  if (faster.length > 0)
    return {
      claim: 1,
      title: CLAIM_TITLES[1],
      verdict: "refuted",
      reason: `${faster.map(([l, { p50 }]) => `${l} (${round(p50)} ms)`).join(", ")} started faster than Rust (${round(rust.p50)} ms).${control}`,
      figures,
    };
  const ties = rivals.filter(([, { p50 }]) => !clearlyBelow(rust.p50, p50));
  const close = managed.filter(
    (l) => (cold.get(l)?.p50 ?? Infinity) < rust.p50 * MANAGED_GAP,
  );
  const ratio = (l: Language): string =>
    `${l} ${round((cold.get(l)?.p50 ?? Number.NaN) / rust.p50, 1)}×`;
  if (ties.length === 0 && close.length === 0)
    return {
      claim: 1,
      title: CLAIM_TITLES[1],
      verdict: "supported",
      reason: `Rust (${round(rust.p50)} ms) started fastest; the managed runtimes took ${managed.map(ratio).join(", ")} as long.${control}`,
      figures,
    };
  return {
    claim: 1,
    title: CLAIM_TITLES[1],
    verdict: "mixed",
    reason: `Rust (${round(rust.p50)} ms) was not clearly fastest or the runtimes did not clearly pay: ${[
      ...ties.map(([l, { p50 }]) => `${l} ties at ${round(p50)} ms`),
      ...close.map((l) => `${ratio(l)} is under ${MANAGED_GAP}×`),
    ].join("; ")}.${control}`,
    figures,
  };
}

/**
 * Claim 2. Scenario (d): the padded Rust package's p50 at its smallest and largest size, on first
 * deploy (extraction) and cached. Supported when both grow materially ({@link grewMaterially});
 * refuted when neither does; mixed when only one does (typically: extraction grows, the cached
 * start does not, so size costs the deploy, not the load). Inconclusive with fewer than two sizes.
 */
export function decideClaim2(results: WarResults): ClaimVerdict {
  const sizes = [...results.packageSize]
    .filter(
      (r) =>
        Number.isFinite(r.firstDeploy.p50) && Number.isFinite(r.cached.p50),
    )
    .sort((a, b) => a.paddedMiB - b.paddedMiB);
  const first = sizes[0];
  const last = sizes.at(-1);
  if (!first || !last || first.paddedMiB === last.paddedMiB)
    return inconclusive(
      2,
      results.packageSize.length === 0
        ? whyMissing(results, "package-size")
        : "needs at least two package sizes",
    );
  const slope = (pick: (r: (typeof sizes)[number]) => number): number =>
    leastSquaresSlope(sizes.map((r) => ({ x: r.paddedMiB, y: pick(r) })));
  const figures: VerdictFigure[] = [
    {
      label: `first deploy p50 at ${first.paddedMiB} MiB`,
      value: round(first.firstDeploy.p50),
      unit: "ms",
    },
    {
      label: `first deploy p50 at ${last.paddedMiB} MiB`,
      value: round(last.firstDeploy.p50),
      unit: "ms",
    },
    {
      label: `cached p50 at ${first.paddedMiB} MiB`,
      value: round(first.cached.p50),
      unit: "ms",
    },
    {
      label: `cached p50 at ${last.paddedMiB} MiB`,
      value: round(last.cached.p50),
      unit: "ms",
    },
    {
      label: "first deploy slope",
      value: round(
        slope((r) => r.firstDeploy.p50),
        3,
      ),
      unit: "ms/MiB",
    },
    {
      label: "cached slope",
      value: round(
        slope((r) => r.cached.p50),
        3,
      ),
      unit: "ms/MiB",
    },
  ];
  const deployGrows = grewMaterially(
    first.firstDeploy.p50,
    last.firstDeploy.p50,
  );
  const cachedGrows = grewMaterially(first.cached.p50, last.cached.p50);
  const span = `${first.paddedMiB} → ${last.paddedMiB} MiB`;
  const change = (a: number, b: number): string =>
    `${round(a)} → ${round(b)} ms`;
  const text = `${span}: first deploy ${change(first.firstDeploy.p50, last.firstDeploy.p50)}, cached ${change(first.cached.p50, last.cached.p50)}`;
  if (deployGrows && cachedGrows)
    return {
      claim: 2,
      title: CLAIM_TITLES[2],
      verdict: "supported",
      reason: `Both the first deploy and the cached start grow with size (${text}).`,
      figures,
    };
  if (!deployGrows && !cachedGrows)
    return {
      claim: 2,
      title: CLAIM_TITLES[2],
      verdict: "refuted",
      reason: `Size barely changes the cold start (${text}).`,
      figures,
    };
  return {
    claim: 2,
    title: CLAIM_TITLES[2],
    verdict: "mixed",
    reason: deployGrows
      ? `Size costs the first deploy (extraction), not the load of a cached package (${text}).`
      : `The cached start grows with size but the first deploy does not (${text}).`,
    figures,
  };
}

/**
 * Claim 3. Scenario (e): init p50 of the generated Go and Rust programs at the fewest and the most
 * modules. Supported when Go grows materially and Rust does not; refuted when Go does not grow
 * materially, or Rust grows at least as much as Go; mixed when both grow and Go more.
 */
export function decideClaim3(results: WarResults): ClaimVerdict {
  const sweep = (language: "go" | "rust") => {
    const rows = results.codeSize
      .filter(
        (r) => r.language === language && Number.isFinite(r.initDuration.p50),
      )
      .sort((a, b) => a.modules - b.modules);
    const first = rows[0];
    const last = rows.at(-1);
    return first && last && first.modules !== last.modules
      ? { first, last, growth: last.initDuration.p50 - first.initDuration.p50 }
      : undefined;
  };
  const go = sweep("go");
  const rust = sweep("rust");
  const goHello = helloOf(results).get("go");
  const figures: VerdictFigure[] = [];
  if (goHello)
    figures.push({
      label: "Go hello package size",
      value: round(goHello.packageBytes / 2 ** 20),
      unit: "MiB",
    });
  if (!go || !rust)
    return inconclusive(
      3,
      results.codeSize.length === 0
        ? whyMissing(results, "code-size")
        : "needs Go and Rust programs at two module counts or more",
      figures,
    );
  for (const [name, s] of [
    ["Go", go],
    ["Rust", rust],
  ] as const)
    figures.push(
      {
        label: `${name} init p50, ${s.first.modules} modules`,
        value: round(s.first.initDuration.p50),
        unit: "ms",
      },
      {
        label: `${name} init p50, ${s.last.modules} modules`,
        value: round(s.last.initDuration.p50),
        unit: "ms",
      },
    );
  const goGrows = grewMaterially(
    go.first.initDuration.p50,
    go.last.initDuration.p50,
  );
  const rustGrows = grewMaterially(
    rust.first.initDuration.p50,
    rust.last.initDuration.p50,
  );
  const describe = (name: string, s: NonNullable<typeof go>): string =>
    `${name} ${round(s.first.initDuration.p50)} → ${round(s.last.initDuration.p50)} ms (${s.first.modules} → ${s.last.modules} modules)`;
  const text = `${describe("Go", go)}; ${describe("Rust", rust)}`;
  const verdict: Verdict =
    !goGrows || rust.growth >= go.growth
      ? "refuted"
      : rustGrows
        ? "mixed"
        : "supported";
  const reasons: Record<Exclude<Verdict, "inconclusive">, string> = {
    supported: `Go's init grows with its code, Rust's does not: ${text}.`,
    refuted: goGrows
      ? `Rust's init grows at least as much as Go's: ${text}.`
      : `Go's init does not grow materially with code: ${text}.`,
    mixed: `Both grow with code, Go more: ${text}.`,
  };
  return {
    claim: 3,
    title: CLAIM_TITLES[3],
    verdict,
    reason: reasons[verdict],
    figures,
  };
}

/**
 * Claim 4. Scenario (g): per language (its hello contestant, else its first), the time a restore
 * saves over a plain init (p50 − p50) and the speed-up (p50 ÷ p50). Refuted when restoring Rust is
 * no faster than initialising it, or another language beats Rust on both beyond a tie; supported
 * when no language beats Rust on either beyond a tie; mixed otherwise. Inconclusive when the
 * scenario did not run, or lacks Rust or any other language.
 */
export function decideClaim4(results: WarResults): ClaimVerdict {
  const byId = new Map(results.contestants.map((c) => [c.id, c]));
  const gains = new Map<Language, { saved: number; speedUp: number }>();
  for (const row of results.snapStart) {
    const contestant = byId.get(row.contestantId);
    if (!contestant) continue;
    const known = gains.has(contestant.language);
    if (known && contestant.variant !== "hello") continue;
    const saved = row.plainInit.p50 - row.restore.p50;
    const speedUp = row.plainInit.p50 / row.restore.p50;
    if (Number.isFinite(saved) && Number.isFinite(speedUp))
      gains.set(contestant.language, { saved, speedUp });
  }
  const figures = [...gains].flatMap(([language, g]) => [
    { label: `${language} restore saves`, value: round(g.saved), unit: "ms" },
    { label: `${language} speed-up`, value: round(g.speedUp), unit: "×" },
  ]);
  const rust = gains.get("rust");
  const others = [...gains].filter(([l]) => l !== "rust");
  if (!rust || others.length === 0)
    return inconclusive(
      4,
      results.snapStart.length === 0
        ? whyMissing(results, "snapstart")
        : "needs snapshot restores of Rust and of another language",
      figures,
    );
  const beats = (
    g: { saved: number; speedUp: number },
    on: "saved" | "speedUp",
  ) => g[on] > rust[on] * TIE_RATIO && g[on] - rust[on] > 0;
  const betterOnBoth = others.filter(
    ([, g]) => beats(g, "saved") && beats(g, "speedUp"),
  );
  const betterOnOne = others.filter(
    ([, g]) => beats(g, "saved") || beats(g, "speedUp"),
  );
  const rustText = `Rust saves ${round(rust.saved)} ms (${round(rust.speedUp)}×)`;
  const list = (rows: typeof others): string =>
    rows
      .map(([l, g]) => `${l} ${round(g.saved)} ms (${round(g.speedUp)}×)`)
      .join(", ");
  if (rust.speedUp <= 1 || betterOnBoth.length > 0)
    return {
      claim: 4,
      title: CLAIM_TITLES[4],
      verdict: "refuted",
      reason:
        rust.speedUp <= 1
          ? `Restoring Rust is no faster than starting it: ${rustText}.`
          : `${rustText}; ${list(betterOnBoth)} gain more.`,
      figures,
    };
  if (betterOnOne.length === 0)
    return {
      claim: 4,
      title: CLAIM_TITLES[4],
      verdict: "supported",
      reason: `${rustText}, more than ${list(others)}.`,
      figures,
    };
  return {
    claim: 4,
    title: CLAIM_TITLES[4],
    verdict: "mixed",
    reason: `${rustText}; ${list(betterOnOne)} gain more by one measure.`,
    figures,
  };
}

/** Per start, from one burst: CPU ms, peak MiB and the p99 ÷ p50 spread of its latencies. */
export function burstPerStart(burst: BurstResult): {
  cpuMs: number;
  memoryMiB: number;
  spread: number;
} {
  const starts = Math.max(1, burst.parallel);
  return {
    cpuMs: (burst.cpuSeconds * 1000) / starts,
    memoryMiB: burst.summedPeakMemoryMiB / starts,
    spread: burst.latency.p99 / burst.latency.p50,
  };
}

/**
 * Claim 5. Scenario (c): per language (its hello burst, else its first), CPU ms and peak MiB per
 * start and the spread p99 ÷ p50. Refuted when a GC language (Go, Node.js, Python, Java) is within
 * a tie of Rust or better on all three, with no more errors; supported when Rust had no errors,
 * beats every GC language beyond a tie on CPU and on memory, and its spread is no worse than a
 * tie; mixed otherwise. Inconclusive without Rust and a GC language.
 */
export function decideClaim5(results: WarResults): ClaimVerdict {
  const byId = new Map(results.contestants.map((c) => [c.id, c]));
  const bursts = new Map<Language, BurstResult>();
  for (const burst of results.burst) {
    const contestant = byId.get(burst.contestantId);
    if (!contestant) continue;
    if (bursts.has(contestant.language) && contestant.variant !== "hello")
      continue;
    bursts.set(contestant.language, burst);
  }
  const figures = [...bursts].flatMap(([language, burst]) => {
    const per = burstPerStart(burst);
    return [
      {
        label: `${language} CPU per start`,
        value: round(per.cpuMs),
        unit: "ms",
      },
      {
        label: `${language} peak memory per start`,
        value: round(per.memoryMiB),
        unit: "MiB",
      },
      {
        label: `${language} latency p99 ÷ p50`,
        value: round(per.spread),
        unit: "×",
      },
      {
        label: `${language} burst wall time`,
        value: round(burst.wallMs),
        unit: "ms",
      },
    ];
  });
  const rustBurst = bursts.get("rust");
  const gc = GC_LANGUAGES.filter((l) => bursts.has(l));
  if (!rustBurst || gc.length === 0)
    return inconclusive(
      5,
      results.burst.length === 0
        ? whyMissing(results, "burst")
        : "needs bursts of Rust and of at least one GC language",
      figures,
    );
  const rust = burstPerStart(rustBurst);
  const asGood = gc.filter((l) => {
    const burst = bursts.get(l);
    if (!burst) return false;
    const other = burstPerStart(burst);
    return (
      other.cpuMs <= rust.cpuMs * TIE_RATIO &&
      other.memoryMiB <= rust.memoryMiB * TIE_RATIO &&
      other.spread <= rust.spread * TIE_RATIO &&
      burst.errors <= rustBurst.errors
    );
  });
  const rustText = `Rust per start: ${round(rust.cpuMs)} CPU ms, ${round(rust.memoryMiB)} MiB, p99 ÷ p50 ${round(rust.spread)}`;
  if (asGood.length > 0)
    return {
      claim: 5,
      title: CLAIM_TITLES[5],
      verdict: "refuted",
      reason: `${asGood.join(", ")} held up as well as Rust in the burst (${rustText}).`,
      figures,
    };
  const behind = gc.flatMap((l) => {
    const burst = bursts.get(l);
    if (!burst) return [];
    const other = burstPerStart(burst);
    const lost = [
      clearlyBelow(rust.cpuMs, other.cpuMs) ? undefined : "CPU",
      clearlyBelow(rust.memoryMiB, other.memoryMiB) ? undefined : "memory",
      rust.spread <= other.spread * TIE_RATIO ? undefined : "spread",
    ].filter((m) => m !== undefined);
    return lost.length === 0 ? [] : [`${l} (${lost.join(", ")})`];
  });
  const cpuNote =
    rustBurst.cpuSeconds === 0
      ? " Rust's CPU time was 0: below the resolution of the CPU accounting, so CPU ties with any runtime also at 0."
      : "";
  if (behind.length === 0 && rustBurst.errors === 0)
    return {
      claim: 5,
      title: CLAIM_TITLES[5],
      verdict: "supported",
      reason: `${rustText}: less CPU and memory than ${gc.join(", ")}, and no wider spread. On one host this measures the host's CPU per start; on Lambda each environment is its own microVM.`,
      figures,
    };
  return {
    claim: 5,
    title: CLAIM_TITLES[5],
    verdict: "mixed",
    reason: `${rustText}${rustBurst.errors > 0 ? `, ${rustBurst.errors} errors` : ""}. Rust does not clearly lead ${behind.length > 0 ? behind.join("; ") : "every GC runtime"}.${cpuNote}`,
    figures,
  };
}

/** Claim 6: a fact about AWS's platform, not something a run on this machine can measure. */
export function decideClaim6(): ClaimVerdict {
  return inconclusive(
    6,
    "Not measurable here: it is a fact about AWS's platform (Firecracker's source is Rust), and thaw's backends do not run Firecracker. It says nothing about how fast functions written in Rust start.",
  );
}
