/** The manual clock runs timers in order, each at its due time; the system clock's timers cancel. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ManualClock, systemClock } from "./clock.js";

void describe("ManualClock", () => {
  void test("time stands still until advanced; timers run in due order at their due time", async () => {
    const clock = new ManualClock(100);
    const seen: string[] = [];
    clock.setTimeout(() => seen.push(`b@${String(clock.now())}`), 20);
    clock.setTimeout(() => seen.push(`a@${String(clock.now())}`), 10);
    clock.setTimeout(() => seen.push(`c@${String(clock.now())}`), 10);
    assert.equal(clock.now(), 100);
    assert.equal(clock.pendingTimers, 3);
    assert.equal(clock.nextTimerAt(), 110);
    await clock.advance(15);
    assert.deepEqual(seen, ["a@110", "c@110"]);
    assert.equal(clock.now(), 115);
    await clock.advance(100);
    assert.deepEqual(seen, ["a@110", "c@110", "b@120"]);
    assert.equal(clock.now(), 215);
    assert.equal(clock.pendingTimers, 0);
  });

  void test("a cancelled timer does not run; cancel is idempotent", async () => {
    const clock = new ManualClock();
    let ran = false;
    const timer = clock.setTimeout(() => {
      ran = true;
    }, 5);
    timer.cancel();
    timer.cancel();
    await clock.advance(10);
    assert.equal(ran, false);
    assert.equal(clock.pendingTimers, 0);
  });

  void test("timers scheduled by promise work started in a timer run when due within the same advance", async () => {
    const clock = new ManualClock();
    const seen: number[] = [];
    clock.setTimeout(() => {
      void Promise.resolve().then(() => {
        clock.setTimeout(() => seen.push(clock.now()), 5);
      });
    }, 5);
    await clock.advance(10);
    assert.deepEqual(seen, [10]);
  });

  void test("runNext() jumps to the next timer; false when there is none", async () => {
    const clock = new ManualClock();
    let ran = 0;
    clock.setTimeout(() => ran++, 1000);
    assert.equal(await clock.runNext(), true);
    assert.equal(clock.now(), 1000);
    assert.equal(ran, 1);
    assert.equal(await clock.runNext(), false);
  });

  void test("advance() refuses a negative or infinite step", async () => {
    const clock = new ManualClock();
    await assert.rejects(clock.advance(-1), RangeError);
    await assert.rejects(clock.advance(Infinity), RangeError);
  });
});

void test("systemClock: monotonic now(), and a cancelled timer never runs", async () => {
  const a = systemClock.now();
  const b = systemClock.now();
  assert.ok(b >= a);
  let ran = false;
  systemClock
    .setTimeout(() => {
      ran = true;
    }, 0)
    .cancel();
  // The clock's timers are unref()ed: a ref'd timer keeps the process alive while we wait.
  const keepAlive = setTimeout(() => undefined, 10_000);
  const fired = await new Promise<boolean>((resolve) => {
    systemClock.setTimeout(() => {
      resolve(true);
    }, 1);
  });
  clearTimeout(keepAlive);
  assert.equal(fired, true);
  assert.equal(ran, false);
});
