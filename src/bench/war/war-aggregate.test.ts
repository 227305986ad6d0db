import { test } from "node:test";
import assert from "node:assert/strict";
import {
  burstResult,
  coldSeries,
  emptySections,
  mergeScenarioOutput,
  snapStartSeries,
  warmSeries,
} from "./war-aggregate.js";
import type { ColdPhasesMs } from "./war-results.js";

function phases(totalMs: number, initDurationMs: number): ColdPhasesMs {
  return {
    packageMs: 0.1,
    sandboxMs: 1,
    runtimeInitMs: 2,
    invokeMs: 0.5,
    totalMs,
    initDurationMs,
    maxMemoryUsedMB: 4,
  };
}

test("a cold series keeps its samples and summarises total and Init Duration", () => {
  const samples = [phases(30, 20), phases(10, 5), phases(20, 8)];
  const series = coldSeries("rust-hello", samples);
  assert.equal(series.contestantId, "rust-hello");
  assert.equal(series.samples, samples);
  assert.equal(series.totalMs.count, 3);
  assert.equal(series.totalMs.p50, 20);
  assert.equal(series.totalMs.min, 10);
  assert.equal(series.initDurationMs.max, 20);
  assert.equal(series.initDurationMs.p50, 8);
});

test("a warm series summarises the first invokes and the warm ones apart", () => {
  const series = warmSeries("go-hello", [1.5], [200, 100, 300, 400]);
  assert.equal(series.firstInvoke.p50, 1.5);
  assert.equal(series.warmInvoke.count, 4);
  assert.equal(series.warmInvoke.p50, 300); // nearest rank: the upper median of an even count
  assert.equal(series.warmInvoke.mean, 250);
});

test("a SnapStart series keeps both sets of samples, summarises each, and records its snapshot", () => {
  const series = snapStartSeries("java-hello", [300, 250, 280], [90, 110], {
    imageBytes: 52_000_000,
    dumpMs: 410,
  });
  assert.deepEqual(series.plainInitMs, [300, 250, 280]);
  assert.deepEqual(series.restoreMs, [90, 110]);
  assert.equal(series.plainInit.count, 3);
  assert.equal(series.plainInit.p50, 280);
  assert.equal(series.restore.p50, 110); // nearest rank: the upper median of an even count
  assert.equal(series.restore.min, 90);
  assert.equal(series.imageBytes, 52_000_000);
  assert.equal(series.dumpMs, 410);
  const sections = mergeScenarioOutput(emptySections(), {
    snapStart: [series],
    skipped: [],
  });
  assert.deepEqual(sections.snapStart, [series]);
});

test("a burst counts errors, sums peak memory and takes the latest answer as its wall time", () => {
  const burst = burstResult(
    "python-hello",
    [
      { ok: true, latencyMs: 40, maxMemoryUsedMB: 7 },
      { ok: false, error: "python-hello: Runtime.ExitError" },
      { ok: true, latencyMs: 90, maxMemoryUsedMB: 8 },
      { ok: true, latencyMs: 60, maxMemoryUsedMB: 7 },
    ],
    0.42,
  );
  assert.equal(burst.parallel, 4);
  assert.equal(burst.errors, 1);
  assert.deepEqual(burst.firstErrors, ["python-hello: Runtime.ExitError"]);
  assert.equal(burst.wallMs, 90);
  assert.deepEqual(burst.latenciesMs, [40, 90, 60]);
  assert.equal(burst.latency.p50, 60);
  assert.equal(burst.summedPeakMemoryMiB, 22);
  assert.equal(burst.cpuSeconds, 0.42);
  assert.equal("firstErrors" in burstResult("x", [], 0), false);
});

test("scenario outputs merge into the file's sections in order", () => {
  const sections = emptySections();
  mergeScenarioOutput(sections, {
    cold: [coldSeries("a", [phases(1, 1)])],
    skipped: [{ scenario: "cold", reason: "b did not run" }],
  });
  mergeScenarioOutput(sections, {
    cold: [coldSeries("c", [phases(2, 2)])],
    memory: [],
    skipped: [],
  });
  assert.deepEqual(
    sections.cold.map((c) => c.contestantId),
    ["a", "c"],
  );
  assert.equal(sections.skipped.length, 1);
  assert.deepEqual(sections.warm, []);
});
