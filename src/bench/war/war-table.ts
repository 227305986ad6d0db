/**
 * The short table `thaw bench` prints at the end: per contestant, its cold start (p50/p99 of the
 * whole Invocation and p50 of Init Duration), its warm invoke p50 and its burst; then one line per
 * size sweep, per SnapStart contestant and per backend, and what was skipped. Pure: a function of
 * the results file.
 */
import type { WarResults } from "./war-results.js";

const dash = "–";

function ms(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value)
    ? dash
    : value.toFixed(1);
}

function ratio(value: number, base: number): string {
  const r = value / base;
  return Number.isFinite(r) ? r.toFixed(2) : dash;
}

function pad(cells: readonly string[], widths: readonly number[]): string {
  return cells
    .map((cell, i) =>
      i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0),
    )
    .join("  ")
    .trimEnd();
}

/** The table, as lines of text. */
export function warTable(results: WarResults): string[] {
  const header = [
    "contestant",
    "cold p50 ms",
    "cold p99 ms",
    "init p50 ms",
    "warm p50 µs",
    "burst wall ms",
    "burst p99 ms",
    "burst errors",
    "burst CPU s",
  ];
  const rows = results.contestants.map((c) => {
    const cold = results.cold.find((r) => r.contestantId === c.id);
    const warm = results.warm.find((r) => r.contestantId === c.id);
    const burst = results.burst.find((r) => r.contestantId === c.id);
    return [
      c.id,
      ms(cold?.totalMs.p50),
      ms(cold?.totalMs.p99),
      ms(cold?.initDurationMs.p50),
      ms(warm?.warmInvoke.p50),
      ms(burst?.wallMs),
      ms(burst?.latency.p99),
      burst === undefined ? dash : String(burst.errors),
      burst === undefined ? dash : burst.cpuSeconds.toFixed(2),
    ];
  });
  const widths = header.map((h, i) =>
    Math.max(h.length, ...rows.map((row) => row[i]?.length ?? 0)),
  );
  const lines = [pad(header, widths), ...rows.map((row) => pad(row, widths))];
  for (const p of results.packageSize) {
    lines.push(
      `package ${String(p.paddedMiB)} MiB: first deploy p50 ${ms(p.firstDeploy.p50)} ms, cached p50 ${ms(p.cached.p50)} ms`,
    );
  }
  for (const c of results.codeSize) {
    lines.push(
      `${c.language} with ${String(c.modules)} modules: ${(c.binaryBytes / 2 ** 20).toFixed(1)} MiB, init p50 ${ms(c.initDuration.p50)} ms`,
    );
  }
  for (const m of results.memory) {
    lines.push(
      `${m.contestantId} at ${String(m.memoryMB)} MB (${m.cpu}): init p50 ${ms(m.initDuration.p50)} ms`,
    );
  }
  for (const r of results.snapStart) {
    lines.push(
      `${r.contestantId} SnapStart: plain init p50 ${ms(r.plainInit.p50)} ms, restore p50 ${ms(r.restore.p50)} ms (restore ÷ init ${ratio(r.restore.p50, r.plainInit.p50)})`,
    );
  }
  for (const b of results.backends) {
    lines.push(
      `${b.contestantId} on ${b.backend}${b.isolateNetwork ? " (isolated network)" : ""}: cold p50 ${ms(b.totalMs.p50)} ms`,
    );
  }
  for (const s of results.skipped)
    lines.push(`skipped ${s.scenario}: ${s.reason}`);
  return lines;
}
