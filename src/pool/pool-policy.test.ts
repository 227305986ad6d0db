/** The pool's pure decisions, table by table. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  chooseReuse,
  decideRelease,
  planTick,
  provisionedStatus,
  retireAction,
  type IdleEnvironmentView,
  type PoolTiming,
  type TickInput,
  type TickPlan,
} from "./pool-policy.js";

const timing: PoolTiming = { keepAliveMs: 600_000, freezeAfterMs: 10 };

function od(
  id: string,
  idleSince: number,
  frozen = false,
): IdleEnvironmentView {
  return { id, kind: "on-demand", idleSince, frozen };
}

function pc(
  id: string,
  idleSince: number,
  frozen = false,
): IdleEnvironmentView {
  return { id, kind: "provisioned-concurrency", idleSince, frozen };
}

void describe("chooseReuse", () => {
  const cases: {
    name: string;
    provisioned: IdleEnvironmentView | undefined;
    onDemand: IdleEnvironmentView | undefined;
    expected: ReturnType<typeof chooseReuse>;
  }[] = [
    {
      name: "nothing idle: create",
      provisioned: undefined,
      onDemand: undefined,
      expected: "create",
    },
    {
      name: "only on-demand",
      provisioned: undefined,
      onDemand: od("a", 5),
      expected: "on-demand",
    },
    {
      name: "only provisioned",
      provisioned: pc("p", 5),
      onDemand: undefined,
      expected: "provisioned",
    },
    {
      name: "provisioned first, even frozen, over a warm on-demand one",
      provisioned: pc("p", 1, true),
      onDemand: od("a", 9),
      expected: "provisioned",
    },
  ];
  for (const c of cases) {
    void test(c.name, () => {
      assert.equal(chooseReuse(c.provisioned, c.onDemand), c.expected);
    });
  }
});

void describe("planTick", () => {
  const base: TickInput = {
    now: 0,
    idle: [],
    provisionedTarget: 0,
    provisionedLive: 0,
    provisionedFailed: false,
  };
  const cases: {
    name: string;
    input: Partial<TickInput>;
    timing?: PoolTiming;
    expected: TickPlan;
  }[] = [
    {
      name: "empty pool: nothing to do, no next tick",
      input: {},
      expected: {
        freeze: [],
        destroy: [],
        createProvisioned: 0,
        nextTickAt: undefined,
      },
    },
    {
      name: "idle less than freezeAfterMs: wait until it is due",
      input: { now: 105, idle: [od("a", 100)] },
      expected: {
        freeze: [],
        destroy: [],
        createProvisioned: 0,
        nextTickAt: 110,
      },
    },
    {
      name: "idle exactly freezeAfterMs: freeze, next tick at the keep-alive",
      input: { now: 110, idle: [od("a", 100)] },
      expected: {
        freeze: ["a"],
        destroy: [],
        createProvisioned: 0,
        nextTickAt: 600_100,
      },
    },
    {
      name: "already frozen: only the keep-alive is pending",
      input: { now: 5000, idle: [od("a", 100, true)] },
      expected: {
        freeze: [],
        destroy: [],
        createProvisioned: 0,
        nextTickAt: 600_100,
      },
    },
    {
      name: "keep-alive reached: reap (not also freeze)",
      input: { now: 600_100, idle: [od("a", 100), od("b", 200, true)] },
      expected: {
        freeze: [],
        destroy: [{ id: "a", reason: "keep-alive-expired" }],
        createProvisioned: 0,
        nextTickAt: 600_200,
      },
    },
    {
      name: "several: the next tick is the earliest deadline",
      input: {
        now: 50,
        idle: [od("a", 0, true), od("b", 45), od("c", 48)],
      },
      expected: {
        freeze: [],
        destroy: [],
        createProvisioned: 0,
        nextTickAt: 55,
      },
    },
    {
      name: "freezing disabled (Infinity): only reaping",
      input: { now: 1000, idle: [od("a", 0)] },
      timing: { keepAliveMs: 600_000, freezeAfterMs: Infinity },
      expected: {
        freeze: [],
        destroy: [],
        createProvisioned: 0,
        nextTickAt: 600_000,
      },
    },
    {
      name: "provisioned environments are never reaped for idleness, but are frozen",
      input: {
        now: 10_000_000,
        idle: [pc("p", 0)],
        provisionedTarget: 1,
        provisionedLive: 1,
      },
      expected: {
        freeze: ["p"],
        destroy: [],
        createProvisioned: 0,
        nextTickAt: undefined,
      },
    },
    {
      name: "provisioned below target: create the missing ones",
      input: { provisionedTarget: 5, provisionedLive: 2 },
      expected: {
        freeze: [],
        destroy: [],
        createProvisioned: 3,
        nextTickAt: undefined,
      },
    },
    {
      name: "provisioned below target after a failed start: create nothing",
      input: {
        provisionedTarget: 5,
        provisionedLive: 2,
        provisionedFailed: true,
      },
      expected: {
        freeze: [],
        destroy: [],
        createProvisioned: 0,
        nextTickAt: undefined,
      },
    },
    {
      name: "target lowered: destroy surplus idle provisioned ones, longest idle first",
      input: {
        now: 100,
        idle: [pc("p1", 90), pc("p2", 10, true), pc("p3", 50), od("a", 95)],
        provisionedTarget: 1,
        provisionedLive: 3,
      },
      expected: {
        freeze: ["p1"],
        destroy: [
          { id: "p2", reason: "provisioned-surplus" },
          { id: "p3", reason: "provisioned-surplus" },
        ],
        createProvisioned: 0,
        nextTickAt: 105,
      },
    },
    {
      name: "surplus partly busy: the idle ones go now, the busy ones at a later tick",
      input: {
        now: 100,
        idle: [pc("p1", 95)],
        provisionedTarget: 0,
        provisionedLive: 3,
      },
      expected: {
        freeze: [],
        destroy: [{ id: "p1", reason: "provisioned-surplus" }],
        createProvisioned: 0,
        nextTickAt: undefined,
      },
    },
  ];
  for (const c of cases) {
    void test(c.name, () => {
      assert.deepEqual(
        planTick({ ...base, ...c.input }, c.timing ?? timing),
        c.expected,
      );
    });
  }
});

void describe("provisionedStatus", () => {
  const cases: {
    requested: number;
    initialised: number;
    failure?: string;
    expected: ReturnType<typeof provisionedStatus>;
  }[] = [
    {
      requested: 0,
      initialised: 0,
      expected: { requested: 0, allocated: 0, available: 0, status: "READY" },
    },
    {
      requested: 3,
      initialised: 1,
      expected: {
        requested: 3,
        allocated: 1,
        available: 1,
        status: "IN_PROGRESS",
      },
    },
    {
      requested: 3,
      initialised: 3,
      expected: { requested: 3, allocated: 3, available: 3, status: "READY" },
    },
    {
      requested: 2,
      initialised: 4,
      expected: { requested: 2, allocated: 2, available: 2, status: "READY" },
    },
    {
      requested: 3,
      initialised: 1,
      failure: "init failed",
      expected: {
        requested: 3,
        allocated: 1,
        available: 1,
        status: "FAILED",
        statusReason: "init failed",
      },
    },
    {
      requested: 1,
      initialised: 1,
      failure: "an older start failed",
      expected: { requested: 1, allocated: 1, available: 1, status: "READY" },
    },
  ];
  for (const c of cases) {
    void test(`${c.initialised} of ${c.requested}${c.failure === undefined ? "" : ", failed"}: ${c.expected.status}`, () => {
      assert.deepEqual(
        provisionedStatus(c.requested, c.initialised, c.failure),
        c.expected,
      );
    });
  }
});

void test("decideRelease: kept only when reusable, current and the pool open", () => {
  const table = [
    ["reusable", false, true, "keep"],
    ["reusable", true, true, "destroy"],
    ["reusable", false, false, "destroy"],
    ["broken", false, true, "destroy"],
    ["broken", true, false, "destroy"],
  ] as const;
  for (const [outcome, retired, open, expected] of table) {
    assert.equal(
      decideRelease(outcome, retired, open),
      expected,
      `${outcome} retired=${String(retired)} open=${String(open)}`,
    );
  }
});

void test("retireAction: idle now, busy on release, starting when it exists unless claimed", () => {
  const table = [
    ["idle", false, "destroy-now"],
    ["frozen", false, "destroy-now"],
    ["busy", false, "destroy-on-release"],
    ["creating", true, "destroy-on-release"],
    ["creating", false, "destroy-when-created"],
  ] as const;
  for (const [state, claimed, expected] of table) {
    assert.equal(retireAction(state, claimed), expected, state);
  }
});
