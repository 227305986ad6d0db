/**
 * The cold-invoke benchmark: what one cold `thaw invoke` costs against the physical floor, measured
 * in one run on this machine. Prints medians (and p90) of:
 * - the floor: a bare spawn of the Rust fixture's binary until it exits;
 * - `node -e 0`: Node's own start-up, which every CLI call pays;
 * - the whole `thaw invoke` CLI, spawned, until it exits;
 * - a cold Invocation inside one thaw process (no CLI start-up), phase by phase: once with the fork
 *   server (thaw-spawner) already running, as in `thaw serve`, and once from nothing, with a new
 *   backend per run, as a one-shot `thaw invoke` does;
 * - `child_process.spawn` from a process holding a 1 GiB heap, against an empty one;
 * - the Init Duration of each language's fixture (fork server running).
 * Run with `npm run bench:cold [-- --runs N]`. Figures, never pass/fail: the machines are noisy.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { FIXTURE_FUNCTIONS } from "../app/demo.js";
import { createBackend } from "../app/backends.js";
import { invokeOnce } from "../app/invoke-once.js";
import type { SandboxBackend } from "../sandbox/sandbox.js";
import { THAW_PATHS, THAW_ROOT } from "../config/paths.js";

const runsArg = process.argv.indexOf("--runs");
const RUNS = runsArg === -1 ? 30 : Number(process.argv[runsArg + 1]);
const RUST_PACKAGE = join(THAW_PATHS.fixtures, "rust");

function quantile(samples: readonly number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return (
    sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ??
    Number.NaN
  );
}

function line(name: string, samples: readonly number[]): string {
  return `${name.padEnd(52)} median ${quantile(samples, 0.5).toFixed(2).padStart(8)} ms   p90 ${quantile(samples, 0.9).toFixed(2).padStart(8)} ms   (n=${samples.length})`;
}

/** Milliseconds from spawn() to the child's exit. */
function timeSpawn(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { stdio: "ignore", env });
    child.on("error", reject);
    child.on("exit", () => {
      resolve(performance.now() - started);
    });
  });
}

async function sample(
  runs: number,
  warmups: number,
  measure: () => Promise<number>,
): Promise<number[]> {
  for (let i = 0; i < warmups; i += 1) await measure();
  const samples: number[] = [];
  for (let i = 0; i < runs; i += 1) samples.push(await measure());
  return samples;
}

async function coldInvoke(
  fixture: (typeof FIXTURE_FUNCTIONS)[number],
  backend: SandboxBackend | undefined,
) {
  return invokeOnce(
    {
      packagePath: fixture.packagePath,
      function: {
        functionName: `bench-${fixture.language}`,
        runtime: fixture.runtime,
        handler: fixture.handler,
      },
      payload: Buffer.from('{"bench":true}'),
    },
    { onLog: () => undefined, ...(backend === undefined ? {} : { backend }) },
  );
}

/** Rust cold Invocations, phase by phase (ms), after two warm-up runs. */
async function rustPhases(
  fixture: (typeof FIXTURE_FUNCTIONS)[number],
  backend: SandboxBackend | undefined,
): Promise<Record<"sandbox" | "runtimeInit" | "invoke" | "total", number[]>> {
  const phases = {
    sandbox: [] as number[],
    runtimeInit: [] as number[],
    invoke: [] as number[],
    total: [] as number[],
  };
  for (let i = 0; i < RUNS + 2; i += 1) {
    const result = await coldInvoke(fixture, backend);
    if (i < 2) continue;
    phases.sandbox.push(result.phases.sandboxMs);
    phases.runtimeInit.push(result.phases.runtimeInitMs);
    phases.invoke.push(result.phases.invokeMs);
    phases.total.push(result.phases.totalMs);
  }
  return phases;
}

async function main(): Promise<void> {
  const out = (text: string): boolean => process.stdout.write(`${text}\n`);
  out(
    `cold-invoke benchmark — node ${process.version}, ${String(RUNS)} runs each, medians of sequential runs`,
  );

  const floor = await sample(RUNS, 3, () =>
    timeSpawn(join(RUST_PACKAGE, "bootstrap"), []),
  );
  out(line("floor: bare spawn of the Rust bootstrap to exit", floor));
  const nodeStart = await sample(Math.min(RUNS, 20), 2, () =>
    timeSpawn(process.execPath, ["-e", "0"]),
  );
  out(line("node -e 0 (Node's own start-up)", nodeStart));
  const cli = await sample(Math.min(RUNS, 20), 2, () =>
    timeSpawn(
      process.execPath,
      [
        join(THAW_ROOT, "bin", "thaw.js"),
        "invoke",
        RUST_PACKAGE,
        "--runtime",
        "provided.al2023",
      ],
      {
        PATH: process.env.PATH,
      },
    ),
  );
  out(line("thaw invoke (CLI, Rust fixture) to exit", cli));

  const rust = FIXTURE_FUNCTIONS.find((f) => f.language === "rust");
  if (rust === undefined) throw new Error("no Rust fixture");
  // One backend for the whole run, its fork server kept running by an idle sandbox, as in
  // `thaw serve` (where frozen environments keep it running).
  const backend = await createBackend("process");
  const holder = await backend.create({
    command: "/bin/sleep",
    args: ["3600"],
    cwd: "/",
    env: {},
    memoryMB: 128,
    onLog: () => undefined,
  });
  try {
    const phases = await rustPhases(rust, backend);
    out(
      line(
        "in-process cold invoke, Rust: total (package→answer)",
        phases.total,
      ),
    );
    out(line("  sandbox creation (API server, cgroup, fork)", phases.sandbox));
    out(line("  process start until first /next", phases.runtimeInit));
    out(line("  invoke (hand-over → answer)", phases.invoke));
    out(
      `overhead over the floor (median total − median floor): ${(quantile(phases.total, 0.5) - quantile(floor, 0.5)).toFixed(2)} ms; CLI − node -e 0: ${(quantile(cli, 0.5) - quantile(nodeStart, 0.5)).toFixed(2)} ms`,
    );
    const fresh = await rustPhases(rust, undefined);
    out(
      line("same, new backend per run (fork server started too)", fresh.total),
    );
    out(line("  sandbox creation", fresh.sandbox));

    out("\nInit Duration per language (on-demand cold start, in-process):");
    for (const fixture of FIXTURE_FUNCTIONS) {
      const inits: number[] = [];
      const runs =
        fixture.language === "java" ? Math.min(RUNS, 10) : Math.min(RUNS, 20);
      for (let i = 0; i < runs + 1; i += 1) {
        const result = await coldInvoke(fixture, backend);
        if (i > 0) inits.push(result.init.durationMs);
      }
      out(line(`  ${fixture.language} (${fixture.runtime})`, inits));
    }
  } finally {
    await holder.destroy("benchmark done");
  }

  out(
    "\nchild_process.spawn of /bin/true from a Node process holding a large heap:",
  );
  for (const mb of [0, 1024]) {
    const probe = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, [
        "--max-old-space-size=4096",
        join(THAW_ROOT, "dist", "src", "bench", "spawn-with-heap.js"),
        "--mb",
        String(mb),
      ]);
      let text = "";
      child.stdout
        .setEncoding("utf8")
        .on("data", (chunk: string) => (text += chunk));
      child.on("error", reject);
      child.on("close", () => {
        resolve(text);
      });
    });
    const { rssMB, medianMs } = JSON.parse(probe) as {
      rssMB: number;
      medianMs: number;
    };
    out(
      `  heap ${String(mb).padStart(4)} MB (RSS ${String(rssMB).padStart(4)} MB): median ${medianMs.toFixed(2)} ms`,
    );
  }
}

await main();
