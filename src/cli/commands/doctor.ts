/**
 * `thaw doctor`: which sandbox Backends work on this machine, and for each that does not, why and
 * how to fix it. It always exits 0: the answer is the report, not the status.
 */
import type { Command } from "commander";
/** Adds `doctor` to `program`. */
export function registerDoctorCommand(program: Command): void {
  program
    .command("doctor")
    .description(
      "Report which sandbox backends (process, namespace, snapshot) work on this machine and, for each that does not, why and how to fix it.",
    )
    .option("--json", "print the report as JSON")
    .action(async (options: { json?: boolean }) => {
      // Loaded on demand, so that `thaw invoke` does not pay for the doctor.
      const { diagnoseBackends } =
        await import("../../app/diagnose-backends.js");
      const backends = await diagnoseBackends();
      if (options.json === true) {
        process.stdout.write(`${JSON.stringify({ backends }, null, 2)}\n`);
        return;
      }
      const lines: string[] = [];
      for (const backend of backends) {
        lines.push(
          `${backend.name}${backend.default ? " (default)" : ""}: ${backend.available ? "works" : "does not work here"}`,
        );
        for (const note of backend.notes) lines.push(`  - ${note}`);
      }
      process.stdout.write(`${lines.join("\n")}\n`);
    });
}
