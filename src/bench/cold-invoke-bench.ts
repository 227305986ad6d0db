/**
 * The cold-invoke benchmark: what one cold `thaw invoke` costs against the physical floor, measured
 * in one run on this machine. Prints medians (and p90) of:
 * - the floor: a bare spawn of the Rust fixture's binary until it exits;
 * - `node -e 0`: Node's own start-up, which every CLI call pays;
 * - the whole `thaw invoke` CLI, spawned, until it exits;
 * - a cold Invocation inside one thaw process (no CLI start-up), phase by phase, on each backend
 *   (`process`, `namespace`, `namespace` with an isolated network) with its fork server
 *   (thaw-spawner) already running, as in
 *   `thaw serve`; and on `process` from nothing, a new backend per run, as one `thaw invoke` does;
 * - `child_process.spawn` from a process holding a 1 GiB heap, against an empty one;
 * - the Init Duration of each language's fixture, on each backend.
 * Run with `npm run bench:cold [-- --runs N]`. Figures, never pass/fail: the machines are noisy.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { FIXTURE_FUNCTIONS } from "../app/demo.js";
import type { SandboxSettings } from "../app/backends.js";
import { invokeOnce } from "../app/invoke-once.js";
import type { SandboxBackend } from "../sandbox/sandbox.js";
import { withWarmBackend } from "./warm-backend.js";
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

/** One cold Invocation on `sandbox`: a backend, or the settings of a new one made for it. */
async function coldInvoke(
  fixture: (typeof FIXTURE_FUNCTIONS)[number],
  sandbox: SandboxBackend | SandboxSettings,
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
    {
      onLog: () => undefined,
      ...("create" in sandbox ? { backend: sandbox } : { sandbox }),
    },
  );
}

/** Rust cold Invocations, phase by phase (ms), after two warm-up runs. */
async function rustPhases(
  fixture: (typeof FIXTURE_FUNCTIONS)[number],
  sandbox: SandboxBackend | SandboxSettings,
): Promise<Record<"sandbox" | "runtimeInit" | "invoke" | "total", number[]>> {
  const phases = {
    sandbox: [] as number[],
    runtimeInit: [] as number[],
    invoke: [] as number[],
    total: [] as number[],
  };
  for (let i = 0; i < RUNS + 2; i += 1) {
    const result = await coldInvoke(fixture, sandbox);
    if (i < 2) continue;
    phases.sandbox.push(result.phases.sandboxMs);
    phases.runtimeInit.push(result.phases.runtimeInitMs);
    phases.invoke.push(result.phases.invokeMs);
    phases.total.push(result.phases.totalMs);
  }
  return phases;
}

/** The sandboxes compared: each backend, and the namespace backend with its network isolated. */
const SANDBOXES: readonly { label: string; settings: SandboxSettings }[] = [
  { label: "process backend", settings: { backend: "process" } },
  { label: "namespace backend", settings: { backend: "namespace" } },
  {
    label: "namespace backend, --isolate-network",
    settings: { backend: "namespace", isolateNetwork: true },
  },
];

/**
 * Cold Invocations on one backend, whose fork server an idle sandbox keeps running, as frozen
 * environments do in `thaw serve`: the Rust phases, then each language's Init Duration.
 */
async function backendSection(
  settings: SandboxSettings,
  rust: (typeof FIXTURE_FUNCTIONS)[number],
  out: (text: string) => void,
): Promise<void> {
  await withWarmBackend(settings, async (backend) => {
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
    out("  Init Duration per language (on-demand cold start):");
    for (const fixture of FIXTURE_FUNCTIONS) {
      const inits: number[] = [];
      const runs =
        fixture.language === "java" ? Math.min(RUNS, 10) : Math.min(RUNS, 20);
      for (let i = 0; i < runs + 1; i += 1) {
        const result = await coldInvoke(fixture, backend);
        if (i > 0) inits.push(result.init.durationMs);
      }
      out(line(`    ${fixture.language} (${fixture.runtime})`, inits));
    }
  });
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
  const fresh = await rustPhases(rust, { backend: "process" });
  for (const { label, settings } of SANDBOXES) {
    out(`\n${label} (its fork server kept running, as in \`thaw serve\`):`);
    await backendSection(settings, rust, out);
    if (settings.backend === "process") {
      out(
        line(
          "same, new backend per run (fork server started too)",
          fresh.total,
        ),
      );
      out(line("  sandbox creation", fresh.sandbox));
    }
  }
  out(
    `CLI − node -e 0: ${(quantile(cli, 0.5) - quantile(nodeStart, 0.5)).toFixed(2)} ms; floor for the rows above: ${quantile(floor, 0.5).toFixed(2)} ms`,
  );

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
