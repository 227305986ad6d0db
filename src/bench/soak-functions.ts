/**
 * The functions of the soak benchmark: the conformance fixture of each language
 * (tests/fixtures/functions/README.md), registered through a generated SAM template, all with
 * MemorySize 128. Each language has two functions:
 * - `soak-<language>` (Timeout 1 s, so that the injected timeouts are cheap) takes echoes, handled
 *   errors, crashes and timeouts;
 * - `soak-<language>-heavy` (Timeout 5 s) takes the faults whose work grows with memory or size:
 *   out-of-memory kills and oversized answers. Filling 128 MB or writing 7 MB needs CPU, and a
 *   sandbox's CPU is a weight in proportion to its memory (`--cpu shares`: 74 for 128 MB against
 *   1,024 for the serve process and the client). With 16 calls on 2 cores, about one kill in ten
 *   and one oversized answer in 200 were still running at a 1 s deadline, and the timeout then
 *   rightly won (`Sandbox.Timedout`). A longer timeout makes the expected answer certain.
 * Each entry also says how that language answers what the soak sends: the type of its handled
 * error and how its runtime serialises an echoed event.
 */
import { join } from "node:path";
import { THAW_ROOT } from "../config/paths.js";

/**
 * How a runtime writes back the echoed event: `compact` as sent (`{"id":"…","pad":"…"}`: Node.js
 * `JSON.stringify`, Go's `json.RawMessage`, Rust's `serde_json`, which sorts keys, and the soak's
 * keys are already sorted), `python` as `json.dumps` does by default (`{"id": "…", "pad": "…"}`).
 */
export type EchoStyle = "compact" | "python";

/** What a soak function is sent: the light calls, or the faults that need memory or size. */
export type SoakRole = "general" | "heavy";

/** One function of the soak. */
export interface SoakFunction {
  readonly name: string;
  readonly language: "rust" | "go" | "nodejs" | "python";
  readonly role: SoakRole;
  /** Its Timeout, in seconds. */
  readonly timeoutSeconds: number;
  readonly runtime: string;
  readonly handler: string;
  /** Absolute path of the package folder. */
  readonly codeUri: string;
  /** The `errorType` of the fixture's `{"action":"error"}` (see the fixtures' README). */
  readonly handledErrorType: string;
  readonly echoStyle: EchoStyle;
}

/** MemorySize of every soak function, in MB: the `memory` fault allocates more than this. */
export const SOAK_MEMORY_MB = 128;
/** Timeout of the general functions, in seconds: the `timeout` fault sleeps longer than this. */
const GENERAL_TIMEOUT_SECONDS = 1;
/** Timeout of the heavy functions, in seconds: far longer than filling their memory takes. */
const HEAVY_TIMEOUT_SECONDS = 5;

const FIXTURES = join(THAW_ROOT, "tests", "fixtures", "functions");
const BUILT_FIXTURES = join(THAW_ROOT, "build", "fixtures");

type Language = Omit<SoakFunction, "name" | "role" | "timeoutSeconds">;

/** Rust and Go (built by `scripts/build-fixtures.sh`), Node.js and Python (run from source). */
const LANGUAGES: readonly Language[] = [
  {
    language: "rust",
    runtime: "provided.al2023",
    handler: "bootstrap",
    codeUri: join(BUILT_FIXTURES, "rust"),
    handledErrorType:
      "&alloc::boxed::Box<dyn core::error::Error + core::marker::Send + core::marker::Sync>",
    echoStyle: "compact",
  },
  {
    language: "go",
    runtime: "provided.al2023",
    handler: "bootstrap",
    codeUri: join(BUILT_FIXTURES, "go"),
    handledErrorType: "errorString",
    echoStyle: "compact",
  },
  {
    language: "nodejs",
    runtime: "nodejs20.x",
    handler: "index.handler",
    codeUri: join(FIXTURES, "node"),
    handledErrorType: "Error",
    echoStyle: "compact",
  },
  {
    language: "python",
    runtime: "python3.11",
    handler: "app.handler",
    codeUri: join(FIXTURES, "python"),
    handledErrorType: "Exception",
    echoStyle: "python",
  },
];

/** Two functions per language: `soak-<language>` (general) and `soak-<language>-heavy`. */
export const SOAK_FUNCTIONS: readonly SoakFunction[] = LANGUAGES.flatMap(
  (language) => [
    {
      ...language,
      name: `soak-${language.language}`,
      role: "general",
      timeoutSeconds: GENERAL_TIMEOUT_SECONDS,
    },
    {
      ...language,
      name: `soak-${language.language}-heavy`,
      role: "heavy",
      timeoutSeconds: HEAVY_TIMEOUT_SECONDS,
    },
  ],
);

/** The SAM template registering `functions`, each with {@link SOAK_MEMORY_MB} and its timeout. */
export function soakTemplateText(functions: readonly SoakFunction[]): string {
  const lines = [
    'AWSTemplateFormatVersion: "2010-09-09"',
    "Transform: AWS::Serverless-2016-10-31",
    "Description: thaw soak benchmark",
    "Resources:",
  ];
  for (const [i, fn] of functions.entries()) {
    lines.push(
      `  SoakFunction${String(i)}:`,
      "    Type: AWS::Serverless::Function",
      "    Properties:",
      `      FunctionName: ${fn.name}`,
      `      CodeUri: ${JSON.stringify(fn.codeUri)}`,
      `      Handler: ${fn.handler}`,
      `      Runtime: ${fn.runtime}`,
      `      MemorySize: ${String(SOAK_MEMORY_MB)}`,
      `      Timeout: ${String(fn.timeoutSeconds)}`,
    );
  }
  lines.push("");
  return lines.join("\n");
}
