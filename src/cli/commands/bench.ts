/**
 * `thaw bench [scenario…]`: the cold-start war (issue 5) — every contestant through every scenario,
 * each scenario in a child process of its own, into one results file (docs/war-results.md), with a
 * short table at the end. `--function` profiles the user's own function instead. Progress bars only
 * when stdout is a terminal.
 */
import { InvalidArgumentError, type Command } from "commander";
import {
  addSandboxOptions,
  parseIntegerOption,
  sandboxSettings,
  type SandboxOptions,
} from "../options.js";
import { InvalidParameterValueError } from "../../errors/usage-errors.js";
import { LANGUAGES, type Language } from "../../bench/war/war-results.js";

interface BenchOptions extends SandboxOptions {
  quick?: boolean;
  runs?: number;
  report?: string;
  out: string;
  memory?: number;
  contestant: string[];
  fixtures?: boolean;
  function?: string;
  runtime?: string;
  handler?: string;
  language?: string;
}

/** Adds `bench` to `program`. */
export function registerBenchCommand(program: Command): void {
  const command = program
    .command("bench")
    .description(
      "Run the cold-start war: cold, warm, burst, package-size, code-size, memory, snapstart, backends (default: all).",
    )
    .argument("[scenario...]", "scenarios to run (default: all)")
    .option("--quick", "small samples: the whole war in a few minutes")
    .option(
      "--runs <N>",
      "samples of each sequential scenario (cold, package-size, code-size, memory, snapstart, backends)",
      parseIntegerOption,
    )
    .option("-o, --out <file>", "results file", "war-results.json")
    .option(
      "--report <file>",
      "also render the report (HTML; the Markdown summary next to it, .md) as `thaw report` does",
    )
    .option(
      "-m, --memory <MB>",
      "memory size of every function outside the memory scenario (default 128)",
      parseIntegerOption,
    )
    .option(
      "--contestant <id>",
      "only this contestant (repeatable)",
      (value: string, all: string[]) => [...all, value],
      [],
    )
    .option(
      "--fixtures",
      "run the conformance fixtures (one hello function per language) instead of the war's contestants",
    )
    .option(
      "--function <package>",
      "profile your own function package (a folder or a .zip) instead of the war's",
    )
    .option("-r, --runtime <runtime>", "its Lambda runtime (with --function)")
    .option(
      "-H, --handler <handler>",
      "its handler (with --function; optional for provided.*)",
    )
    .option(
      "--language <language>",
      `its language, when the runtime does not tell (${LANGUAGES.join(", ")})`,
      (value: string) => {
        if (!(LANGUAGES as readonly string[]).includes(value))
          throw new InvalidArgumentError(`choose from ${LANGUAGES.join(", ")}`);
        return value;
      },
    );
  addSandboxOptions(command).action(
    async (scenarios: string[], options: BenchOptions) => {
      const { thawBench } = await import("../../bench/war/thaw-bench.js");
      const { barProgress, lineProgress } =
        await import("../../bench/war/war-progress.js");
      if (options.function !== undefined && options.runtime === undefined) {
        throw new InvalidParameterValueError(
          "--function needs --runtime (and --handler, except for provided.*).",
        );
      }
      const settings = sandboxSettings(options);
      const startedAt = performance.now();
      const progress = process.stdout.isTTY
        ? barProgress(process.stdout)
        : lineProgress((text) => process.stdout.write(text));
      const { table, out } = await thawBench({
        scenarios,
        quick: options.quick === true,
        runs: options.runs,
        out: options.out,
        sandbox: {
          backend: settings.backend ?? "namespace",
          cpu: settings.cpu ?? "shares",
          isolateNetwork: settings.isolateNetwork ?? false,
        },
        ...(options.memory === undefined ? {} : { memoryMB: options.memory }),
        contestantIds: options.contestant,
        fixtures: options.fixtures === true,
        progress,
        ...(options.function === undefined || options.runtime === undefined
          ? {}
          : {
              userFunction: {
                packagePath: options.function,
                runtime: options.runtime,
                handler:
                  options.handler ??
                  (options.runtime.startsWith("provided") ? "bootstrap" : ""),
                ...(options.language === undefined
                  ? {}
                  : {
                      language: options.language as Language,
                    }),
              },
            }),
      });
      process.stdout.write(`\n${table.join("\n")}\n`);
      process.stdout.write(
        `\nthaw bench: results in ${out}; took ${((performance.now() - startedAt) / 1000).toFixed(1)} s\n`,
      );
      if (options.report !== undefined) {
        const { writeReport } = await import("../../report/write-report.js");
        const markdown = options.report.replace(/\.html?$/, "") + ".md";
        const written = await writeReport(out, {
          out: options.report,
          markdown,
        });
        process.stdout.write(`\n${written.summary}`);
        process.stdout.write(
          `thaw bench: report in ${options.report}, summary in ${markdown}\n`,
        );
      }
    },
  );
}
