/** Nearest-rank quantiles, as the benchmark tables read them. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { summarize } from "./serve-stats.js";

void test("nearest-rank quantiles of 1..100", () => {
  const samples = Array.from({ length: 100 }, (_, i) => 100 - i);
  const summary = summarize(samples);
  assert.deepEqual(summary, {
    count: 100,
    min: 1,
    p50: 51,
    p90: 91,
    p99: 100,
    max: 100,
    mean: 50.5,
  });
  assert.equal(samples[0], 100, "the input is not sorted in place");
});

void test("sorts numerically, not as strings", () => {
  const summary = summarize([10, 9, 100, 2]);
  assert.equal(summary.min, 2);
  assert.equal(summary.p50, 10);
  assert.equal(summary.max, 100);
});

void test("one sample is every quantile; no samples are NaN", () => {
  assert.equal(summarize([7]).p99, 7);
  assert.equal(summarize([7]).p50, 7);
  const empty = summarize([]);
  assert.equal(empty.count, 0);
  for (const value of [empty.min, empty.p50, empty.p99, empty.max, empty.mean])
    assert.ok(Number.isNaN(value));
});
