/**
 * `thaw bench --function` as a user runs it on their own function: the Python fixture's folder,
 * profiled with the cold and package-size scenarios, two runs; the war-only scenario is skipped
 * with its reason, and the results file says whose function it was.
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { validateWarResults } from "../../src/bench/war/validate-results.js";
import { THAW_ROOT } from "../../src/config/paths.js";
import { assertNoLeaks } from "../support/leaks.js";
import { runThaw } from "../support/run-thaw.js";

const dir = await mkdtemp(join(tmpdir(), "thaw-bench-function-"));
after(async () => {
  await rm(dir, { recursive: true, force: true });
  await assertNoLeaks();
});

test(
  "thaw bench --function profiles the user's function and skips the war-only scenarios",
  { timeout: 120_000 },
  async () => {
    const out = join(dir, "mine.json");
    const run = await runThaw([
      "bench",
      "cold",
      "package-size",
      "--function",
      join(THAW_ROOT, "tests", "fixtures", "functions", "python"),
      "--runtime",
      "python3.12",
      "--handler",
      "app.handler",
      "--runs",
      "2",
      "--out",
      out,
    ]);
    assert.equal(run.code, 0, run.stderr);
    const results = validateWarResults(JSON.parse(await readFile(out, "utf8")));
    assert.equal(results.mode, "function");
    assert.equal(results.contestants.length, 1);
    const [mine] = results.contestants;
    assert.equal(mine?.runtime, "python3.12");
    assert.equal(mine.handler, "app.handler");
    assert.deepEqual(
      results.cold.map((series) => series.contestantId),
      [mine.id],
    );
    assert.equal(results.cold[0]?.samples.length, 2);
    assert.deepEqual(
      results.skipped.map((skip) => skip.scenario),
      ["package-size"],
    );
    assert.match(results.skipped[0]?.reason ?? "", /Not for --function/);
  },
);
