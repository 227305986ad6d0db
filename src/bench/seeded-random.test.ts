/** The seeded generator: the same seed gives the same draws; ranges and picks stay in bounds. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { SeededRandom } from "./seeded-random.js";

void test("the same seed gives the same sequence; another seed another one", () => {
  const draws = (seed: string): number[] => {
    const random = new SeededRandom(seed);
    return Array.from({ length: 5 }, () => random.next());
  };
  assert.deepEqual(draws("a"), draws("a"));
  assert.notDeepEqual(draws("a"), draws("b"));
  for (const value of draws("a")) assert.ok(value >= 0 && value < 1);
});

void test("integer() covers [min, max] with both ends, and nothing outside", () => {
  const random = new SeededRandom("range");
  const seen = new Set<number>();
  for (let i = 0; i < 2_000; i += 1) seen.add(random.integer(1, 6));
  assert.deepEqual(
    [...seen].sort((a, b) => a - b),
    [1, 2, 3, 4, 5, 6],
  );
  assert.equal(random.integer(7, 7), 7);
  assert.throws(() => random.integer(2, 1), RangeError);
  assert.throws(() => random.integer(0.5, 1), RangeError);
});

void test("hex() gives exactly the digits asked for, across draws", () => {
  const random = new SeededRandom("hex");
  assert.equal(random.hex(0), "");
  const long = random.hex(150);
  assert.equal(long.length, 150);
  assert.match(long, /^[0-9a-f]+$/);
  assert.throws(() => random.hex(-1), RangeError);
});

void test("pick() returns an item, and refuses an empty list", () => {
  const random = new SeededRandom("pick");
  const items = ["x", "y", "z"] as const;
  for (let i = 0; i < 50; i += 1) assert.ok(items.includes(random.pick(items)));
  assert.throws(() => random.pick([]), RangeError);
});
