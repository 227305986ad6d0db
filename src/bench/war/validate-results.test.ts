import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { syntheticWarResults } from "../../../tests/support/synthetic-war-results.js";
import { InvalidResultsError, validateWarResults } from "./validate-results.js";

/** The synthetic results as they travel: through JSON text. */
const asJson = (value: unknown): unknown =>
  JSON.parse(JSON.stringify(value)) as unknown;

const valid = () =>
  asJson(syntheticWarResults({ runs: 3 })) as Record<string, unknown>;

/** Sets `value` at `path` in a deep copy of a valid file. */
function broken(path: readonly (string | number)[], value: unknown): unknown {
  const json = valid();
  let node: Record<string | number, unknown> = json;
  for (const key of path.slice(0, -1))
    node = node[key] as Record<string | number, unknown>;
  const last = path.at(-1);
  if (last === undefined) throw new Error("empty path");
  if (value === undefined) Reflect.deleteProperty(node, last);
  else node[last] = value;
  return json;
}

function rejects(json: unknown, field: string, message?: RegExp): void {
  assert.throws(
    () => validateWarResults(json),
    (error: unknown) => {
      assert.ok(error instanceof InvalidResultsError);
      assert.equal(error.name, "InvalidResultsError");
      assert.equal(error.blame, "client");
      assert.equal(error.field, field);
      assert.ok(error.message.startsWith(`${field}: `), error.message);
      if (message) assert.match(error.message, message);
      return true;
    },
  );
}

describe("validateWarResults", () => {
  test("accepts a valid file and keeps its figures", () => {
    const results = validateWarResults(valid());
    const original = syntheticWarResults({ runs: 3 });
    assert.equal(results.version, 1);
    assert.deepEqual(results.cold, original.cold);
    assert.equal(results.contestants[0]?.build, undefined);
    assert.equal(
      results.contestants.find((c) => c.language === "java")?.build,
      "appcds",
    );
  });

  test("reads SnapStart rows with and without their snapshot's size and dump time", () => {
    const results = validateWarResults(valid());
    const original = syntheticWarResults({ runs: 3 });
    assert.deepEqual(results.snapStart, original.snapStart);
    assert.ok((results.snapStart[0]?.imageBytes ?? 0) > 0);
    const older = validateWarResults(
      broken(["snapStart", 0, "imageBytes"], undefined),
    );
    assert.equal("imageBytes" in (older.snapStart[0] ?? {}), false);
  });

  test("reads the null of an empty series' quantiles as NaN", () => {
    const results = validateWarResults(
      broken(["cold", 0, "totalMs", "p50"], null),
    );
    assert.ok(Number.isNaN(results.cold[0]?.totalMs.p50));
  });

  test("keeps fields it does not know (added later as optional)", () => {
    const results = validateWarResults(broken(["extraField"], { a: 1 }));
    assert.deepEqual(
      (results as unknown as { extraField: unknown }).extraField,
      { a: 1 },
    );
  });

  const cases: readonly {
    name: string;
    path: (string | number)[];
    value: unknown;
    field: string;
    message?: RegExp;
  }[] = [
    {
      name: "another version",
      path: ["version"],
      value: 2,
      field: "results.version",
    },
    {
      name: "a missing machine",
      path: ["machine"],
      value: undefined,
      field: "results.machine",
    },
    {
      name: "a number as text",
      path: ["burst", 1, "wallMs"],
      value: "fast",
      field: "results.burst[1].wallMs",
      message: /expected number/,
    },
    {
      name: "a negative duration",
      path: ["cold", 2, "samples", 1, "totalMs"],
      value: -1,
      field: "results.cold[2].samples[1].totalMs",
    },
    {
      name: "an unknown language",
      path: ["contestants", 3, "language"],
      value: "cobol",
      field: "results.contestants[3].language",
    },
    {
      name: "an unknown scenario in skipped",
      path: ["skipped"],
      value: [{ scenario: "teleport", reason: "x" }],
      field: "results.skipped[0].scenario",
    },
    {
      name: "a date that is not ISO 8601",
      path: ["generatedAt"],
      value: "yesterday",
      field: "results.generatedAt",
    },
    {
      name: "a sample that is not a number",
      path: ["packageSize", 0, "cachedMs", 2],
      value: null,
      field: "results.packageSize[0].cachedMs[2]",
    },
    {
      name: "a snapshot image of a fractional size",
      path: ["snapStart", 1, "imageBytes"],
      value: 1.5,
      field: "results.snapStart[1].imageBytes",
    },
    {
      name: "a contestantId no contestant has",
      path: ["memory", 4, "contestantId"],
      value: "fortran-hello",
      field: "results.memory[4].contestantId",
      message: /no contestant has the id "fortran-hello"/,
    },
  ];
  for (const c of cases)
    test(`rejects ${c.name}, naming ${c.field}`, () => {
      rejects(broken(c.path, c.value), c.field, c.message);
    });

  test("rejects a duplicate contestant id", () => {
    const json = valid();
    const contestants = json.contestants as { id: string }[];
    const first = contestants[0];
    if (first && contestants[1]) contestants[1].id = first.id;
    rejects(json, "results.contestants[1].id", /duplicate/);
  });

  test("rejects what is not an object at all", () => {
    rejects([], "results");
    rejects(null, "results");
  });
});
