import { test } from "node:test";
import assert from "node:assert/strict";
import {
  billedDurationMs,
  endLine,
  initReportLine,
  reportLine,
  startLine,
  taskTimedOutLine,
} from "./log-lines.js";

const id = "8476a536-e9f4-11e8-9739-2dfe598c3fcd";

test("START and END use single spaces", () => {
  assert.equal(
    startLine(id, "$LATEST"),
    `START RequestId: ${id} Version: $LATEST`,
  );
  assert.equal(endLine(id), `END RequestId: ${id}`);
});

test("REPORT after an init: AWS's field order, tabs, two decimals, trailing tab", () => {
  assert.equal(
    reportLine({
      requestId: id,
      durationMs: 3004.92,
      billedDurationMs: billedDurationMs(3004.92, 111.23),
      memorySizeMB: 128,
      maxMemoryUsedMB: 35,
      initDurationMs: 111.23,
    }),
    `REPORT RequestId: ${id}\tDuration: 3004.92 ms\tBilled Duration: 3117 ms\tMemory Size: 128 MB\tMax Memory Used: 35 MB\tInit Duration: 111.23 ms\t`,
  );
});

test("REPORT of a failed Invocation ends with the new-style status", () => {
  const line = reportLine({
    requestId: id,
    durationMs: 1000,
    billedDurationMs: 1000,
    memorySizeMB: 256,
    maxMemoryUsedMB: 20,
    status: "error",
    errorType: "Runtime.ExitError",
  });
  assert.ok(
    line.endsWith(
      "Max Memory Used: 20 MB\tStatus: error\tError Type: Runtime.ExitError",
    ),
  );
  const timeout = reportLine({
    requestId: id,
    durationMs: 3000,
    billedDurationMs: 3000,
    memorySizeMB: 128,
    maxMemoryUsedMB: 1,
    status: "timeout",
  });
  assert.ok(timeout.endsWith("\tStatus: timeout"));
});

test("REPORT of a restored Snapshot carries Restore Duration and its billed value", () => {
  const line = reportLine({
    requestId: id,
    durationMs: 2,
    billedDurationMs: 2,
    memorySizeMB: 128,
    maxMemoryUsedMB: 1,
    restoreDurationMs: 95.514,
  });
  assert.ok(
    line.endsWith(
      "Restore Duration: 95.51 ms\tBilled Restore Duration: 96 ms\t",
    ),
  );
});

test("INIT_REPORT and the old-style timeout line", () => {
  assert.equal(
    initReportLine({
      initDurationMs: 260.3,
      phase: "init",
      status: "error",
      errorType: "Runtime.ImportModuleError",
    }),
    "INIT_REPORT Init Duration: 260.30 ms\tPhase: init\tStatus: error\tError Type: Runtime.ImportModuleError",
  );
  assert.equal(
    taskTimedOutLine(id, 3, new Date("2024-01-01T00:00:03.000Z")),
    `2024-01-01T00:00:03.000Z ${id} Task timed out after 3.00 seconds`,
  );
});

test("Billed Duration rounds up to the millisecond", () => {
  assert.equal(billedDurationMs(0.01), 1);
  assert.equal(billedDurationMs(5, 0), 5);
  assert.equal(billedDurationMs(1.2, 2.3), 4);
});
