/**
 * The pool's mechanism with fake environments and a manual clock: reuse, freeze, reap, provisioned
 * concurrency, retire, close and destroy, failures of every environment operation, and the rule that
 * every environment is destroyed exactly once. Time moves only through the clock; nothing sleeps.
 */
import { afterEach, describe, test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { IllegalStateError } from "../errors/sandbox-errors.js";
import { ManualClock } from "../util/clock.js";
import {
  EnvironmentPool,
  type EnvironmentPoolOptions,
  type PooledEnvironment,
  type PoolOperation,
} from "./environment-pool.js";
import type { EnvironmentKind, ProvisionedStatus } from "./pool-policy.js";

/** An environment that records what the pool does to it. */
class FakeEnvironment implements PooledEnvironment {
  readonly calls: string[] = [];
  destroyReasons: string[] = [];
  failFreeze = false;
  failThaw = false;
  /** When set, freeze() waits for it. */
  freezeGate: Promise<void> | undefined;

  constructor(
    readonly id: string,
    readonly kind: EnvironmentKind,
  ) {}

  async freeze(): Promise<void> {
    this.calls.push("freeze");
    await this.freezeGate;
    if (this.failFreeze) throw new Error(`cannot freeze ${this.id}`);
  }

  thaw(): Promise<void> {
    this.calls.push("thaw");
    return this.failThaw
      ? Promise.reject(new Error(`cannot thaw ${this.id}`))
      : Promise.resolve();
  }

  destroy(reason: string): Promise<void> {
    this.calls.push("destroy");
    this.destroyReasons.push(reason);
    return Promise.resolve();
  }

  get destroyed(): number {
    return this.destroyReasons.length;
  }
}

interface PendingStart {
  readonly kind: EnvironmentKind;
  resolve(): FakeEnvironment;
  reject(error: Error): void;
}

/** A pool over fake environments; starts complete at once unless `manualStarts`. */
class Harness {
  readonly clock = new ManualClock(1000);
  readonly environments: FakeEnvironment[] = [];
  readonly starts: PendingStart[] = [];
  readonly errors: { operation: PoolOperation; id: string | undefined }[] = [];
  readonly statuses: ProvisionedStatus[] = [];
  readonly pool: EnvironmentPool<FakeEnvironment>;
  failNextStart: Error | undefined;
  #sequence = 0;

  constructor(
    readonly manualStarts = false,
    options: Partial<EnvironmentPoolOptions<FakeEnvironment>> = {},
  ) {
    this.pool = new EnvironmentPool<FakeEnvironment>({
      name: "fn:$LATEST",
      clock: this.clock,
      create: (kind) => this.#start(kind),
      onError: (_error, operation, id) => {
        this.errors.push({ operation, id });
      },
      onProvisionedStatus: (status) => {
        this.statuses.push(status);
      },
      ...options,
    });
  }

  #start(kind: EnvironmentKind): Promise<FakeEnvironment> {
    const make = (): FakeEnvironment => {
      const environment = new FakeEnvironment(
        `env-${String(++this.#sequence)}`,
        kind,
      );
      this.environments.push(environment);
      return environment;
    };
    if (this.failNextStart !== undefined) {
      const error = this.failNextStart;
      this.failNextStart = undefined;
      return Promise.reject(error);
    }
    if (!this.manualStarts) return Promise.resolve(make());
    return new Promise((resolve, reject) => {
      this.starts.push({
        kind,
        resolve: () => {
          const environment = make();
          resolve(environment);
          return environment;
        },
        reject,
      });
    });
  }

  /** Lets promise callbacks run without moving time. */
  async settle(): Promise<void> {
    await this.clock.advance(0);
  }

  /** Fails when an environment was destroyed more than once. */
  assertDestroyedAtMostOnce(): void {
    for (const environment of this.environments)
      assert.ok(
        environment.destroyed <= 1,
        `${environment.id} destroyed ${String(environment.destroyed)} times`,
      );
  }

  /** Destroys the pool and checks that every environment was destroyed exactly once. */
  async finish(): Promise<void> {
    for (const start of this.starts.splice(0)) start.reject(new Error("end"));
    await this.pool.destroy("end of test");
    for (const environment of this.environments)
      assert.equal(
        environment.destroyed,
        1,
        `${environment.id} destroyed ${String(environment.destroyed)} times`,
      );
    assert.equal(this.pool.state, "closed");
    assert.equal(this.clock.pendingTimers, 0, "a timer is left");
  }
}

let harnesses: Harness[] = [];

function harness(
  manualStarts = false,
  options: Partial<EnvironmentPoolOptions<FakeEnvironment>> = {},
): Harness {
  const h = new Harness(manualStarts, options);
  harnesses.push(h);
  return h;
}

afterEach(async () => {
  const list = harnesses;
  harnesses = [];
  for (const h of list) await h.finish();
});

function counts(
  h: Harness,
): Record<"creating" | "idle" | "frozen" | "busy" | "destroying", number> {
  return h.pool.counts();
}

const zero = { creating: 0, idle: 0, frozen: 0, busy: 0, destroying: 0 };

void describe("EnvironmentPool", () => {
  void test("a first acquire starts an environment (cold); the next reuses it (warm)", async () => {
    const h = harness();
    const first = await h.pool.acquire();
    assert.equal(first.cold, true);
    assert.equal(first.environment.kind, "on-demand");
    assert.deepEqual(counts(h), { ...zero, busy: 1 });
    h.pool.release(first.environment, "reusable");
    assert.deepEqual(counts(h), { ...zero, idle: 1 });
    const second = await h.pool.acquire();
    assert.equal(second.cold, false);
    assert.equal(second.environment, first.environment);
    assert.equal(h.environments.length, 1);
    assert.deepEqual(first.environment.calls, []);
  });

  void test("reuses the most recently released environment", async () => {
    const h = harness();
    const a = await h.pool.acquire();
    const b = await h.pool.acquire();
    h.pool.release(a.environment, "reusable");
    h.pool.release(b.environment, "reusable");
    assert.equal((await h.pool.acquire()).environment, b.environment);
    assert.equal((await h.pool.acquire()).environment, a.environment);
    assert.equal(h.environments.length, 2);
  });

  void test("freezes an environment idle for freezeAfterMs; the acquire that takes it thaws it", async () => {
    const h = harness();
    const { environment } = await h.pool.acquire();
    h.pool.release(environment, "reusable");
    await h.clock.advance(9);
    assert.deepEqual(environment.calls, []);
    await h.clock.advance(1);
    assert.deepEqual(environment.calls, ["freeze"]);
    assert.deepEqual(counts(h), { ...zero, frozen: 1 });
    const again = await h.pool.acquire();
    assert.equal(again.environment, environment);
    assert.equal(again.cold, false);
    assert.deepEqual(environment.calls, ["freeze", "thaw"]);
    assert.deepEqual(counts(h), { ...zero, busy: 1 });
  });

  void test("under steady load nothing is frozen and at most one timer exists", async () => {
    const h = harness();
    for (let i = 0; i < 50; i++) {
      const { environment } = await h.pool.acquire();
      await h.clock.advance(3);
      h.pool.release(environment, "reusable");
      assert.ok(h.clock.pendingTimers <= 1);
      await h.clock.advance(5);
    }
    assert.equal(h.environments.length, 1);
    assert.deepEqual(h.environments[0]?.calls, []);
  });

  void test("reaps an on-demand environment idle for the keep-alive, then has no timer left", async () => {
    const h = harness(false, { keepAliveMs: 60_000 });
    const { environment } = await h.pool.acquire();
    h.pool.release(environment, "reusable");
    await h.clock.advance(59_999);
    assert.equal(environment.destroyed, 0);
    await h.clock.advance(1);
    assert.deepEqual(environment.calls, ["freeze", "destroy"]);
    assert.deepEqual(environment.destroyReasons, [
      "idle longer than the keep-alive",
    ]);
    assert.deepEqual(counts(h), zero);
    assert.equal(h.clock.pendingTimers, 0);
    const next = await h.pool.acquire();
    assert.equal(next.cold, true);
  });

  void test("freezeAfterMs: Infinity never freezes", async () => {
    const h = harness(false, { freezeAfterMs: Infinity, keepAliveMs: 1000 });
    const { environment } = await h.pool.acquire();
    h.pool.release(environment, "reusable");
    await h.clock.advance(999);
    assert.deepEqual(environment.calls, []);
    await h.clock.advance(1);
    assert.deepEqual(environment.calls, ["destroy"]);
  });

  void test("a failed start rejects the acquire with its error and leaves nothing to destroy", async () => {
    const h = harness();
    const error = new Error("init failed");
    h.failNextStart = error;
    await assert.rejects(h.pool.acquire(), (e) => e === error);
    assert.deepEqual(counts(h), zero);
    assert.equal(h.environments.length, 0);
    assert.deepEqual(h.errors, []);
  });

  void test("a start that throws synchronously rejects the acquire", async () => {
    const error = new Error("sync");
    const h = harness(false, {
      create: () => {
        throw error;
      },
    });
    await assert.rejects(h.pool.acquire(), (e) => e === error);
    assert.deepEqual(counts(h), zero);
  });

  void test("a broken environment is destroyed on release, once", async () => {
    const h = harness();
    const { environment } = await h.pool.acquire();
    h.pool.release(environment, "broken");
    await h.settle();
    assert.deepEqual(environment.destroyReasons, ["broken by its Invocation"]);
    assert.deepEqual(counts(h), zero);
    assert.equal((await h.pool.acquire()).cold, true);
  });

  void test("releasing twice, or an environment of another pool, is an IllegalStateError", async () => {
    const h = harness();
    const { environment } = await h.pool.acquire();
    h.pool.release(environment, "reusable");
    assert.throws(
      () => {
        h.pool.release(environment, "reusable");
      },
      (error: unknown) =>
        error instanceof IllegalStateError &&
        error.name === "IllegalStateError",
    );
    assert.throws(() => {
      h.pool.release(new FakeEnvironment("stranger", "on-demand"), "broken");
    }, IllegalStateError);
  });

  void test("rejects bad options with InvalidParameterValueException", () => {
    for (const options of [
      { keepAliveMs: -1 },
      { freezeAfterMs: Number.NaN },
      { provisioned: 1.5 },
      { provisioned: -1 },
    ]) {
      assert.throws(
        () =>
          new EnvironmentPool<FakeEnvironment>({
            create: () => Promise.reject(new Error("unused")),
            ...options,
          }),
        { name: "InvalidParameterValueException" },
        JSON.stringify(options),
      );
    }
  });

  void describe("aborting an acquire", () => {
    void test("an aborted signal rejects at once", async () => {
      const h = harness();
      const controller = new AbortController();
      controller.abort();
      await assert.rejects(h.pool.acquire(controller.signal), {
        name: "AbortError",
      });
      assert.equal(h.environments.length, 0);
    });

    void test("an abort during the start rejects; the environment joins the pool idle", async () => {
      const h = harness(true);
      const controller = new AbortController();
      const acquiring = h.pool.acquire(controller.signal);
      controller.abort();
      await assert.rejects(acquiring, { name: "AbortError" });
      assert.deepEqual(counts(h), { ...zero, creating: 1 });
      h.starts[0]?.resolve();
      await h.settle();
      assert.deepEqual(counts(h), { ...zero, idle: 1 });
      const lease = await h.pool.acquire();
      assert.equal(lease.cold, false);
      assert.equal(h.environments.length, 1);
    });
  });

  void describe("failures of freeze and thaw", () => {
    void test("an environment that cannot be frozen is destroyed and reported", async () => {
      const h = harness();
      const { environment } = await h.pool.acquire();
      environment.failFreeze = true;
      h.pool.release(environment, "reusable");
      await h.clock.advance(10);
      assert.deepEqual(environment.calls, ["freeze", "destroy"]);
      assert.deepEqual(h.errors, [{ operation: "freeze", id: environment.id }]);
      assert.deepEqual(counts(h), zero);
    });

    void test("an environment that cannot be thawed is destroyed; the acquire gets a new one", async () => {
      const h = harness();
      const { environment } = await h.pool.acquire();
      environment.failThaw = true;
      h.pool.release(environment, "reusable");
      await h.clock.advance(10);
      const lease = await h.pool.acquire();
      assert.notEqual(lease.environment, environment);
      assert.equal(lease.cold, true);
      assert.deepEqual(environment.calls, ["freeze", "thaw", "destroy"]);
      assert.deepEqual(h.errors, [{ operation: "thaw", id: environment.id }]);
    });

    void test("an acquire during a freeze thaws at once, without waiting for the freeze", async () => {
      const h = harness();
      const { environment } = await h.pool.acquire();
      let open!: () => void;
      environment.freezeGate = new Promise((resolve) => {
        open = resolve;
      });
      h.pool.release(environment, "reusable");
      await h.clock.advance(10);
      const lease = await h.pool.acquire();
      assert.equal(lease.environment, environment);
      assert.deepEqual(environment.calls, ["freeze", "thaw"]);
      // The superseded freeze fails later: reported, and the busy environment is kept.
      environment.failFreeze = true;
      open();
      await h.settle();
      assert.deepEqual(h.errors, [{ operation: "freeze", id: environment.id }]);
      assert.deepEqual(counts(h), { ...zero, busy: 1 });
      h.pool.release(environment, "reusable");
      assert.deepEqual(counts(h), { ...zero, idle: 1 });
    });

    void test("a destroy during a freeze waits for it", async () => {
      const h = harness();
      const { environment } = await h.pool.acquire();
      let open!: () => void;
      environment.freezeGate = new Promise((resolve) => {
        open = resolve;
      });
      h.pool.release(environment, "reusable");
      await h.clock.advance(10);
      const destroying = h.pool.destroy("test");
      await h.settle();
      assert.deepEqual(environment.calls, ["freeze"]);
      open();
      await destroying;
      assert.deepEqual(environment.calls, ["freeze", "destroy"]);
    });
  });

  void describe("provisioned concurrency", () => {
    void test("starts the environments, reports IN_PROGRESS then READY, and is preferred", async () => {
      const h = harness(true);
      // An idle on-demand environment first.
      const acquiring = h.pool.acquire();
      h.starts[0]?.resolve();
      const onDemand = (await acquiring).environment;
      h.pool.release(onDemand, "reusable");

      h.pool.setProvisioned(2);
      assert.deepEqual(
        h.starts.slice(1).map((s) => s.kind),
        ["provisioned-concurrency", "provisioned-concurrency"],
      );
      assert.deepEqual(h.pool.provisionedStatus(), {
        requested: 2,
        allocated: 0,
        available: 0,
        status: "IN_PROGRESS",
      });
      h.starts[1]?.resolve();
      h.starts[2]?.resolve();
      await h.settle();
      assert.deepEqual(
        h.statuses.map((s) => `${s.status} ${String(s.allocated)}`),
        ["IN_PROGRESS 0", "IN_PROGRESS 1", "READY 2"],
      );
      const lease = await h.pool.acquire();
      assert.equal(lease.environment.kind, "provisioned-concurrency");
      assert.equal(lease.cold, false);
      // Busy provisioned environments still count as allocated.
      assert.equal(h.pool.provisionedStatus().status, "READY");
      h.pool.release(lease.environment, "reusable");
    });

    void test("a broken provisioned environment is replaced", async () => {
      const h = harness(false, { provisioned: 1 });
      await h.settle();
      const { environment } = await h.pool.acquire();
      assert.equal(environment.kind, "provisioned-concurrency");
      h.pool.release(environment, "broken");
      await h.settle();
      assert.equal(h.environments.length, 2);
      assert.equal(h.environments[1]?.kind, "provisioned-concurrency");
      assert.deepEqual(counts(h), { ...zero, idle: 1 });
    });

    void test("is never reaped for idleness, but is frozen", async () => {
      const h = harness(false, { provisioned: 1, keepAliveMs: 1000 });
      await h.clock.advance(10_000_000);
      assert.deepEqual(h.environments[0]?.calls, ["freeze"]);
      assert.deepEqual(counts(h), { ...zero, frozen: 1 });
      assert.equal(h.clock.pendingTimers, 0);
    });

    void test("lowering the target destroys idle surplus now and busy surplus once released", async () => {
      const h = harness(false, { provisioned: 3 });
      await h.settle();
      const busy = await h.pool.acquire();
      h.pool.setProvisioned(0);
      await h.settle();
      assert.deepEqual(counts(h), { ...zero, busy: 1 });
      assert.equal(h.environments.filter((e) => e.destroyed === 1).length, 2);
      h.pool.release(busy.environment, "reusable");
      await h.settle();
      assert.deepEqual(busy.environment.destroyReasons, [
        "provisioned concurrency lowered",
      ]);
      assert.deepEqual(counts(h), zero);
    });

    void test("a failed start makes the status FAILED without retrying; a new target retries", async () => {
      const h = harness(true);
      h.pool.setProvisioned(2);
      h.starts[0]?.reject(new Error("init exploded"));
      h.starts[1]?.resolve();
      await h.clock.advance(60_000);
      assert.equal(h.starts.length, 2, "no new start after the failure");
      const status = h.pool.provisionedStatus();
      assert.equal(status.status, "FAILED");
      assert.equal(status.allocated, 1);
      assert.match(status.statusReason ?? "", /init exploded/);
      assert.deepEqual(h.errors, [{ operation: "create", id: undefined }]);
      h.pool.setProvisioned(2);
      assert.equal(h.starts.length, 3);
      h.starts[2]?.resolve();
      await h.settle();
      assert.equal(h.pool.provisionedStatus().status, "READY");
    });

    void test("rejects a target that is not a whole number >= 0", () => {
      const h = harness();
      assert.throws(
        () => {
          h.pool.setProvisioned(-1);
        },
        { name: "InvalidParameterValueException" },
      );
    });
  });

  void describe("retire", () => {
    void test("destroys idle ones now and busy ones on release; Invocations in flight finish", async () => {
      const h = harness();
      const busy = await h.pool.acquire();
      const idle = await h.pool.acquire();
      h.pool.release(idle.environment, "reusable");
      await h.clock.advance(10);
      await h.pool.retire();
      assert.equal(idle.environment.destroyed, 1);
      assert.equal(busy.environment.destroyed, 0);
      assert.equal(h.pool.state, "open");
      const fresh = await h.pool.acquire();
      assert.equal(fresh.cold, true);
      h.pool.release(busy.environment, "reusable");
      await h.settle();
      assert.deepEqual(busy.environment.destroyReasons, [
        "retired by a code or configuration update",
      ]);
      h.pool.release(fresh.environment, "reusable");
      assert.deepEqual(counts(h), { ...zero, idle: 1 });
    });

    void test("an environment starting for an Invocation is handed over, then destroyed on release", async () => {
      const h = harness(true);
      const acquiring = h.pool.acquire();
      await h.pool.retire();
      h.starts[0]?.resolve();
      const lease = await acquiring;
      assert.equal(lease.cold, true);
      h.pool.release(lease.environment, "reusable");
      await h.settle();
      assert.equal(lease.environment.destroyed, 1);
    });

    void test("a provisioned environment starting for nobody is destroyed once it exists, and replaced", async () => {
      const h = harness(true, { provisioned: 1 });
      await h.pool.retire();
      assert.equal(h.starts.length, 2, "a replacement starts at once");
      h.starts[0]?.resolve();
      h.starts[1]?.resolve();
      await h.settle();
      assert.equal(h.environments[0]?.destroyed, 1);
      assert.equal(h.environments[1]?.destroyed, 0);
      assert.deepEqual(counts(h), { ...zero, idle: 1 });
      assert.equal(h.pool.provisionedStatus().status, "READY");
    });

    void test("a broken release racing a retire destroys once", async () => {
      const h = harness();
      const { environment } = await h.pool.acquire();
      const retiring = h.pool.retire();
      h.pool.release(environment, "broken");
      await retiring;
      await h.settle();
      h.assertDestroyedAtMostOnce();
      assert.equal(environment.destroyed, 1);
    });
  });

  void describe("close and destroy", () => {
    void test("close() drains: no new acquires, busy ones destroyed when released", async () => {
      const h = harness();
      const busy = await h.pool.acquire();
      const idle = await h.pool.acquire();
      h.pool.release(idle.environment, "reusable");
      const closing = h.pool.close();
      assert.equal(h.pool.close(), closing, "idempotent");
      assert.equal(h.pool.state, "closing");
      await assert.rejects(h.pool.acquire(), {
        name: "IllegalStateError",
      });
      assert.throws(() => {
        h.pool.setProvisioned(1);
      }, IllegalStateError);
      await h.settle();
      assert.equal(idle.environment.destroyed, 1);
      let closed = false;
      void closing.then(() => {
        closed = true;
      });
      await h.settle();
      assert.equal(closed, false, "waits for the busy environment");
      h.pool.release(busy.environment, "reusable");
      await closing;
      assert.equal(h.pool.state, "closed");
      assert.deepEqual(busy.environment.destroyReasons, [
        "environment pool closing",
      ]);
      assert.deepEqual(counts(h), zero);
    });

    void test("close() lets a pending start reach its Invocation", async () => {
      const h = harness(true);
      const acquiring = h.pool.acquire();
      const closing = h.pool.close();
      h.starts[0]?.resolve();
      const lease = await acquiring;
      h.pool.release(lease.environment, "reusable");
      await closing;
      assert.equal(lease.environment.destroyed, 1);
    });

    void test("destroy() ends busy ones now, rejects waiting acquires, and destroys late arrivals", async () => {
      const h = harness(true);
      const first = h.pool.acquire();
      h.starts[0]?.resolve();
      const busy = await first;
      const waiting = h.pool.acquire();
      const destroying = h.pool.destroy("shutdown");
      assert.equal(h.pool.destroy("again"), destroying, "idempotent");
      await assert.rejects(waiting, (error: unknown) => {
        assert.ok(error instanceof IllegalStateError);
        assert.match(error.message, /destroyed: shutdown/);
        return true;
      });
      assert.deepEqual(busy.environment.destroyReasons, ["shutdown"]);
      h.starts[1]?.resolve();
      await destroying;
      assert.equal(h.environments[1]?.destroyed, 1);
      // The Invocation that held it gives it back later: nothing happens.
      h.pool.release(busy.environment, "reusable");
      assert.equal(busy.environment.destroyed, 1);
      assert.equal(h.pool.close(), destroying);
    });

    void test("close() then destroy() escalates and both resolve", async () => {
      const h = harness();
      const busy = await h.pool.acquire();
      const closing = h.pool.close();
      const destroying = h.pool.destroy("hurry");
      await Promise.all([closing, destroying]);
      assert.deepEqual(busy.environment.destroyReasons, ["hurry"]);
    });

    void test("a provisioned start that ends after close() is destroyed", async () => {
      const h = harness(true, { provisioned: 1 });
      const closing = h.pool.close();
      h.starts[0]?.resolve();
      await closing;
      assert.equal(h.environments[0]?.destroyed, 1);
    });
  });

  void test("warm acquire/release throughput (diagnostic only)", async (t: TestContext) => {
    const h = harness();
    const { environment } = await h.pool.acquire();
    h.pool.release(environment, "reusable");
    const rounds = 200_000;
    const started = performance.now();
    for (let i = 0; i < rounds; i++) {
      const lease = await h.pool.acquire();
      h.pool.release(lease.environment, "reusable");
    }
    const elapsed = performance.now() - started;
    t.diagnostic(
      `${String(Math.round((rounds / elapsed) * 1000))} warm acquire+release per second`,
    );
    assert.equal(h.environments.length, 1);
    assert.ok(h.clock.pendingTimers <= 1);
  });
});
