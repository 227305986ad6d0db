/**
 * `thaw doctor`: which sandbox Backends work on this machine, and for each that does not, why and
 * how to fix it. It always exits 0: the answer is the report, not the status.
 */
import type { Command } from "commander";
import type { CriuProbe } from "../../snapshot/criu.js";

/** One Backend's line of the report. */
interface BackendDiagnosis {
  readonly name: string;
  readonly default: boolean;
  readonly available: boolean;
  /** What was found, and for an unavailable Backend why and how to fix it. */
  readonly notes: readonly string[];
  /** The snapshot Backend's CRIU, as `probeCriu` found it. */
  readonly criu?: Omit<CriuProbe, "available" | "notes">;
}

/** Adds `doctor` to `program`. */
export function registerDoctorCommand(program: Command): void {
  program
    .command("doctor")
    .description(
      "Report which sandbox backends (process, namespace, snapshot) work on this machine and, for each that does not, why and how to fix it.",
    )
    .option("--json", "print the report as JSON")
    .action(async (options: { json?: boolean }) => {
      const backends = await diagnose();
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

/** Probes every Backend; they are independent, so at once. */
async function diagnose(): Promise<BackendDiagnosis[]> {
  // Loaded on demand, so that `thaw invoke` does not pay for the doctor.
  const [{ BACKEND_NAMES, DEFAULT_BACKEND, createBackend }, { probeCriu }] =
    await Promise.all([
      import("../../app/backends.js"),
      import("../../snapshot/criu.js"),
    ]);
  const sandboxBackends = BACKEND_NAMES.map(
    async (name): Promise<BackendDiagnosis> => {
      try {
        const probe = await (await createBackend(name)).probe();
        return { name, default: name === DEFAULT_BACKEND, ...probe };
      } catch (error) {
        return {
          name,
          default: name === DEFAULT_BACKEND,
          available: false,
          notes: [
            `probing failed: ${error instanceof Error ? error.message : String(error)}`,
          ],
        };
      }
    },
  );
  // The snapshot Backend (issue 6) is CRIU around the namespace machinery; until it exists as a
  // SandboxBackend, its probe is CRIU's.
  const snapshot = probeCriu().then(
    ({ available, notes, ...criu }): BackendDiagnosis => ({
      name: "snapshot",
      default: false,
      available,
      notes: available
        ? [
            ...notes,
            "CRIU works; the snapshot backend itself is not built yet (issue 6)",
          ]
        : notes,
      criu,
    }),
  );
  return Promise.all([...sandboxBackends, snapshot]);
}
