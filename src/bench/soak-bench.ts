/**
 * The soak benchmark with injected faults (`npm run bench:soak [-- --quick] [-- --invocations N]
 * [-- --seed S] [-- --backend NAME] [-- --max-seconds S]`): starts the real CLI, `thaw serve`, as
 * a child process with the fixture function of four languages (Rust, Go, Node.js, Python; 128 MB;
 * see soak-functions.ts for the two functions of each), and sends it 50,000 synchronous
 * Invocations, 16 at a time, over keep-alive `node:http` connections. A seeded mix makes about
 * 5 % of them crash the Runtime, 1 % time out, 1 % run out of memory, 1 % answer more than 6 MB,
 * 3 % fail with the language's own error, and the rest echo a unique event; about 1 % of all calls
 * are cut by the client, which destroys its socket mid-call.
 *
 * Every call is judged against what its fault must produce (see soak-classify.ts). The first fifth
 * warms up; then the serve process's VmRSS, its status page, its sandbox cgroups and its processes
 * are sampled every two seconds. After the load it waits until nothing is busy, checks that every
 * sandbox cgroup belongs to a live environment and that each function still answers, then sends
 * SIGTERM and checks that the server exits 0 leaving no process, cgroup or listening socket.
 *
 * Prints a table and writes every call and sample to `.thaw/bench/soak-<timestamp>.json`. Goals
 * are printed, never asserted; the exit status is 1 only when a call was lost or mismatched, or
 * something leaked. `--quick` sends 2,000 calls; no call is sent after `--max-seconds` (240).
 */
import { setTimeout as delay } from "node:timers/promises";
import { parseArgs } from "node:util";
import { BenchRun } from "./bench-run.js";
import { leastSquaresSlope } from "./linear-trend.js";
import { NoteTally } from "./note-tally.js";
import {
  aliveProcesses,
  descendantProcesses,
  listeningSockets,
  sandboxNames,
  stillListening,
  thawCgroups,
  type ListeningSocket,
  type ProcessRecord,
} from "./process-leaks.js";
import { ServeHttpClient } from "./serve-http-client.js";
import { summarize } from "./serve-stats.js";
import { readStatus, type StatusFacts } from "./serve-status.js";
import { classify } from "./soak-classify.js";
import {
  SOAK_FUNCTIONS,
  SOAK_MEMORY_MB,
  soakTemplateText,
} from "./soak-functions.js";
import { SoakHttpClient } from "./soak-http-client.js";
import {
  DEFAULT_SOAK_MIX,
  faultPayload,
  planInvocations,
  type PlannedInvocation,
} from "./soak-plan.js";
import {
  SOAK_RESULTS_VERSION,
  type OutcomeFigures,
  type SoakBenchResults,
  type SoakCallRecord,
  type SoakGoal,
  type SoakRssSample,
} from "./soak-results.js";
import { ThawServeChild } from "./thaw-serve-child.js";

const { values: ARGS } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    invocations: { type: "string" },
    seed: { type: "string", default: "thaw-soak" },
    backend: { type: "string" },
    "max-seconds": { type: "string" },
  },
});
const QUICK = ARGS.quick;

/** Counts, shares and deadlines of a run; `--quick` sends a tenth of the calls. */
const SETTINGS = {
  invocations: Number(ARGS.invocations ?? (QUICK ? 2_000 : 50_000)),
  concurrency: 16,
  /**
   * The first fifth of the plan warms up: every function gets its environments and faults, and
   * the serve process's heap grows to its working size (about 30,000 calls: see docs/benchmarks.md).
   */
  warmUpShare: 0.2,
  sampleEveryMs: QUICK ? 1_000 : 2_000,
  /** A call without an answer after this long counts as lost. */
  clientTimeoutMs: 30_000,
  /** The time bound: no call is sent after this, the rest counts as not sent. */
  maxLoadMs: Number(ARGS["max-seconds"] ?? (QUICK ? 60 : 240)) * 1000,
  /** Longer than the run: environments end by faults and by SIGTERM only. */
  keepAliveSeconds: 3_600,
  /** How long the load's last environments may stay busy, creating or destroying. */
  quiesceTimeoutMs: 15_000,
  /** How long processes, cgroups and sockets may take to go after the server's exit. */
  leakDeadlineMs: 5_000,
  shutdownTimeoutMs: 60_000,
} as const;

/**
 * Goal printed next to the memory figures (never asserted): over the second half of the load, the
 * least-squares line of VmRSS against Invocations answered rises by at most this much per 10,000
 * Invocations (0.5 MiB: about 50 bytes kept per call).
 */
const GOALS = { rssMiBPer10kInvocations: 0.5 } as const;

/** Load samples needed in the second half before the memory trend is judged. */
const MIN_TREND_SAMPLES = 10;
/** Environment states that must be gone once the load has ended. */
const TRANSIENT_STATES = ["busy", "creating", "destroying"] as const;

const out = (text = ""): void => {
  process.stdout.write(`${text}\n`);
};

const NUMBER = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

function invocationsPath(name: string): string {
  return `/2015-03-31/functions/${encodeURIComponent(name)}/invocations`;
}

function mib(kib: number): string {
  return `${(kib / 1024).toFixed(1)} MiB`;
}

function ms(value: number): string {
  return `${value.toFixed(1)} ms`;
}

/** Polls `check` every 50 ms until it returns true or `timeoutMs` passes; resolves its last answer. */
async function pollUntil(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (performance.now() > deadline) return false;
    await delay(50);
  }
}

function countBy<T>(
  items: readonly T[],
  key: (item: T) => string,
): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

function figuresBy(
  calls: readonly SoakCallRecord[],
  key: (call: SoakCallRecord) => string,
): Record<string, OutcomeFigures> {
  const groups = new Map<string, number[]>();
  for (const call of calls) {
    const latencies = groups.get(key(call)) ?? [];
    latencies.push(call.latencyMs);
    groups.set(key(call), latencies);
  }
  const figures: Record<string, OutcomeFigures> = {};
  for (const [name, latencies] of [...groups].sort((a, b) =>
    a[0].localeCompare(b[0]),
  ))
    figures[name] = {
      count: latencies.length,
      latencyMs: summarize(latencies),
    };
  return figures;
}

/**
 * Sends `plan[from..to)` with `SETTINGS.concurrency` callers, each taking the next planned call as
 * soon as its previous one ended, until the plan is done or `deadline` (performance.now()) passes.
 * Resolves with the number of calls sent; each has its record in `records` once it ended.
 */
async function sendPlan(
  client: SoakHttpClient,
  plan: readonly PlannedInvocation[],
  range: { readonly from: number; readonly to: number },
  clock: { readonly loadStarted: number; readonly deadline: number },
  records: SoakCallRecord[],
): Promise<number> {
  let next = range.from;
  const caller = async (): Promise<void> => {
    while (next < range.to && performance.now() < clock.deadline) {
      const planned = plan[next];
      next += 1;
      if (planned === undefined) return;
      const sentAtMs = performance.now() - clock.loadStarted;
      const result = await client.post(
        invocationsPath(planned.fn.name),
        planned.payload,
        {
          disconnectAfterMs: planned.disconnectAfterMs,
          timeoutMs: SETTINGS.clientTimeoutMs,
        },
      );
      const verdict = classify(planned, result);
      records.push({
        index: planned.index,
        functionName: planned.fn.name,
        fault: planned.fault.kind,
        disconnectAfterMs: planned.disconnectAfterMs,
        expected: verdict.expected,
        observed: verdict.observed,
        matched: verdict.matched,
        lost: verdict.lost,
        sentAtMs: Math.round(sentAtMs * 10) / 10,
        latencyMs: Math.round(result.latencyMs * 1000) / 1000,
        detail: verdict.detail,
      });
    }
  };
  const callers: Promise<void>[] = [];
  for (let i = 0; i < SETTINGS.concurrency; i += 1) callers.push(caller());
  await Promise.all(callers);
  return next - range.from;
}

/** One echo per function, judged like any soak call: the service must still answer after the load. */
async function probeFunctions(
  client: SoakHttpClient,
): Promise<SoakBenchResults["afterLoad"]["probes"]> {
  const probes: SoakBenchResults["afterLoad"]["probes"][number][] = [];
  for (const [i, fn] of SOAK_FUNCTIONS.entries()) {
    const fault = { kind: "echo", id: `probe-${String(i)}`, pad: "" } as const;
    const planned: PlannedInvocation = {
      index: -1,
      fn,
      fault,
      payload: faultPayload(fault),
      disconnectAfterMs: undefined,
    };
    const verdict = classify(
      planned,
      await client.post(invocationsPath(fn.name), planned.payload, {
        timeoutMs: SETTINGS.clientTimeoutMs,
      }),
    );
    probes.push({
      functionName: fn.name,
      ok: verdict.matched,
      detail: verdict.detail,
    });
  }
  return probes;
}

function isQuiescent(status: StatusFacts): boolean {
  return TRANSIENT_STATES.every((state) => (status.byState[state] ?? 0) === 0);
}

function goalText(goal: SoakGoal): string {
  return `${goal.goal}: ${goal.met ? "met" : "NOT met"}`;
}

async function main(): Promise<void> {
  const wallStarted = performance.now();
  const seed = ARGS.seed;
  if (!/^[\w.-]+$/.test(seed))
    throw new Error(`--seed takes letters, digits, '.', '_' and '-': ${seed}`);
  if (!Number.isInteger(SETTINGS.invocations) || SETTINGS.invocations < 1)
    throw new Error(`--invocations must be a positive integer`);
  const run = await BenchRun.start(
    "soak",
    `thaw soak benchmark with injected faults (${QUICK ? "quick" : "full"} run)`,
  );
  const plan = planInvocations(SOAK_FUNCTIONS, {
    count: SETTINGS.invocations,
    seed,
  });
  out(
    `${NUMBER.format(plan.length)} Invocations, ${SETTINGS.concurrency} at a time, seed "${seed}", over ${SOAK_FUNCTIONS.map((fn) => `${fn.name} (${fn.runtime})`).join(", ")}`,
  );
  out(
    `planned faults: ${JSON.stringify(countBy(plan, (p) => p.fault.kind))}; disconnects: ${String(plan.filter((p) => p.disconnectAfterMs !== undefined).length)}`,
  );
  out();

  const notes = new NoteTally();
  let serve: ThawServeChild | undefined;
  let control: ServeHttpClient | undefined;
  let client: SoakHttpClient | undefined;
  try {
    serve = await ThawServeChild.start(soakTemplateText(SOAK_FUNCTIONS), {
      name: "soak",
      keepAliveSeconds: SETTINGS.keepAliveSeconds,
      backend: ARGS.backend,
      onStderr: (chunk) => {
        notes.push(chunk);
      },
    });
    const served = serve.child;
    const listeningAt = performance.now();
    control = new ServeHttpClient(served.url, { maxSockets: 2 });
    const controlClient = control;
    client = new SoakHttpClient(served.url, {
      maxSockets: SETTINGS.concurrency,
    });
    const soakClient = client;
    out(
      `thaw serve listening on ${served.url} after ${ms(served.startupMs)} (pid ${served.pid})`,
    );

    const records: SoakCallRecord[] = [];
    const rss: SoakRssSample[] = [];
    const sample = async (at: string): Promise<SoakRssSample> => {
      const status = await readStatus(controlClient);
      const taken: SoakRssSample = {
        at,
        elapsedMs: Math.round(performance.now() - listeningAt),
        rssKiB: await served.rssKiB(),
        invocations: records.length,
        environments: status.byState,
        environmentsTotal: status.total,
        sandboxCgroups: sandboxNames(thawCgroups(served.pid)).length,
        processes: descendantProcesses(served.pid).length,
      };
      rss.push(taken);
      return taken;
    };
    const start = await sample("start");

    // The load: warm-up, then the rest, sampled every few seconds.
    const loadStarted = performance.now();
    const clock = {
      loadStarted,
      deadline: loadStarted + SETTINGS.maxLoadMs,
    };
    const warmUpEnd = Math.round(plan.length * SETTINGS.warmUpShare);
    let sent = await sendPlan(
      soakClient,
      plan,
      { from: 0, to: warmUpEnd },
      clock,
      records,
    );
    const afterWarmUp = await sample("after warm-up");
    out(
      `warm-up: ${NUMBER.format(records.length)} calls in ${ms(performance.now() - loadStarted)}, VmRSS ${mib(afterWarmUp.rssKiB)}`,
    );
    const mainStarted = performance.now();
    const sampling = new AbortController();
    // Settles only on the abort below, or with the first failed sample (the server gone): never
    // rejects while nobody awaits it.
    const sampler = (async (): Promise<{ error: unknown } | undefined> => {
      for (;;) {
        try {
          await delay(SETTINGS.sampleEveryMs, undefined, {
            signal: sampling.signal,
          });
        } catch {
          return undefined;
        }
        let taken: SoakRssSample;
        try {
          taken = await sample("load");
        } catch (error) {
          return { error };
        }
        out(
          `  ${String(Math.round((performance.now() - loadStarted) / 1000)).padStart(4)} s  ${NUMBER.format(records.length).padStart(6)} calls  VmRSS ${mib(taken.rssKiB).padStart(10)}  environments ${JSON.stringify(taken.environments)}  sandboxes ${String(taken.sandboxCgroups)}  processes ${String(taken.processes)}`,
        );
      }
    })();
    try {
      sent += await sendPlan(
        soakClient,
        plan,
        { from: warmUpEnd, to: plan.length },
        clock,
        records,
      );
    } finally {
      sampling.abort();
    }
    const samplerFailure = await sampler;
    if (samplerFailure !== undefined) throw samplerFailure.error;
    const mainEnded = performance.now();
    const loadMs = mainEnded - loadStarted;
    const afterLoadSample = await sample("after load");

    // After the load: nothing busy, every sandbox an environment, every function answering.
    let lastStatus = await readStatus(controlClient);
    const quiescent = await pollUntil(async () => {
      lastStatus = await readStatus(controlClient);
      return isQuiescent(lastStatus);
    }, SETTINGS.quiesceTimeoutMs);
    let sandboxes = 0;
    await pollUntil(async () => {
      lastStatus = await readStatus(controlClient);
      sandboxes = sandboxNames(thawCgroups(served.pid)).length;
      return sandboxes === lastStatus.total;
    }, SETTINGS.quiesceTimeoutMs);
    const processesByCommand = countBy(
      descendantProcesses(served.pid),
      (p) => p.command,
    );
    const probes = await probeFunctions(soakClient);
    const end = await sample("end");

    // SIGTERM, then nothing may be left.
    soakClient.close();
    client = undefined;
    controlClient.close();
    control = undefined;
    const beforeProcesses: ProcessRecord[] = descendantProcesses(served.pid);
    const beforeListening: ListeningSocket[] = listeningSockets(served.pid);
    const beforeCgroups = thawCgroups(served.pid).length;
    const exit = await serve.stop(SETTINGS.shutdownTimeoutMs);
    let left = {
      processes: aliveProcesses(beforeProcesses),
      cgroups: thawCgroups(served.pid),
      listening: stillListening(beforeListening),
    };
    await pollUntil(() => {
      left = {
        processes: aliveProcesses(beforeProcesses),
        cgroups: thawCgroups(served.pid),
        listening: stillListening(beforeListening),
      };
      return (
        left.processes.length === 0 &&
        left.cgroups.length === 0 &&
        left.listening.length === 0
      );
    }, SETTINGS.leakDeadlineMs);

    // Figures.
    records.sort((a, b) => a.index - b.index);
    const mismatches = records.filter((r) => !r.matched);
    const lost = records.filter((r) => r.lost).length;
    const disconnected = records.filter(
      (r) => r.observed === "disconnected",
    ).length;
    const disconnectsAnsweredFirst = records.filter(
      (r) => r.disconnectAfterMs !== undefined && r.observed !== "disconnected",
    ).length;
    const byExpected = figuresBy(records, (r) => r.expected);
    const byObserved = figuresBy(records, (r) => r.observed);
    const byFunction: Record<string, { sent: number; mismatched: number }> = {};
    for (const record of records) {
      const entry = (byFunction[record.functionName] ??= {
        sent: 0,
        mismatched: 0,
      });
      entry.sent += 1;
      if (!record.matched) entry.mismatched += 1;
    }
    const loadSamples = rss.filter(
      (s) =>
        s.at === "load" &&
        s.elapsedMs >=
          (mainStarted - listeningAt + mainEnded - listeningAt) / 2,
    );
    const slopeKiBPerMinute = leastSquaresSlope(
      loadSamples.map((s) => ({ x: s.elapsedMs / 60_000, y: s.rssKiB })),
    );
    const slopeKiBPer10k = leastSquaresSlope(
      loadSamples.map((s) => ({ x: s.invocations / 10_000, y: s.rssKiB })),
    );
    // Fewer samples than this say nothing about a trend (a quick run has a handful).
    const judged = loadSamples.length >= MIN_TREND_SAMPLES;
    const rssGoal: SoakGoal = {
      goal: `VmRSS flat: ≤ ${String(GOALS.rssMiBPer10kInvocations)} MiB per 10,000 Invocations over the second half of the load`,
      value: slopeKiBPer10k / 1024,
      met: judged && slopeKiBPer10k / 1024 <= GOALS.rssMiBPer10kInvocations,
    };
    const maxKiB = Math.max(...rss.map((s) => s.rssKiB));

    const failures = [
      lost > 0 ? `${String(lost)} calls lost` : "",
      mismatches.length > 0
        ? `${String(mismatches.length)} calls mismatched`
        : "",
      sent === records.length
        ? ""
        : `${String(sent - records.length)} calls sent without a record`,
      quiescent
        ? ""
        : `environments still ${JSON.stringify(lastStatus.byState)} ${String(SETTINGS.quiesceTimeoutMs)} ms after the load`,
      sandboxes === lastStatus.total
        ? ""
        : `${String(sandboxes)} sandbox cgroups for ${String(lastStatus.total)} environments after the load`,
      probes.every((p) => p.ok)
        ? ""
        : `a function no longer answers after the load: ${probes
            .filter((p) => !p.ok)
            .map((p) => `${p.functionName}: ${p.detail}`)
            .join("; ")}`,
      exit.exitCode === 0
        ? ""
        : `thaw serve exited ${String(exit.exitCode ?? exit.signal)} on SIGTERM${exit.killed ? " (killed after the timeout)" : ""}`,
      left.processes.length > 0
        ? `processes left: ${left.processes.map((p) => `${String(p.pid)} ${p.command}`).join(", ")}`
        : "",
      left.cgroups.length > 0 ? `cgroups left: ${left.cgroups.join(", ")}` : "",
      left.listening.length > 0
        ? `listening sockets left: ${left.listening.map((s) => s.address).join(", ")}`
        : "",
    ].filter((text) => text !== "");

    // The table.
    out();
    out(
      `Invocations: planned ${NUMBER.format(plan.length)}, sent ${NUMBER.format(records.length)}${records.length < plan.length ? ` (time bound reached: ${NUMBER.format(plan.length - records.length)} not sent)` : ""}, in ${ms(loadMs)}: ${NUMBER.format((records.length * 1000) / loadMs)} calls/s`,
    );
    out();
    out(
      `${"expected outcome".padEnd(34)} ${"calls".padStart(7)}   ${"observed outcome".padEnd(44)} ${"calls".padStart(7)} ${"p50".padStart(10)} ${"p99".padStart(10)}`,
    );
    const expectedRows = Object.entries(byExpected);
    const observedRows = Object.entries(byObserved);
    for (
      let i = 0;
      i < Math.max(expectedRows.length, observedRows.length);
      i += 1
    ) {
      const [expectedName = "", expectedFigures] = expectedRows[i] ?? [];
      const [observedName = "", observedFigures] = observedRows[i] ?? [];
      out(
        `${expectedName.padEnd(34)} ${(expectedFigures === undefined ? "" : NUMBER.format(expectedFigures.count)).padStart(7)}   ${observedName.padEnd(44)} ${(observedFigures === undefined ? "" : NUMBER.format(observedFigures.count)).padStart(7)} ${(observedFigures === undefined ? "" : ms(observedFigures.latencyMs.p50)).padStart(10)} ${(observedFigures === undefined ? "" : ms(observedFigures.latencyMs.p99)).padStart(10)}`,
      );
    }
    out();
    out(
      `by function: ${Object.entries(byFunction)
        .map(
          ([name, f]) =>
            `${name} ${NUMBER.format(f.sent)}${f.mismatched > 0 ? ` (${String(f.mismatched)} mismatched)` : ""}`,
        )
        .join(", ")}`,
    );
    out(
      `disconnects: ${String(disconnected)} cut by the client, ${String(disconnectsAnsweredFirst)} answered in full before the cut (judged on their answer)`,
    );
    out(
      `mismatches: ${String(mismatches.length)}   lost: ${String(lost)} (${lost === 0 ? "lost = 0" : "LOST"})`,
    );
    for (const mismatch of mismatches.slice(0, 20))
      out(
        `  #${String(mismatch.index)} ${mismatch.functionName} ${mismatch.fault}: ${mismatch.detail} (${ms(mismatch.latencyMs)})`,
      );
    if (mismatches.length > 20)
      out(`  … and ${String(mismatches.length - 20)} more in the results file`);
    out();
    out(
      `after the load: ${quiescent ? "nothing busy" : "STILL BUSY"}; environments ${JSON.stringify(lastStatus.byState)} (${String(lastStatus.total)}), sandbox cgroups ${String(sandboxes)}, processes ${JSON.stringify(processesByCommand)}`,
    );
    out(
      `probe echo per function after the load: ${probes.map((p) => `${p.functionName} ${p.ok ? "ok" : `FAILED (${p.detail})`}`).join(", ")}`,
    );
    out();
    out(
      `serve VmRSS: start ${mib(start.rssKiB)}, after warm-up ${mib(afterWarmUp.rssKiB)}, max ${mib(maxKiB)}, after load ${mib(afterLoadSample.rssKiB)}, end ${mib(end.rssKiB)}`,
    );
    out(
      `  slope over the second half of the load (${String(loadSamples.length)} samples): ${(slopeKiBPer10k / 1024).toFixed(2)} MiB per 10,000 Invocations, ${(slopeKiBPerMinute / 1024).toFixed(2)} MiB/min — goal ${judged ? goalText(rssGoal) : `not judged on fewer than ${String(MIN_TREND_SAMPLES)} samples`}`,
    );
    out();
    out(
      `SIGTERM: exit ${String(exit.exitCode ?? exit.signal)} after ${ms(exit.drainMs)}${exit.killed ? " — KILLED after the timeout" : ""}; before it: ${String(beforeProcesses.length)} processes, ${String(beforeCgroups)} cgroup folders, ${String(beforeListening.length)} listening sockets (the Invoke API and each environment's Runtime API)`,
    );
    out(
      `left after the exit: ${String(left.processes.length)} processes, ${String(left.cgroups.length)} cgroups, ${String(left.listening.length)} listening sockets`,
    );
    const noteGroups = notes.groups();
    out(
      `thaw's notes on stderr: ${String(notes.total)}${noteGroups.length === 0 ? "" : ", by kind:"}`,
    );
    for (const group of noteGroups.slice(0, 10))
      out(`  ${String(group.count).padStart(6)} × ${group.pattern}`);
    const wallMs = performance.now() - wallStarted;
    out(`wall time: ${(wallMs / 1000).toFixed(1)} s`);

    const results: SoakBenchResults = {
      version: SOAK_RESULTS_VERSION,
      benchmark: "soak",
      generatedAt: run.generatedAt,
      mode: QUICK ? "quick" : "full",
      machine: run.machine,
      settings: { ...SETTINGS, wallMs: Math.round(wallMs) },
      seed,
      mix: DEFAULT_SOAK_MIX,
      functions: SOAK_FUNCTIONS.map((fn) => ({
        name: fn.name,
        runtime: fn.runtime,
        handler: fn.handler,
        timeoutSeconds: fn.timeoutSeconds,
        memoryMB: SOAK_MEMORY_MB,
      })),
      serve: {
        command: serve.command,
        pid: served.pid,
        startupMs: served.startupMs,
      },
      totals: {
        planned: plan.length,
        sent,
        notSent: plan.length - sent,
        matched: records.length - mismatches.length,
        mismatched: mismatches.length,
        lost,
        disconnected,
        disconnectsAnsweredFirst,
        wallMs: loadMs,
        callsPerSecond: (records.length * 1000) / loadMs,
      },
      byExpected,
      byObserved,
      byFunction,
      calls: records,
      rss: {
        samples: rss,
        startKiB: start.rssKiB,
        afterWarmUpKiB: afterWarmUp.rssKiB,
        maxKiB,
        endKiB: end.rssKiB,
        secondHalfSlopeKiBPerMinute: slopeKiBPerMinute,
        secondHalfSlopeKiBPer10kInvocations: slopeKiBPer10k,
        goal: rssGoal,
      },
      afterLoad: {
        quiescent,
        environments: lastStatus.byState,
        environmentsTotal: lastStatus.total,
        sandboxCgroups: sandboxes,
        processesByCommand,
        probes,
      },
      shutdown: {
        exitCode: exit.exitCode,
        signal: exit.signal,
        drainMs: exit.drainMs,
        killed: exit.killed,
        before: {
          processes: beforeProcesses,
          listening: beforeListening,
          cgroups: beforeCgroups,
        },
        left,
      },
      notes: noteGroups,
      failures,
    };
    await run.finish(results, failures);
  } finally {
    client?.close();
    control?.close();
    await serve?.dispose();
  }
}

await main();
