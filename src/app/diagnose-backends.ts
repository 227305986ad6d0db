/**
 * What `thaw doctor` reports: each sandbox Backend, whether it works on this machine and, for one
 * that does not, why and how to fix it. The probes are independent and run at once.
 */
import { probeCriu, type CriuProbe } from "../snapshot/criu.js";
import { BACKEND_NAMES, DEFAULT_BACKEND, createBackend } from "./backends.js";

/** One Backend's line of the report. */
export interface BackendDiagnosis {
  readonly name: string;
  readonly default: boolean;
  readonly available: boolean;
  /** What was found, and for an unavailable Backend why and how to fix it. */
  readonly notes: readonly string[];
  /** The snapshot Backend's CRIU, as `probeCriu` found it. */
  readonly criu?: Omit<CriuProbe, "available" | "notes">;
}

/** Probes every Backend. */
export async function diagnoseBackends(): Promise<BackendDiagnosis[]> {
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
  // The snapshot Backend (issue 6) will be CRIU around the namespace machinery. It is not built
  // yet, so it does not work anywhere; what it will need, CRIU, is reported as found.
  const snapshot = probeCriu().then(
    ({ available, notes, ...criu }): BackendDiagnosis => ({
      name: "snapshot",
      default: false,
      available: false,
      notes: [
        "the snapshot backend (SnapStart) is not built yet; it is the work of issue 6",
        ...notes,
        available
          ? "CRIU, which it needs, is ready"
          : "CRIU, which it needs, is not usable here (see above)",
      ],
      criu,
    }),
  );
  return Promise.all([...sandboxBackends, snapshot]);
}
