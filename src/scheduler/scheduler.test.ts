/** Admission control: account, reserved and unreserved limits, their Reasons, the scaling rate. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ServiceException } from "../errors/service-exceptions.js";
import { ManualClock } from "../util/clock.js";
import { Scheduler, type Admission } from "./scheduler.js";

/** Asserts that `fn` throws a 429 TooManyRequestsException with `reason`. */
function assertThrottled(fn: () => unknown, reason: string): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof ServiceException);
    assert.equal(error.name, "TooManyRequestsException");
    assert.equal(error.statusCode, 429);
    assert.equal(error.fault, "client");
    assert.deepEqual(error.fields, { Reason: reason });
    assert.equal(error.message, "Rate Exceeded.");
    return true;
  });
}

function admitMany(
  scheduler: Scheduler,
  fn: string,
  reserved: number | undefined,
  n: number,
): Admission[] {
  return Array.from({ length: n }, () => scheduler.admit(fn, reserved));
}

void describe("Scheduler", () => {
  void test("admits up to the account limit, then ConcurrentInvocationLimitExceeded", () => {
    const scheduler = new Scheduler({ accountLimit: 3 });
    const admissions = [
      scheduler.admit("a", undefined),
      scheduler.admit("b", undefined),
      scheduler.admit("a", undefined),
    ];
    assert.equal(scheduler.inFlight(), 3);
    assert.equal(scheduler.inFlight("a"), 2);
    assertThrottled(
      () => scheduler.admit("c", undefined),
      "ConcurrentInvocationLimitExceeded",
    );
    admissions[0]?.release();
    scheduler.admit("c", undefined).release();
    assert.equal(scheduler.inFlight(), 2);
  });

  void test("release() is idempotent", () => {
    const scheduler = new Scheduler({ accountLimit: 2 });
    const admission = scheduler.admit("a", undefined);
    admission.release();
    admission.release();
    assert.equal(scheduler.inFlight(), 0);
    assert.equal(scheduler.inFlight("a"), 0);
    admitMany(scheduler, "a", undefined, 2);
    assertThrottled(
      () => scheduler.admit("a", undefined),
      "ConcurrentInvocationLimitExceeded",
    );
  });

  void test("a function with reserved concurrency R runs at most R at once", () => {
    const scheduler = new Scheduler({ accountLimit: 10 });
    const held = admitMany(scheduler, "r", 2, 2);
    assertThrottled(
      () => scheduler.admit("r", 2),
      "ReservedFunctionConcurrentInvocationLimitExceeded",
    );
    held[1]?.release();
    scheduler.admit("r", 2);
  });

  void test("reserved concurrency 0 blocks every Invocation", () => {
    const scheduler = new Scheduler();
    assertThrottled(
      () => scheduler.admit("off", 0),
      "ReservedFunctionConcurrentInvocationLimitExceeded",
    );
    assert.equal(scheduler.inFlight(), 0);
  });

  void test("unreserved functions share accountLimit - sum(reserved)", () => {
    const scheduler = new Scheduler({ accountLimit: 10 });
    scheduler.setReserved("big", 7);
    assert.deepEqual(scheduler.status(), {
      accountLimit: 10,
      reservedTotal: 7,
      unreservedLimit: 3,
      inFlight: 0,
      unreservedInFlight: 0,
    });
    admitMany(scheduler, "x", undefined, 2);
    scheduler.admit("y", undefined);
    assertThrottled(
      () => scheduler.admit("z", undefined),
      "ConcurrentInvocationLimitExceeded",
    );
    // The reserved function still has all of its 7, untouched by the others.
    admitMany(scheduler, "big", 7, 7);
    assertThrottled(
      () => scheduler.admit("big", 7),
      "ReservedFunctionConcurrentInvocationLimitExceeded",
    );
    assert.deepEqual(scheduler.status(), {
      accountLimit: 10,
      reservedTotal: 7,
      unreservedLimit: 3,
      inFlight: 10,
      unreservedInFlight: 3,
    });
  });

  void test("admit() updates the reserved concurrency it is given; setReserved(undefined) frees it", () => {
    const scheduler = new Scheduler({ accountLimit: 5 });
    scheduler.admit("f", 4).release();
    assert.equal(scheduler.status().unreservedLimit, 1);
    scheduler.admit("g", undefined);
    assertThrottled(
      () => scheduler.admit("h", undefined),
      "ConcurrentInvocationLimitExceeded",
    );
    scheduler.setReserved("f", undefined);
    assert.equal(scheduler.status().reservedTotal, 0);
    scheduler.admit("h", undefined);
  });

  void test("an admission keeps counting where it was admitted when the reservation changes", () => {
    const scheduler = new Scheduler({ accountLimit: 5 });
    const unreserved = scheduler.admit("f", undefined);
    scheduler.setReserved("f", 2);
    assert.equal(scheduler.status().unreservedInFlight, 1);
    unreserved.release();
    assert.deepEqual(scheduler.status(), {
      accountLimit: 5,
      reservedTotal: 2,
      unreservedLimit: 3,
      inFlight: 0,
      unreservedInFlight: 0,
    });
  });

  void test("rejects a reserved concurrency or option that is not a whole number", () => {
    const scheduler = new Scheduler();
    for (const bad of [-1, 1.5, Number.NaN]) {
      assert.throws(() => scheduler.admit("f", bad), {
        name: "InvalidParameterValueException",
      });
      assert.throws(
        () => {
          scheduler.setReserved("f", bad);
        },
        { name: "InvalidParameterValueException" },
      );
    }
    assert.equal(scheduler.status().reservedTotal, 0);
    assert.throws(() => new Scheduler({ accountLimit: 0 }), {
      name: "InvalidParameterValueException",
    });
    assert.throws(
      () => new Scheduler({ scalingRate: { environments: 10, perMs: 0 } }),
      { name: "InvalidParameterValueException" },
    );
  });

  void describe("scaling rate", () => {
    void test("1,000 cold starts per 10 s per function, refilled continuously, not banked", async () => {
      const clock = new ManualClock();
      const scheduler = new Scheduler({ clock });
      await clock.advance(60_000); // idle time does not bank more than 1,000
      for (let i = 0; i < 1000; i++) scheduler.scaleUp("f");
      assertThrottled(() => {
        scheduler.scaleUp("f");
      }, "FunctionInvocationRateLimitExceeded");
      // Another function has its own rate.
      scheduler.scaleUp("g");
      // 10 ms refill one environment (1,000 per 10,000 ms).
      await clock.advance(9);
      assertThrottled(() => {
        scheduler.scaleUp("f");
      }, "FunctionInvocationRateLimitExceeded");
      await clock.advance(1);
      scheduler.scaleUp("f");
      await clock.advance(10_000);
      for (let i = 0; i < 1000; i++) scheduler.scaleUp("f");
      assertThrottled(() => {
        scheduler.scaleUp("f");
      }, "FunctionInvocationRateLimitExceeded");
    });

    void test("a function with reserved concurrency gets ReservedFunctionInvocationRateLimitExceeded", () => {
      const clock = new ManualClock();
      const scheduler = new Scheduler({
        clock,
        scalingRate: { environments: 2, perMs: 1000 },
      });
      scheduler.setReserved("r", 10);
      scheduler.scaleUp("r");
      scheduler.scaleUp("r");
      assertThrottled(() => {
        scheduler.scaleUp("r");
      }, "ReservedFunctionInvocationRateLimitExceeded");
    });

    void test('"off" never throttles cold starts', () => {
      const scheduler = new Scheduler({ scalingRate: "off" });
      for (let i = 0; i < 5000; i++) scheduler.scaleUp("f");
    });
  });

  void describe("close and destroy", () => {
    void test("close() refuses new admissions and resolves once all are released", async () => {
      const scheduler = new Scheduler();
      const a = scheduler.admit("f", undefined);
      const b = scheduler.admit("g", 3);
      const closing = scheduler.close();
      assert.equal(scheduler.close(), closing, "idempotent");
      assert.equal(scheduler.state, "closing");
      assert.throws(() => scheduler.admit("f", undefined), {
        name: "IllegalStateError",
      });
      a.release();
      assert.equal(scheduler.state, "closing");
      b.release();
      await closing;
      assert.equal(scheduler.state, "closed");
    });

    void test("close() of an idle scheduler resolves at once; destroy() does not wait", async () => {
      const idle = new Scheduler();
      await idle.close();
      assert.equal(idle.state, "closed");
      const busy = new Scheduler();
      const held = busy.admit("f", undefined);
      const closing = busy.close();
      await busy.destroy();
      await closing;
      assert.equal(busy.state, "closed");
      held.release();
      assert.equal(busy.inFlight(), 0);
    });
  });

  void test("admit/release throughput (diagnostic only)", (t) => {
    const scheduler = new Scheduler();
    const rounds = 500_000;
    const started = performance.now();
    for (let i = 0; i < rounds; i++) scheduler.admit("f", undefined).release();
    const elapsed = performance.now() - started;
    t.diagnostic(
      `${String(Math.round((rounds / elapsed) * 1000))} admit+release per second`,
    );
    assert.equal(scheduler.inFlight(), 0);
  });
});
