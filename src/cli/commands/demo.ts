/** `thaw demo`: the same function in every language, invoked cold, REPORT lines side by side. */
import type { Command } from "commander";
import { runDemo } from "../../app/demo.js";

/** Adds `demo` to `program`. */
export function registerDemoCommand(program: Command): void {
  program
    .command("demo")
    .description(
      "Invoke the example function in Rust, Go, Java, Node.js and Python, cold, and compare their REPORT lines.",
    )
    .action(async () => {
      const rows = await runDemo();
      const header = [
        "language",
        "runtime",
        "init ms",
        "duration ms",
        "max memory MB",
        "response",
      ];
      const table = rows.map(({ fixture, result }) => [
        fixture.language,
        result.launch.runtimeVersion,
        result.init.durationMs.toFixed(2),
        (result.invocation?.durationMs ?? 0).toFixed(2),
        String(result.invocation?.maxMemoryUsedMB ?? 0),
        result.body.toString("utf8").slice(0, 60),
      ]);
      const widths = header.map((h, i) =>
        Math.max(h.length, ...table.map((row) => (row[i] ?? "").length)),
      );
      const format = (row: string[]): string =>
        row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join("  ");
      process.stdout.write(
        `${format(header)}\n${table.map(format).join("\n")}\n\nREPORT lines:\n`,
      );
      for (const { fixture, report } of rows)
        process.stdout.write(`${fixture.language.padEnd(7)} ${report}\n`);
      if (rows.some((row) => row.result.functionError)) process.exitCode = 1;
    });
}
