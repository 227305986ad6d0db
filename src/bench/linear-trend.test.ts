/** The least-squares slope that tells a growing series from a flat one. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { leastSquaresSlope } from "./linear-trend.js";

void test("a straight line gives its slope; noise around a flat line gives about 0", () => {
  const line = [0, 1, 2, 3].map((x) => ({ x, y: 10 + 2.5 * x }));
  assert.equal(leastSquaresSlope(line), 2.5);
  const flat = [10, 12, 10, 12, 10, 12].map((y, x) => ({ x, y }));
  assert.ok(Math.abs(leastSquaresSlope(flat)) < 0.3);
});

void test("one late peak does not decide the trend", () => {
  const points = [100, 100, 100, 100, 100, 160].map((y, x) => ({ x, y }));
  // A peak at the end pulls the line up less than (last − first) ÷ span would.
  assert.ok(leastSquaresSlope(points) < 60 / 5);
});

void test("fewer than two distinct x values give NaN", () => {
  assert.ok(Number.isNaN(leastSquaresSlope([])));
  assert.ok(Number.isNaN(leastSquaresSlope([{ x: 1, y: 2 }])));
  assert.ok(
    Number.isNaN(
      leastSquaresSlope([
        { x: 1, y: 2 },
        { x: 1, y: 3 },
      ]),
    ),
  );
});
