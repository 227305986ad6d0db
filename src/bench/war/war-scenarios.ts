/** Every scenario that measures something, by id. */
import { backendsScenario } from "./scenarios/backends.js";
import { burstScenario } from "./scenarios/burst.js";
import { codeSizeScenario } from "./scenarios/code-size.js";
import { coldScenario } from "./scenarios/cold.js";
import { memoryScenario } from "./scenarios/memory.js";
import { packageSizeScenario } from "./scenarios/package-size.js";
import { snapStartScenario } from "./scenarios/snapstart.js";
import { warmScenario } from "./scenarios/warm.js";
import type { ScenarioId } from "./war-results.js";
import type { Scenario } from "./war-scenario.js";

/** The scenario of each id (every id has one; Partial because ids also arrive over IPC). */
export const WAR_SCENARIOS: Readonly<Partial<Record<ScenarioId, Scenario>>> = {
  cold: coldScenario,
  warm: warmScenario,
  burst: burstScenario,
  "package-size": packageSizeScenario,
  "code-size": codeSizeScenario,
  memory: memoryScenario,
  snapstart: snapStartScenario,
  backends: backendsScenario,
};
