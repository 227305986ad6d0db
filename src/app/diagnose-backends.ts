/**
 * What `thaw doctor` reports: each sandbox Backend, whether it works on this machine and, for one
 * that does not, why and how to fix it. The probes are independent and run at once.
 */
import { probeCriu, type CriuProbe } from "../snapshot/criu.js";
import {
  BACKEND_NAMES,
  DEFAULT_BACKEND,
  createBackend,
  createSnapshotBackend,
} from "./backends.js";

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
  // The snapshot Backend (SnapStart, `--snapstart`): CRIU around the process machinery.
  const snapshot = (async (): Promise<BackendDiagnosis> => {
    const found = await probeCriu();
    const probe = await (await createSnapshotBackend()).probe(found);
    return {
      name: "snapshot",
      default: false,
      available: probe.available,
      notes: [
        "used for SnapStart (--snapstart): snapshots initialised environments, restores clones",
        ...probe.notes,
      ],
      criu: {
        location: found.location,
        version: found.version,
        tcpEstablished: found.tcpEstablished,
        check: found.check,
      },
    };
  })();
  return Promise.all([...sandboxBackends, snapshot]);
}
