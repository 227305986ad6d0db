import { test } from "node:test";
import assert from "node:assert/strict";
import { planWar } from "./war-plan.js";
import { SCENARIO_IDS } from "./war-results.js";

const base = {
  scenarios: [],
  quick: false,
  runs: undefined,
  userFunction: false,
};

test("the full war: every scenario, snapstart included, with the issue's sample sizes", () => {
  const plan = planWar(base);
  assert.equal(plan.mode, "full");
  assert.deepEqual(plan.scenarios, SCENARIO_IDS);
  assert.deepEqual(plan.skipped, []);
  assert.equal(plan.coldRuns, 30);
  assert.equal(plan.warmInvokes, 200);
  assert.equal(plan.burstParallel, 100);
  assert.deepEqual(plan.paddedMiB, [1, 10, 50, 100]);
  assert.deepEqual(plan.codeModules, [10, 100, 1000]);
  assert.deepEqual(plan.memorySizesMB, [128, 512, 1769, 3008]);
  assert.equal(plan.snapStartRuns, 10);
  assert.equal(plan.memoryMB, 128);
  assert.deepEqual(plan.sandbox, {
    backend: "namespace",
    cpu: "shares",
    isolateNetwork: false,
  });
});

test("the quick war: small samples, the smaller sizes", () => {
  const plan = planWar({ ...base, quick: true });
  assert.equal(plan.mode, "quick");
  assert.equal(plan.coldRuns, 5);
  assert.equal(plan.warmInvokes, 50);
  assert.equal(plan.burstParallel, 20);
  assert.deepEqual(plan.paddedMiB, [1, 10]);
  assert.deepEqual(plan.codeModules, [10, 100]);
  assert.deepEqual(plan.memorySizesMB, [128, 1769]);
  assert.equal(plan.snapStartRuns, 5);
});

test("--runs sets every sequential scenario's samples, not the warm invokes nor the burst", () => {
  const plan = planWar({ ...base, quick: true, runs: 2 });
  assert.deepEqual(
    [
      plan.coldRuns,
      plan.packageRuns,
      plan.codeRuns,
      plan.memoryRuns,
      plan.snapStartRuns,
      plan.backendRuns,
    ],
    [2, 2, 2, 2, 2, 2],
  );
  assert.equal(plan.warmInvokes, 50);
  assert.equal(plan.burstParallel, 20);
});

test("named scenarios run in the war's order, snapstart among them", () => {
  const plan = planWar({
    ...base,
    scenarios: ["backends", "snapstart", "cold"],
  });
  assert.deepEqual(plan.scenarios, ["cold", "snapstart", "backends"]);
  assert.deepEqual(plan.skipped, []);
});

test("--function skips the scenarios that only measure the war's own programs", () => {
  const plan = planWar({ ...base, userFunction: true });
  assert.equal(plan.mode, "function");
  assert.deepEqual(plan.scenarios, [
    "cold",
    "warm",
    "burst",
    "memory",
    "snapstart",
    "backends",
  ]);
  assert.deepEqual(
    plan.skipped.map((s) => s.scenario),
    ["package-size", "code-size"],
  );
});

test("unknown scenarios and runs below 1 are refused with the choices", () => {
  assert.throws(
    () => planWar({ ...base, scenarios: ["cold", "lukewarm"] }),
    /Unknown scenario 'lukewarm': choose from cold, warm/,
  );
  assert.throws(
    () => planWar({ ...base, runs: 0 }),
    /--runs must be at least 1/,
  );
});
