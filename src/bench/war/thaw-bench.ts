/**
 * `thaw bench`, as one function for the CLI: choose the contestants (the war's catalog, built
 * first when needed; or the conformance fixtures; or the user's own function), plan, run every
 * scenario, write the results file, and return it with its summary table.
 */
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { InvalidParameterValueError } from "../../errors/usage-errors.js";
import {
  fixtureContestants,
  measurePackage,
  toolchainOf,
} from "./fixture-contestants.js";
import { planWar, type PlanSandbox } from "./war-plan.js";
import type { WarProgress } from "./war-progress.js";
import type { Contestant, Language, WarResults } from "./war-results.js";
import { runWar } from "./run-war.js";
import {
  CONTESTANTS,
  contestantsBuilt,
  ensureContestantsBuilt,
  measureContestants,
} from "./contestants.js";
import { warTable } from "./war-table.js";

/** The user's own function (`--function`). */
export interface UserFunction {
  readonly packagePath: string;
  readonly runtime: string;
  readonly handler: string;
  /** @default inferred from the runtime, or from the `bootstrap` of a `provided` one */
  readonly language?: Language;
}

/** Options of {@link thawBench}. */
export interface ThawBenchOptions {
  /** Scenario ids; none means all. */
  readonly scenarios: readonly string[];
  readonly quick: boolean;
  readonly runs: number | undefined;
  readonly out: string;
  readonly sandbox: PlanSandbox;
  /** @default 128 */
  readonly memoryMB?: number;
  /** Only these contestant ids. @default all */
  readonly contestantIds?: readonly string[];
  readonly userFunction?: UserFunction;
  /**
   * Run the conformance fixtures (one hello function per language, built by the set-up) instead of
   * the war's catalog, which is built first when needed.
   * @default false
   */
  readonly fixtures?: boolean;
  readonly progress: WarProgress;
  /** Receives the contestants' build output and remarks, before the war starts. */
  readonly onLine?: (line: string) => void;
}

/** What a run produced. */
export interface ThawBenchResult {
  readonly results: WarResults;
  readonly table: readonly string[];
  readonly out: string;
}

/**
 * The language of a function from its runtime; for `provided.*`, from marks its compiler leaves in
 * the `bootstrap` (Go's build-info header, Rust's panic machinery), else C.
 */
export function inferLanguage(
  runtime: string,
  bootstrap: Buffer | undefined,
): Language {
  if (runtime.startsWith("nodejs")) return "nodejs";
  if (runtime.startsWith("python")) return "python";
  if (runtime.startsWith("java")) return "java";
  if (bootstrap === undefined) return "c";
  if (
    bootstrap.includes("\xff Go buildinf:", 0, "latin1") ||
    bootstrap.includes("runtime.gopanic")
  )
    return "go";
  if (bootstrap.includes("rust_panic") || bootstrap.includes("/rustc/"))
    return "rust";
  return "c";
}

/** The user's function as a contestant. */
export function userContestant(fn: UserFunction): Contestant {
  let bootstrap: Buffer | undefined;
  if (fn.language === undefined && fn.runtime.startsWith("provided")) {
    const path = join(fn.packagePath, "bootstrap");
    try {
      if (statSync(path).isFile()) bootstrap = readFileSync(path);
    } catch {
      bootstrap = undefined;
    }
  }
  const language = fn.language ?? inferLanguage(fn.runtime, bootstrap);
  const size = measurePackage(fn.packagePath);
  return {
    id: "your-function",
    language,
    variant: "hello",
    build: "--function",
    runtime: fn.runtime,
    handler: fn.handler,
    packagePath: fn.packagePath,
    packageBytes: size.bytes,
    packageFiles: size.files,
    toolchain: toolchainOf(language),
  };
}

/**
 * The war's contestants from the catalog, built first where missing or stale (seconds when
 * nothing changed). When the build fails, the war goes on with those that are built, and says so.
 */
async function catalogContestants(
  ids: readonly string[],
  onLine: (line: string) => void,
  notes: string[],
): Promise<Contestant[]> {
  try {
    return await ensureContestantsBuilt({ ids, onLine });
  } catch (error) {
    const wanted = CONTESTANTS.filter(
      (c) => ids.length === 0 || ids.includes(c.id),
    );
    const { built, missing } = contestantsBuilt(wanted);
    if (built.length === 0) throw error;
    const why = (error as Error).message.split("\n").slice(-3).join(" ");
    notes.push(
      missing.length === 0
        ? `The contestants' build failed; their packages were measured as they were built before: ${why}`
        : `Not built, so not measured: ${missing.map((c) => c.id).join(", ")} (${why})`,
    );
    return measureContestants(built);
  }
}

/**
 * Runs `thaw bench`.
 * @throws {InvalidParameterValueError} for an unknown scenario or contestant, or runs < 1.
 */
export async function thawBench(
  options: ThawBenchOptions,
): Promise<ThawBenchResult> {
  let plan;
  try {
    plan = planWar({
      scenarios: options.scenarios,
      quick: options.quick,
      runs: options.runs,
      userFunction: options.userFunction !== undefined,
      sandbox: options.sandbox,
      ...(options.memoryMB === undefined ? {} : { memoryMB: options.memoryMB }),
    });
  } catch (error) {
    throw new InvalidParameterValueError((error as Error).message, {
      cause: error,
    });
  }
  const ids = options.contestantIds ?? [];
  const choices =
    options.userFunction !== undefined
      ? ["your-function"]
      : options.fixtures === true
        ? fixtureContestants().map((c) => c.id)
        : CONTESTANTS.map((c) => c.id);
  const unknown = ids.filter((id) => !choices.includes(id));
  if (unknown.length > 0) {
    throw new InvalidParameterValueError(
      `Unknown contestant ${unknown.join(", ")}: choose from ${choices.join(", ")}.`,
    );
  }
  const notes: string[] = [];
  let contestants =
    options.userFunction !== undefined
      ? [userContestant(options.userFunction)]
      : options.fixtures === true
        ? fixtureContestants()
        : await catalogContestants(
            ids,
            options.onLine ?? (() => undefined),
            notes,
          );
  for (const note of notes) options.onLine?.(`thaw bench: note: ${note}`);
  if (ids.length > 0)
    contestants = contestants.filter((c) => ids.includes(c.id));
  const results = await runWar(plan, {
    contestants,
    out: options.out,
    progress: options.progress,
    notes,
  });
  return { results, table: warTable(results), out: options.out };
}
