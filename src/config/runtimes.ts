/**
 * The Lambda runtime identifiers thaw runs (spec §3.3) and what each asks for. Pure data: finding an
 * interpreter on this machine is `runtimes/`'s job.
 */

/** Runtime families: how the Runtime process is started. */
export type RuntimeFamily = "provided" | "nodejs" | "python" | "java";

/** A runtime thaw supports. */
export interface RuntimeDescriptor {
  readonly id: string;
  readonly family: RuntimeFamily;
  /** The language version asked for (`"20"`, `"3.12"`, `"21"`); empty for `provided`. */
  readonly version: string;
}

/** Every supported runtime, in the order `thaw invoke --help` lists them. */
export const RUNTIMES: readonly RuntimeDescriptor[] = [
  { id: "provided.al2023", family: "provided", version: "" },
  { id: "provided.al2", family: "provided", version: "" },
  { id: "nodejs20.x", family: "nodejs", version: "20" },
  { id: "nodejs22.x", family: "nodejs", version: "22" },
  { id: "nodejs24.x", family: "nodejs", version: "24" },
  { id: "python3.11", family: "python", version: "3.11" },
  { id: "python3.12", family: "python", version: "3.12" },
  { id: "python3.13", family: "python", version: "3.13" },
  { id: "java17", family: "java", version: "17" },
  { id: "java21", family: "java", version: "21" },
];

/** The descriptor of `id`, or undefined when thaw does not support it. */
export function findRuntime(id: string): RuntimeDescriptor | undefined {
  return RUNTIMES.find((runtime) => runtime.id === id);
}
