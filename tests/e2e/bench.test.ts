/**
 * `thaw bench` spawned as a user runs it: the quick cold scenario on two conformance fixtures (built
 * by the set-up, so the test builds nothing), two runs each,
 * into a results file that the results validator accepts; no progress bars on a pipe.
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { validateWarResults } from "../../src/bench/war/validate-results.js";
import { assertNoLeaks } from "../support/leaks.js";
import { runThaw } from "../support/run-thaw.js";

const dir = await mkdtemp(join(tmpdir(), "thaw-bench-e2e-"));
after(async () => {
  await rm(dir, { recursive: true, force: true });
  await assertNoLeaks();
});

test(
  "thaw bench cold --quick --runs 2 writes a valid results file and a table",
  { timeout: 60_000 },
  async () => {
    const out = join(dir, "results.json");
    const run = await runThaw([
      "bench",
      "cold",
      "--quick",
      "--fixtures",
      "--runs",
      "2",
      "--contestant",
      "rust-hello",
      "--contestant",
      "python-hello",
      "--out",
      out,
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.ok(
      !run.stdout.includes("\u001b[") && !run.stdout.includes("░"),
      "no progress bar when stdout is a pipe",
    );
    assert.match(run.stdout, /^\[1\/1\] cold…$/m);
    assert.match(run.stdout, /^rust-hello\s+\d+\.\d/m);
    assert.match(
      run.stdout,
      /thaw bench: results in .*results\.json; took \d+\.\d s/,
    );
    const results = validateWarResults(JSON.parse(await readFile(out, "utf8")));
    assert.equal(results.mode, "quick");
    assert.deepEqual(results.settings.scenarios, ["cold"]);
    assert.deepEqual(
      results.contestants.map((c) => c.id),
      ["rust-hello", "python-hello"],
    );
    assert.deepEqual(results.skipped, []);
    assert.deepEqual(
      results.cold.map((c) => c.contestantId),
      ["rust-hello", "python-hello"],
    );
    for (const series of results.cold) {
      assert.equal(series.samples.length, 2);
      for (const sample of series.samples) {
        assert.ok(
          sample.initDurationMs > 0 && sample.initDurationMs <= sample.totalMs,
        );
        assert.ok(sample.maxMemoryUsedMB > 0);
      }
    }
    assert.deepEqual(results.warm, []);
  },
);

test("thaw bench refuses an unknown scenario with the choices", async () => {
  const run = await runThaw([
    "bench",
    "lukewarm",
    "--out",
    join(dir, "never.json"),
  ]);
  assert.equal(run.code, 2);
  assert.match(run.stderr, /Unknown scenario 'lukewarm': choose from cold/);
});
