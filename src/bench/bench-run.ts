/**
 * One run of a benchmark that writes a results file (the serve and soak benchmarks): when it began,
 * which becomes the results' `generatedAt` and the timestamp in their file name; the machine it
 * runs on; the two lines it opens with; and the end, where the results go to
 * `.thaw/bench/<name>-<timestamp>.json` (or a file of the caller's choosing) and any failure sets the
 * exit status.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { THAW_ROOT } from "../config/paths.js";
import { machineFacts } from "./machine-facts.js";
import type { MachineFacts } from "./serve-results.js";

/** Where every results file goes. */
const RESULTS_DIR = join(THAW_ROOT, ".thaw", "bench");

const NUMBER = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

function print(text: string): void {
  process.stdout.write(`${text}\n`);
}

/** A benchmark run, from its header to its results file. */
export class BenchRun {
  /** The benchmark's name, the start of its file names (`serve`, `soak`). */
  readonly name: string;
  /** When the run began, ISO 8601. */
  readonly generatedAt: string;
  readonly machine: MachineFacts;
  /** `generatedAt` as file names may hold it. */
  readonly #stamp: string;

  private constructor(name: string) {
    this.name = name;
    this.generatedAt = new Date().toISOString();
    this.#stamp = this.generatedAt.replace(/[:.]/g, "-");
    this.machine = machineFacts();
  }

  /**
   * Begins a run: prints `<title> — <generatedAt>` and a line on the machine, and makes the
   * results folder.
   */
  static async start(name: string, title: string): Promise<BenchRun> {
    const run = new BenchRun(name);
    const { machine } = run;
    print(`${title} — ${run.generatedAt}`);
    print(
      `node ${machine.node}, ${machine.os} ${machine.arch}, ${machine.cpuModel} × ${machine.cores} cores, ${NUMBER.format(machine.totalMemoryMiB)} MiB`,
    );
    await mkdir(RESULTS_DIR, { recursive: true });
    return run;
  }

  /** A path in the results folder named after the run: `<name>-<timestamp><suffix>`. */
  resultsPath(suffix: string): string {
    return join(RESULTS_DIR, `${this.name}-${this.#stamp}${suffix}`);
  }

  /**
   * Ends the run: writes `results` as JSON to `file` and prints its path; then, when there are
   * `failures`, prints them and sets the exit status to 1.
   * @param file @default `<name>-<timestamp>.json` in the results folder
   */
  async finish(
    results: unknown,
    failures: readonly string[],
    file: string = this.resultsPath(".json"),
  ): Promise<void> {
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, JSON.stringify(results));
    print(`results: ${file}`);
    if (failures.length > 0) {
      print(`FAILED: ${failures.join("; ")}`);
      process.exitCode = 1;
    }
  }
}
