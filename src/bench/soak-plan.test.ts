/** The soak's plan: reproducible, in the asked proportions, each fault to the right functions. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { SOAK_FUNCTIONS } from "./soak-functions.js";
import {
  DEFAULT_SOAK_MIX,
  faultPayload,
  planInvocations,
  type PlannedInvocation,
} from "./soak-plan.js";

const COUNT = 20_000;

function share(plan: readonly PlannedInvocation[], kind: string): number {
  return plan.filter((p) => p.fault.kind === kind).length / plan.length;
}

void test("the same seed plans the same calls", () => {
  const a = planInvocations(SOAK_FUNCTIONS, { count: 300, seed: "s" });
  const b = planInvocations(SOAK_FUNCTIONS, { count: 300, seed: "s" });
  const c = planInvocations(SOAK_FUNCTIONS, { count: 300, seed: "t" });
  const key = (plan: readonly PlannedInvocation[]): string[] =>
    plan.map(
      (p) =>
        `${p.fn.name} ${p.payload.toString()} ${String(p.disconnectAfterMs)}`,
    );
  assert.deepEqual(key(a), key(b));
  assert.notDeepEqual(key(a), key(c));
});

void test("faults and disconnects come in the mix's proportions", () => {
  const plan = planInvocations(SOAK_FUNCTIONS, { count: COUNT, seed: "mix" });
  assert.equal(plan.length, COUNT);
  const near = (actual: number, wanted: number): void => {
    // Four standard deviations of a binomial share.
    const tolerance = 4 * Math.sqrt((wanted * (1 - wanted)) / COUNT);
    assert.ok(
      Math.abs(actual - wanted) <= tolerance,
      `${String(actual)} vs ${String(wanted)}`,
    );
  };
  near(share(plan, "crash"), DEFAULT_SOAK_MIX.crash);
  near(share(plan, "timeout"), DEFAULT_SOAK_MIX.timeout);
  near(share(plan, "outOfMemory"), DEFAULT_SOAK_MIX.outOfMemory);
  near(share(plan, "oversize"), DEFAULT_SOAK_MIX.oversize);
  near(share(plan, "error"), DEFAULT_SOAK_MIX.error);
  near(
    plan.filter((p) => p.disconnectAfterMs !== undefined).length / COUNT,
    DEFAULT_SOAK_MIX.disconnect,
  );
  const names = new Set(plan.map((p) => p.fn.name));
  assert.equal(names.size, SOAK_FUNCTIONS.length, "every function is used");
});

void test("out-of-memory and oversize faults go to the heavy functions, everything else to the others", () => {
  const plan = planInvocations(SOAK_FUNCTIONS, { count: 3_000, seed: "roles" });
  for (const p of plan)
    assert.equal(
      p.fn.role,
      p.fault.kind === "outOfMemory" || p.fault.kind === "oversize"
        ? "heavy"
        : "general",
    );
});

void test("echo ids are unique and each payload is its fault's event", () => {
  const plan = planInvocations(SOAK_FUNCTIONS, { count: 3_000, seed: "ids" });
  const ids = new Set<string>();
  for (const p of plan) {
    assert.deepEqual(p.payload, faultPayload(p.fault));
    if (p.fault.kind === "echo") ids.add(p.fault.id);
  }
  assert.equal(ids.size, plan.filter((p) => p.fault.kind === "echo").length);
  assert.equal(
    faultPayload({ kind: "crash", exitCode: 7 }).toString(),
    '{"action":"crash","code":7}',
  );
  assert.equal(
    faultPayload({ kind: "timeout", sleepMs: 1500 }).toString(),
    '{"action":"sleep","ms":1500}',
  );
  assert.equal(
    faultPayload({ kind: "outOfMemory", megabytes: 300 }).toString(),
    '{"action":"memory","mb":300}',
  );
  assert.equal(
    faultPayload({ kind: "oversize", bytes: 7_000_000 }).toString(),
    '{"action":"size","bytes":7000000}',
  );
  assert.equal(
    faultPayload({ kind: "echo", id: "a-1", pad: "ff" }).toString(),
    '{"id":"a-1","pad":"ff"}',
  );
});

void test("refuses a bad count, too many faults, or a role without a function", () => {
  assert.throws(
    () => planInvocations(SOAK_FUNCTIONS, { count: -1, seed: "x" }),
    RangeError,
  );
  assert.throws(
    () =>
      planInvocations(SOAK_FUNCTIONS, {
        count: 1,
        seed: "x",
        mix: { ...DEFAULT_SOAK_MIX, crash: 0.99 },
      }),
    RangeError,
  );
  assert.throws(
    () =>
      planInvocations(
        SOAK_FUNCTIONS.filter((fn) => fn.role === "general"),
        { count: 1, seed: "x" },
      ),
    RangeError,
  );
});
