/**
 * The demo: invoke the same fixture function in each language, cold, and collect their REPORT lines
 * side by side. The fixtures are built by the set-up (`scripts/build-fixtures.sh`).
 */
import { join } from "node:path";
import { THAW_PATHS, THAW_ROOT } from "../config/paths.js";
import { invokeOnce, type InvokeOnceResult } from "./invoke-once.js";

/** One language's fixture as the demo and the conformance suite run it. */
export interface FixtureFunction {
  readonly language: "rust" | "go" | "java" | "node" | "python";
  readonly packagePath: string;
  readonly runtime: string;
  readonly handler: string;
}

/** The conformance fixtures, one per language (tests/fixtures/functions/README.md). */
export const FIXTURE_FUNCTIONS: readonly FixtureFunction[] = [
  {
    language: "rust",
    packagePath: join(THAW_PATHS.fixtures, "rust"),
    runtime: "provided.al2023",
    handler: "bootstrap",
  },
  {
    language: "go",
    packagePath: join(THAW_PATHS.fixtures, "go"),
    runtime: "provided.al2023",
    handler: "bootstrap",
  },
  {
    language: "java",
    packagePath: join(THAW_PATHS.fixtures, "java"),
    runtime: "java17",
    handler: "thaw.fixture.Handler::handleRequest",
  },
  {
    language: "node",
    packagePath: join(THAW_ROOT, "tests", "fixtures", "functions", "node"),
    runtime: "nodejs20.x",
    handler: "index.handler",
  },
  {
    language: "python",
    packagePath: join(THAW_ROOT, "tests", "fixtures", "functions", "python"),
    runtime: "python3.11",
    handler: "app.handler",
  },
];

/** One row of the demo. */
export interface DemoRow {
  readonly fixture: FixtureFunction;
  readonly result: InvokeOnceResult;
  /** The REPORT line Lambda would print for it. */
  readonly report: string;
}

/** Invokes every fixture once, cold, in turn. */
export async function runDemo(): Promise<DemoRow[]> {
  const rows: DemoRow[] = [];
  for (const fixture of FIXTURE_FUNCTIONS) {
    let report = "";
    const result = await invokeOnce(
      {
        packagePath: fixture.packagePath,
        function: {
          functionName: `demo-${fixture.language}`,
          runtime: fixture.runtime,
          handler: fixture.handler,
        },
        payload: Buffer.from(
          JSON.stringify({ hello: "from thaw", language: fixture.language }),
        ),
      },
      {
        onLog: (line, source) => {
          if (source === "platform" && line.startsWith("REPORT "))
            report = line;
        },
      },
    );
    rows.push({ fixture, result, report });
  }
  return rows;
}
