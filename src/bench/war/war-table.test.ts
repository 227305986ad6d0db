import { test } from "node:test";
import assert from "node:assert/strict";
import { summarize } from "../serve-stats.js";
import { burstResult, coldSeries } from "./war-aggregate.js";
import type { WarResults } from "./war-results.js";
import { warTable } from "./war-table.js";
import { inferLanguage } from "./thaw-bench.js";

const results: WarResults = {
  version: 1,
  tool: "thaw bench",
  generatedAt: "2025-01-01T00:00:00.000Z",
  mode: "quick",
  durationSeconds: 1,
  machine: {
    node: "v20",
    os: "Linux",
    arch: "x64",
    cpuModel: "cpu",
    cores: 2,
    totalMemoryMiB: 1024,
    kernel: "6.1",
    cgroup: "v1",
    backend: "namespace",
  },
  settings: { runs: 1, scenarios: ["cold", "burst"], memoryMB: 128 },
  contestants: ["rust-hello", "java-hello"].map((id) => ({
    id,
    language: id === "rust-hello" ? "rust" : "java",
    variant: "hello",
    build: undefined,
    runtime: "provided.al2023",
    handler: "bootstrap",
    packagePath: "/x",
    packageBytes: 1,
    packageFiles: 1,
    toolchain: "t",
  })),
  cold: [
    coldSeries("rust-hello", [
      {
        packageMs: 0,
        sandboxMs: 1,
        runtimeInitMs: 2,
        invokeMs: 1,
        totalMs: 12.34,
        initDurationMs: 9.87,
        maxMemoryUsedMB: 3,
      },
    ]),
  ],
  warm: [],
  burst: [
    burstResult(
      "rust-hello",
      [{ ok: true, latencyMs: 99, maxMemoryUsedMB: 3 }],
      0.5,
    ),
  ],
  packageSize: [
    {
      paddedMiB: 10,
      zipBytes: 1,
      firstDeploy: summarize([80]),
      cached: summarize([20]),
      firstDeployMs: [80],
      cachedMs: [20],
    },
  ],
  codeSize: [],
  memory: [],
  snapStart: [
    {
      contestantId: "rust-hello",
      plainInit: summarize([20]),
      restore: summarize([80]),
      plainInitMs: [20],
      restoreMs: [80],
    },
  ],
  backends: [],
  skipped: [{ scenario: "memory", reason: "not asked for" }],
};

test("the table has a row per contestant, dashes where nothing was measured, then the sweeps", () => {
  const lines = warTable(results);
  assert.match(lines[0] ?? "", /^contestant\s+cold p50 ms\s+cold p99 ms/);
  assert.match(
    lines[1] ?? "",
    /^rust-hello\s+12\.3\s+12\.3\s+9\.9\s+–\s+99\.0\s+99\.0\s+0\s+0\.50$/,
  );
  assert.match(lines[2] ?? "", /^java-hello(\s+–)+$/);
  assert.ok(
    lines.includes(
      "package 10 MiB: first deploy p50 80.0 ms, cached p50 20.0 ms",
    ),
  );
  assert.ok(
    lines.includes(
      "rust-hello SnapStart: plain init p50 20.0 ms, restore p50 80.0 ms (restore ÷ init 4.00)",
    ),
  );
  assert.equal(lines.at(-1), "skipped memory: not asked for");
});

test("a provided function's language is read from its bootstrap's compiler marks", () => {
  assert.equal(inferLanguage("nodejs20.x", undefined), "nodejs");
  assert.equal(inferLanguage("python3.12", undefined), "python");
  assert.equal(inferLanguage("java21", undefined), "java");
  assert.equal(
    inferLanguage(
      "provided.al2023",
      Buffer.from("xx\xff Go buildinf:yy", "latin1"),
    ),
    "go",
  );
  assert.equal(
    inferLanguage("provided.al2023", Buffer.from("..rust_panic..")),
    "rust",
  );
  assert.equal(inferLanguage("provided.al2023", Buffer.from("plain elf")), "c");
});
