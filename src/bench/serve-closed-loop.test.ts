/** The closed loop counts every answered call, its failures, and keeps running after one. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { setImmediate as tick } from "node:timers/promises";
import { runClosedLoop } from "./serve-closed-loop.js";

void test("each caller waits for its answer; failures and rejections count as errors", async () => {
  let inFlight = 0;
  let peak = 0;
  let calls = 0;
  const result = await runClosedLoop(
    async () => {
      calls += 1;
      const n = calls;
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      await tick();
      inFlight -= 1;
      if (n === 2) return false;
      if (n === 3) throw new Error("connection reset");
      return true;
    },
    { clients: 3, durationMs: 20 },
  );
  assert.equal(result.clients, 3);
  assert.equal(peak, 3);
  assert.equal(result.latenciesUs.length, calls);
  assert.equal(result.errors, 2);
  assert.equal(result.firstError, "unexpected answer");
  assert.ok(result.elapsedMs >= 20);
  assert.ok(result.latenciesUs.every((us) => us >= 0));
  assert.ok(
    Math.abs(result.callsPerSecond - (calls * 1000) / result.elapsedMs) < 1e-6,
  );
});
