/**
 * The messages between `thaw bench` and the child process each scenario runs in (over Node's IPC
 * channel): the parent sends one {@link ScenarioRequest}; the child answers with progress and
 * exactly one `done` or `failed`.
 */
import type { WarPlan } from "./war-plan.js";
import type { Contestant, ScenarioId } from "./war-results.js";
import type { ScenarioOutput } from "./war-scenario.js";

/** What the child is asked to run. */
export interface ScenarioRequest {
  readonly scenario: ScenarioId;
  readonly plan: WarPlan;
  readonly contestants: readonly Contestant[];
}

/** What the child tells the parent. */
export type ScenarioMessage =
  | {
      readonly kind: "progress";
      readonly label: string;
      readonly done: number;
      readonly total: number;
    }
  | { readonly kind: "done"; readonly output: ScenarioOutput }
  | { readonly kind: "failed"; readonly message: string };
