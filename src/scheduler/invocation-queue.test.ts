/**
 * The Event queue's retry policy, driven by a manual clock: function errors (1 and 2 minutes,
 * MaximumRetryAttempts), throttles and platform errors (exponential backoff), the event age, close
 * and destroy. Nothing sleeps.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ManualClock } from "../util/clock.js";
import {
  InvocationQueue,
  type DiscardDetails,
  type InvocationQueueOptions,
  type RunOutcome,
} from "./invocation-queue.js";

const MINUTE = 60_000;

/** A queue whose `run` answers from a script per event and records when each attempt began. */
class Harness {
  readonly clock = new ManualClock();
  /** Attempt start times (ms since the start), per event. */
  readonly attempts = new Map<string, number[]>();
  readonly discarded: { event: string; details: DiscardDetails }[] = [];
  readonly succeeded: { event: string; attempts: number }[] = [];
  readonly queue: InvocationQueue<string>;
  /** Outcomes per event, used in order; the last one repeats. */
  readonly scripts = new Map<string, (RunOutcome | "reject")[]>();
  /** When set, run() waits for this before answering. */
  gate: Promise<void> | undefined;
  lastSignal: AbortSignal | undefined;

  constructor(options: Partial<InvocationQueueOptions<string>> = {}) {
    this.queue = new InvocationQueue<string>({
      clock: this.clock,
      run: async (event, signal) => {
        this.lastSignal = signal;
        const times = this.attempts.get(event) ?? [];
        times.push(this.clock.now());
        this.attempts.set(event, times);
        await this.gate;
        const script = this.scripts.get(event) ?? ["success"];
        const outcome = script.length > 1 ? script.shift() : script[0];
        if (outcome === "reject") throw new Error("run failed");
        return outcome ?? "success";
      },
      onDiscard: (event, details) => {
        this.discarded.push({ event, details });
      },
      onSuccess: (event, attempts) => {
        this.succeeded.push({ event, attempts });
      },
      ...options,
    });
  }

  enqueue(
    event: string,
    script: (RunOutcome | "reject")[],
    config?: Parameters<InvocationQueue<string>["enqueue"]>[1],
  ): void {
    this.scripts.set(event, script);
    this.queue.enqueue(event, config);
  }
}

void describe("InvocationQueue", () => {
  void test("enqueue() returns before the event runs; a success ends it", async () => {
    const h = new Harness();
    h.enqueue("e", ["success"]);
    assert.equal(h.attempts.size, 0, "not run synchronously");
    assert.deepEqual(h.queue.counts(), {
      running: 1,
      waiting: 0,
      succeeded: 0,
      discarded: 0,
    });
    await h.clock.advance(0);
    assert.deepEqual(h.attempts.get("e"), [0]);
    assert.deepEqual(h.succeeded, [{ event: "e", attempts: 1 }]);
    assert.deepEqual(h.queue.counts(), {
      running: 0,
      waiting: 0,
      succeeded: 1,
      discarded: 0,
    });
    assert.equal(h.clock.pendingTimers, 0);
  });

  void test("a function error is retried twice, 1 then 2 minutes later, then RetriesExhausted", async () => {
    const h = new Harness();
    h.enqueue("e", ["function-error"]);
    await h.clock.advance(10 * MINUTE);
    assert.deepEqual(h.attempts.get("e"), [0, MINUTE, 3 * MINUTE]);
    assert.deepEqual(h.discarded, [
      {
        event: "e",
        details: {
          reason: "RetriesExhausted",
          attempts: 3,
          lastOutcome: "function-error",
          ageMs: 3 * MINUTE,
        },
      },
    ]);
    assert.equal(h.clock.pendingTimers, 0);
  });

  void test("MaximumRetryAttempts 0 and 1", async () => {
    const h = new Harness();
    h.enqueue("none", ["function-error"], { maximumRetryAttempts: 0 });
    h.enqueue("one", ["function-error"], { maximumRetryAttempts: 1 });
    await h.clock.advance(10 * MINUTE);
    assert.deepEqual(h.attempts.get("none"), [0]);
    assert.deepEqual(h.attempts.get("one"), [0, MINUTE]);
    assert.deepEqual(
      h.discarded.map((d) => [d.event, d.details.reason, d.details.attempts]),
      [
        ["none", "RetriesExhausted", 1],
        ["one", "RetriesExhausted", 2],
      ],
    );
  });

  void test("the queue's defaults apply to events without settings", async () => {
    const h = new Harness({ defaults: { maximumRetryAttempts: 0 } });
    h.enqueue("e", ["function-error"]);
    await h.clock.advance(10 * MINUTE);
    assert.deepEqual(h.attempts.get("e"), [0]);
  });

  void test("a retry that succeeds ends the event", async () => {
    const h = new Harness();
    h.enqueue("e", ["function-error", "success"]);
    await h.clock.advance(10 * MINUTE);
    assert.deepEqual(h.attempts.get("e"), [0, MINUTE]);
    assert.deepEqual(h.succeeded, [{ event: "e", attempts: 2 }]);
    assert.deepEqual(h.discarded, []);
  });

  void test("throttles back off 1, 2, 4… s without spending retry attempts", async () => {
    const h = new Harness();
    h.enqueue("e", [
      "throttled",
      "throttled",
      "platform-error",
      "reject",
      "success",
    ]);
    await h.clock.advance(MINUTE);
    assert.deepEqual(h.attempts.get("e"), [0, 1000, 3000, 7000, 15_000]);
    assert.deepEqual(h.succeeded, [{ event: "e", attempts: 5 }]);
  });

  void test("the backoff is capped at 5 minutes", async () => {
    const h = new Harness();
    h.enqueue("e", ["throttled"]);
    await h.clock.advance(40 * MINUTE);
    const times = h.attempts.get("e") ?? [];
    const gaps = times.slice(1).map((t, i) => t - (times[i] ?? 0));
    assert.deepEqual(
      gaps.slice(0, 11),
      [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300].map((s) => s * 1000),
    );
    assert.ok(gaps.every((gap) => gap <= 5 * MINUTE));
  });

  void test("after a function error the backoff starts again; after a throttle the retries are intact", async () => {
    const h = new Harness();
    h.enqueue("e", [
      "throttled",
      "throttled",
      "function-error",
      "throttled",
      "function-error",
      "function-error",
    ]);
    await h.clock.advance(20 * MINUTE);
    assert.deepEqual(h.attempts.get("e"), [
      0,
      1000,
      3000, // function error: one minute
      3000 + MINUTE, // throttled: 1 s
      4000 + MINUTE, // function error: two minutes
      4000 + 3 * MINUTE, // function error: retries spent
    ]);
    assert.equal(h.discarded[0]?.details.reason, "RetriesExhausted");
  });

  void test("an event whose next attempt would come after MaximumEventAgeInSeconds is discarded", async () => {
    const h = new Harness();
    h.enqueue("e", ["throttled"], { maximumEventAgeMs: MINUTE });
    h.enqueue("f", ["function-error"], { maximumEventAgeMs: 90_000 });
    await h.clock.advance(10 * MINUTE);
    // 0, 1, 3, 7, 15, 31 s; the next would be at 63 s.
    assert.deepEqual(
      h.attempts.get("e"),
      [0, 1, 3, 7, 15, 31].map((s) => s * 1000),
    );
    // The second retry would be at 3 minutes.
    assert.deepEqual(h.attempts.get("f"), [0, MINUTE]);
    assert.deepEqual(
      h.discarded.map((d) => [d.event, d.details.reason, d.details.ageMs]),
      [
        ["e", "EventAgeExceeded", 31_000],
        ["f", "EventAgeExceeded", MINUTE],
      ],
    );
  });

  void test("by default a throttled event is kept for 6 hours", async () => {
    const h = new Harness();
    h.enqueue("e", ["throttled"]);
    await h.clock.advance(5 * 60 * MINUTE);
    assert.equal(h.discarded.length, 0);
    await h.clock.advance(2 * 60 * MINUTE);
    const discard = h.discarded[0]?.details;
    assert.equal(discard?.reason, "EventAgeExceeded");
    assert.ok(
      (discard?.ageMs ?? 0) <= 6 * 60 * MINUTE &&
        (discard?.ageMs ?? 0) > 6 * 60 * MINUTE - 5 * MINUTE,
    );
  });

  void test("close() discards waiting retries, lets running attempts end, and refuses new events", async () => {
    const h = new Harness();
    h.enqueue("waiting", ["function-error"]);
    await h.clock.advance(0);
    let open!: () => void;
    h.gate = new Promise((resolve) => {
      open = resolve;
    });
    h.enqueue("running", ["function-error"]);
    await h.clock.advance(0);
    const closing = h.queue.close();
    assert.equal(h.queue.close(), closing, "idempotent");
    assert.equal(h.queue.state, "closing");
    assert.throws(
      () => {
        h.queue.enqueue("late");
      },
      { name: "IllegalStateError" },
    );
    assert.deepEqual(
      h.discarded.map((d) => [d.event, d.details.reason]),
      [["waiting", "QueueClosed"]],
    );
    open();
    await closing;
    assert.equal(h.queue.state, "closed");
    assert.deepEqual(
      h.discarded.map((d) => [d.event, d.details.reason]),
      [
        ["waiting", "QueueClosed"],
        ["running", "QueueClosed"],
      ],
    );
    assert.equal(h.clock.pendingTimers, 0);
    assert.equal(h.lastSignal?.aborted, false);
  });

  void test("destroy() aborts running attempts; their failures are QueueDestroyed, a success still counts", async () => {
    const h = new Harness();
    let open!: () => void;
    h.gate = new Promise((resolve) => {
      open = resolve;
    });
    h.enqueue("fails", ["platform-error"]);
    h.enqueue("succeeds", ["success"]);
    await h.clock.advance(0);
    const destroying = h.queue.destroy();
    assert.equal(h.lastSignal?.aborted, true);
    assert.equal(h.queue.destroy(), destroying, "idempotent");
    open();
    await destroying;
    assert.equal(h.queue.close(), destroying);
    assert.deepEqual(
      h.discarded.map((d) => [d.event, d.details.reason]),
      [["fails", "QueueDestroyed"]],
    );
    assert.deepEqual(h.succeeded, [{ event: "succeeds", attempts: 1 }]);
  });

  void test("close() of an idle queue resolves at once", async () => {
    const h = new Harness();
    await h.queue.close();
    assert.equal(h.queue.state, "closed");
  });

  void test("refuses retry settings out of Lambda's ranges", () => {
    const h = new Harness();
    for (const config of [
      { maximumRetryAttempts: 3 },
      { maximumRetryAttempts: -1 },
      { maximumRetryAttempts: 1.5 },
      { maximumEventAgeMs: 59_999 },
      { maximumEventAgeMs: 21_600_001 },
    ]) {
      assert.throws(
        () => {
          h.queue.enqueue("e", config);
        },
        { name: "InvalidParameterValueException" },
        JSON.stringify(config),
      );
    }
    assert.deepEqual(h.queue.counts().running, 0);
    assert.throws(
      () =>
        new InvocationQueue<string>({
          run: () => Promise.resolve("success"),
          onDiscard: () => undefined,
          backoff: { initialMs: -1, maxMs: 10 },
        }),
      { name: "InvalidParameterValueException" },
    );
  });
});
