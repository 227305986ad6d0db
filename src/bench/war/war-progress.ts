/**
 * How `thaw bench` shows its progress: on a terminal, two bars (cli-progress) — the war's scenarios,
 * and the steps of the part being measured; anywhere else (a pipe, a file, CI), one plain line per
 * scenario when it starts and when it ends, and no bar at all.
 */
import { MultiBar, Presets, type SingleBar } from "cli-progress";
import type { ScenarioId } from "./war-results.js";

/** What the runner tells its display. */
export interface WarProgress {
  scenarioStarted(scenario: ScenarioId, index: number, count: number): void;
  step(label: string, done: number, total: number): void;
  scenarioEnded(scenario: ScenarioId, seconds: number, outcome: string): void;
  stop(): void;
}

/** Plain lines, for a stream that is not a terminal. */
export function lineProgress(write: (text: string) => void): WarProgress {
  return {
    scenarioStarted(scenario, index, count) {
      write(`[${String(index + 1)}/${String(count)}] ${scenario}…\n`);
    },
    step() {
      // Nothing: one line per scenario is enough in a log.
    },
    scenarioEnded(scenario, seconds, outcome) {
      write(`    ${scenario}: ${outcome} in ${seconds.toFixed(1)} s\n`);
    },
    stop() {
      // Nothing to clean up.
    },
  };
}

/** Two progress bars on `stream` (a terminal). */
export function barProgress(stream: NodeJS.WriteStream): WarProgress {
  const multi = new MultiBar(
    {
      stream,
      clearOnComplete: false,
      hideCursor: true,
      format: " {name} |{bar}| {value}/{total} {label}",
      barsize: 30,
      etaBuffer: 20,
    },
    Presets.shades_classic,
  );
  let overall: SingleBar | undefined;
  let current: SingleBar | undefined;
  return {
    scenarioStarted(scenario, index, count) {
      overall ??= multi.create(count, index, { name: "war     ", label: "" });
      overall.update(index, { label: scenario });
      current ??= multi.create(1, 0, { name: "scenario", label: "" });
      current.setTotal(1);
      current.update(0, { label: scenario });
    },
    step(label, done, total) {
      if (current === undefined) return;
      current.setTotal(Math.max(1, total));
      current.update(done, { label });
    },
    scenarioEnded(scenario, seconds, outcome) {
      multi.log(`${scenario}: ${outcome} in ${seconds.toFixed(1)} s\n`);
      overall?.increment(1, { label: scenario });
    },
    stop() {
      multi.stop();
    },
  };
}
