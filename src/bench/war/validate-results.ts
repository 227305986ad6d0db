/**
 * Validation of a results file of `thaw bench` against the {@link WarResults} layout (version 1),
 * with zod: every field's type, unit-bearing numbers finite and not negative, scenario and language
 * names from their unions, and every `contestantId` naming a contestant of the file. A quantile of
 * an empty series is `NaN` in memory and `null` once written as JSON; it is read back as `NaN`.
 * Unknown keys are kept, so a file with fields added later (as optional) still reads.
 */
import { z } from "zod";
import { InvalidResultsError } from "../../errors/usage-errors.js";
import { LANGUAGES, SCENARIO_IDS, type WarResults } from "./war-results.js";

export { InvalidResultsError };

const count = z.number().int().nonnegative();
const amount = z.number().nonnegative();
/** A figure of a summary: `null` (how JSON writes `NaN`) when the series was empty. */
const figure = z
  .number()
  .nullable()
  .transform((value) => value ?? Number.NaN);
const samples = z.array(amount);

const summary = z.looseObject({
  count,
  min: figure,
  p50: figure,
  p90: figure,
  p99: figure,
  max: figure,
  mean: figure,
});

const language = z.enum(LANGUAGES);
const scenario = z.enum(SCENARIO_IDS);

const contestant = z
  .looseObject({
    id: z.string().min(1),
    language,
    variant: z.enum(["hello", "realistic"]),
    build: z.string().optional(),
    runtime: z.string().min(1),
    handler: z.string(),
    packagePath: z.string(),
    packageBytes: count,
    packageFiles: count,
    toolchain: z.string(),
  })
  // JSON has no `undefined`: a contestant without a build leaves the key out.
  .transform((value) => ({ ...value, build: value.build }));

const coldPhases = z.looseObject({
  packageMs: amount,
  sandboxMs: amount,
  runtimeInitMs: amount,
  invokeMs: amount,
  totalMs: amount,
  initDurationMs: amount,
  maxMemoryUsedMB: amount,
});

const contestantId = z.string().min(1);

const schema = z
  .looseObject({
    version: z.literal(1),
    tool: z.literal("thaw bench"),
    generatedAt: z.iso.datetime({ offset: true }),
    mode: z.enum(["full", "quick", "function"]),
    durationSeconds: amount,
    machine: z.looseObject({
      node: z.string(),
      os: z.string(),
      arch: z.string(),
      cpuModel: z.string(),
      cores: count,
      totalMemoryMiB: amount,
      kernel: z.string(),
      cgroup: z.string(),
      backend: z.string(),
    }),
    settings: z.looseObject({
      runs: count,
      scenarios: z.array(scenario),
      memoryMB: amount,
    }),
    contestants: z.array(contestant),
    cold: z.array(
      z.looseObject({
        contestantId,
        samples: z.array(coldPhases),
        totalMs: summary,
        initDurationMs: summary,
      }),
    ),
    warm: z.array(
      z.looseObject({
        contestantId,
        firstInvokeMs: samples,
        warmInvokeUs: samples,
        firstInvoke: summary,
        warmInvoke: summary,
      }),
    ),
    burst: z.array(
      z.looseObject({
        contestantId,
        parallel: count,
        errors: count,
        wallMs: amount,
        latenciesMs: samples,
        latency: summary,
        cpuSeconds: amount,
        summedPeakMemoryMiB: amount,
      }),
    ),
    packageSize: z.array(
      z.looseObject({
        paddedMiB: amount,
        zipBytes: count,
        firstDeploy: summary,
        cached: summary,
        firstDeployMs: samples,
        cachedMs: samples,
      }),
    ),
    codeSize: z.array(
      z.looseObject({
        language: z.enum(["go", "rust"]),
        modules: count,
        binaryBytes: count,
        initDuration: summary,
        initDurationMs: samples,
      }),
    ),
    memory: z.array(
      z.looseObject({
        contestantId,
        memoryMB: amount,
        cpu: z.enum(["shares", "quota"]),
        initDuration: summary,
        initDurationMs: samples,
      }),
    ),
    snapStart: z.array(
      z.looseObject({
        contestantId,
        plainInit: summary,
        restore: summary,
        plainInitMs: samples,
        restoreMs: samples,
        imageBytes: count.exactOptional(),
        dumpMs: amount.exactOptional(),
      }),
    ),
    backends: z.array(
      z.looseObject({
        contestantId,
        backend: z.string().min(1),
        isolateNetwork: z.boolean(),
        totalMs: summary,
        samplesMs: samples,
      }),
    ),
    skipped: z.array(z.looseObject({ scenario, reason: z.string() })),
  })
  .superRefine((results, context) => {
    const ids = new Set<string>();
    results.contestants.forEach((entry, index) => {
      if (ids.has(entry.id))
        context.addIssue({
          code: "custom",
          path: ["contestants", index, "id"],
          message: `duplicate contestant id "${entry.id}"`,
        });
      ids.add(entry.id);
    });
    const series = {
      cold: results.cold,
      warm: results.warm,
      burst: results.burst,
      memory: results.memory,
      snapStart: results.snapStart,
      backends: results.backends,
    };
    for (const [key, rows] of Object.entries(series)) {
      rows.forEach((row: { contestantId: string }, index) => {
        if (!ids.has(row.contestantId))
          context.addIssue({
            code: "custom",
            path: [key, index, "contestantId"],
            message: `no contestant has the id "${row.contestantId}"`,
          });
      });
    }
  });

// The schema's output must be a WarResults: a field added to the layout and forgotten here fails
// to compile.
const asWarResults = (value: z.output<typeof schema>): WarResults => value;

/** `results.cold[0].samples[3]` from zod's path `["cold", 0, "samples", 3]`. */
function fieldOf(path: readonly PropertyKey[]): string {
  let text = "results";
  for (const key of path)
    text += typeof key === "number" ? `[${key}]` : `.${String(key)}`;
  return text;
}

/**
 * Checks that `json` (a parsed results file) is a {@link WarResults} of version 1 and returns it,
 * with `null` summary figures read as `NaN`.
 * @throws {InvalidResultsError} naming the first wrong field, e.g.
 *   `results.burst[0].wallMs: Invalid input: expected number, received string`.
 */
export function validateWarResults(json: unknown): WarResults {
  const parsed = schema.safeParse(json);
  if (parsed.success) return asWarResults(parsed.data);
  const issue = parsed.error.issues[0];
  const field = fieldOf(issue?.path ?? []);
  throw new InvalidResultsError(
    field,
    `${field}: ${issue?.message ?? "invalid"}`,
    { cause: parsed.error },
  );
}
