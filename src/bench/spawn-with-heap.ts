/**
 * Probe run as its own process by the cold-invoke benchmark: does a large control-plane heap slow
 * `child_process.spawn`? (DESIGN.md recorded 40 ms per spawn with a 1 GiB heap on an older set-up,
 * from copying page tables.) Fills `--mb` MB of JS heap, then prints the median of 15 spawns of
 * `/bin/true` to exit as JSON.
 */
import { spawn } from "node:child_process";

const mbArg = process.argv.indexOf("--mb");
const megabytes = mbArg === -1 ? 0 : Number(process.argv[mbArg + 1]);
const retained: number[][] = [];
// 131,072 doubles ≈ 1 MB of heap per array.
for (let i = 0; i < megabytes; i += 1)
  retained.push(new Array<number>(131_072).fill(i + 0.5));

const samples: number[] = [];
for (let i = 0; i < 18; i += 1) {
  const started = performance.now();
  await new Promise((resolve) =>
    spawn("/bin/true", [], { stdio: "ignore" }).on("exit", resolve),
  );
  if (i >= 3) samples.push(performance.now() - started);
}
samples.sort((a, b) => a - b);
process.stdout.write(
  JSON.stringify({
    heapMB: retained.length,
    rssMB: Math.round(process.memoryUsage().rss / 1e6),
    medianMs: samples[7],
  }) + "\n",
);
