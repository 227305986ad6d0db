/** The bounded fan-out of the cold-start scenarios: order kept, bound honoured, no task left behind. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { setImmediate as tick } from "node:timers/promises";
import { mapConcurrent } from "./serve-map-concurrent.js";

void test("keeps item order and never runs more than the limit at once", async () => {
  let running = 0;
  let peak = 0;
  const items = Array.from({ length: 25 }, (_, i) => i);
  const results = await mapConcurrent(items, 4, async (item, index) => {
    running += 1;
    peak = Math.max(peak, running);
    // Later items finish first, so completion order differs from item order.
    for (let i = 0; i < 25 - item; i += 1) await tick();
    running -= 1;
    return item * 10 + index;
  });
  assert.deepEqual(
    results,
    items.map((i) => i * 11),
  );
  assert.equal(peak, 4);
});

void test("a rejection rejects the run once the started tasks have settled", async () => {
  const settled: number[] = [];
  const started: number[] = [];
  await assert.rejects(
    mapConcurrent([0, 1, 2, 3, 4, 5], 3, async (item) => {
      started.push(item);
      await tick();
      if (item === 1) throw new Error("task 1 failed");
      await tick();
      settled.push(item);
    }),
    { message: "task 1 failed" },
  );
  assert.deepEqual(started, [0, 1, 2], "no new task starts after a failure");
  assert.deepEqual(
    settled.sort((a, b) => a - b),
    [0, 2],
    "the others ran to their end",
  );
});

void test("an empty list resolves at once; a bad limit is a RangeError", async () => {
  assert.deepEqual(await mapConcurrent([], 3, () => Promise.resolve(1)), []);
  await assert.rejects(
    mapConcurrent([1], 0, () => Promise.resolve(1)),
    RangeError,
  );
});
