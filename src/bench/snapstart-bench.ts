/**
 * The SnapStart benchmark: what restoring a snapshot saves against a plain on-demand init, measured
 * in one run on this machine, for each language's small function and for heavy-init variants
 * (Node.js loading the AWS SDK v3 Lambda client, Python importing boto3, Java building the AWS SDK
 * v2 S3 client). For each it measures:
 * - plain on-demand cold starts: Init Duration, and the first Invocation after it;
 * - the snapshot, taken once: the template's init (under thaw-init, in its own pid and network
 *   namespaces), `criu dump`, the image's size;
 * - clones restored one at a time: Restore Duration (and `criu restore` alone), the first
 *   Invocation after it, and restore ÷ init;
 * - 10, 50 and 100 clones restored at once from the one snapshot, every one kept running until all
 *   have answered: Restore Duration per clone (p50, p90), wall time, each clone's answer checked.
 *
 * Both sides run in the process backend's sandboxes (cgroups, fork server, the host's filesystem),
 * so the comparison is fair: a clone's sandbox is the same plus thaw-init's pid and network
 * namespaces, whose cost shows in the template's init. Figures, never pass/fail: the goals are
 * printed next to them. The exit status is 1 only when something failed (a clone that did not
 * answer correctly, a function that could not be measured, a process, cgroup or socket left behind)
 * or snapshots do not work here (root and CRIU ≥ 4.2 are needed; docs/snapshot.md).
 *
 * Run with `npm run bench:snapstart [-- --quick] [-- --runs N] [-- --json FILE]`; `--memory MB`
 * (default 128, Lambda's default: 100 clones must fit in memory) and `--only ID` (repeatable) narrow
 * it down.
 */
import {
  readdirSync,
  readFileSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  existsSync,
} from "node:fs";
import { release, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { THAW_ROOT } from "../config/paths.js";
import { probeCriu } from "../snapshot/criu.js";
import { SOCKET_DIR } from "../snapshot/snapshot-backend.js";
import { BenchRun } from "./bench-run.js";
import { descendantProcesses, thawCgroups } from "./process-leaks.js";
import { summarize } from "./serve-stats.js";
import {
  SNAPSTART_RESULTS_VERSION,
  type ParallelRestoreResult,
  type SnapStartBenchResults,
  type SnapStartGoal,
  type SnapStartSubjectResult,
} from "./snapstart-results.js";
import { withWarmBackend } from "./warm-backend.js";
import {
  CONTESTANTS,
  contestantsBuilt,
  ensureContestantsBuilt,
  measureContestants,
} from "./war/contestants.js";
import {
  fixtureContestants,
  measurePackage,
  toolchainOf,
} from "./war/fixture-contestants.js";
import {
  answerProblem,
  cloneEvent,
  SnapStartLab,
  type LabSnapshot,
} from "./war/snapstart-lab.js";
import type { SandboxBackend } from "../sandbox/sandbox.js";
import type { Contestant } from "./war/war-results.js";
import { coldInvoke, reasonOf, WAR_PAYLOAD } from "./war/war-scenario.js";

const argv = process.argv.slice(2);
const QUICK = argv.includes("--quick");
const RUNS = numberArg("--runs") ?? (QUICK ? 3 : 10);
const JSON_OUT = stringArg("--json");
const MEMORY_MB = numberArg("--memory") ?? 128;
/** `--only ID` (repeatable): measure only these functions. */
const ONLY = argv.flatMap((arg, i) =>
  arg === "--only" && argv[i + 1] !== undefined ? [argv[i + 1] ?? ""] : [],
);
/** Clones restored at once, per function. */
const PARALLEL: readonly number[] = QUICK ? [10] : [10, 50, 100];
/** The share of the machine's memory that the clones of one batch may take at their limit. */
const FIT_SHARE = 0.8;
/** Goal of issue 6: restore ≤ 40 % of a heavy function's init. */
const RESTORE_SHARE_GOAL = 0.4;
/** "Independent of how many run": the per-clone p50 of the largest batch within ×1.25 of one alone. */
const INDEPENDENT_RATIO = 1.25;
/** How long processes and cgroups may take to disappear after the run. */
const LEFTOVER_DEADLINE_MS = 3000;

function numberArg(name: string): number | undefined {
  const value = stringArg(name);
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`${name} needs a whole number ≥ 1, got ${value}`);
  return n;
}

function stringArg(name: string): string | undefined {
  const at = argv.indexOf(name);
  return at === -1 ? undefined : argv[at + 1];
}

function print(text = ""): void {
  process.stdout.write(`${text}\n`);
}

/** A function the benchmark measures. */
interface Subject {
  readonly contestant: Contestant;
  readonly kind: "fixture" | "heavy";
  readonly description: string;
}

/**
 * The heavy Node.js function: a package whose init loads the AWS SDK for JavaScript v3 Lambda client
 * (thaw's own devDependency, unbundled: its `@aws-sdk/*` and `@smithy/*` packages, 23 CommonJS
 * modules and 0.9 MiB of JavaScript at 3.1164) and builds a client, resolving its region; it answers
 * with its event. Its `node_modules` is a link to
 * thaw's, which the process and snapshot sandboxes see (they use the host's filesystem).
 */
function nodeHeavyPackage(dir: string): string {
  const sdk = join(THAW_ROOT, "node_modules", "@aws-sdk", "client-lambda");
  if (!existsSync(sdk))
    throw new Error(`${sdk} is missing: run npm ci (it is a devDependency)`);
  writeFileSync(
    join(dir, "index.mjs"),
    [
      'import { LambdaClient, ListFunctionsCommand } from "@aws-sdk/client-lambda";',
      "",
      "// Init: the SDK's module graph, a client with its configuration resolved; no request is sent.",
      "const client = new LambdaClient({",
      '  region: "us-east-1",',
      '  endpoint: "http://127.0.0.1:9",',
      "  maxAttempts: 3,",
      "});",
      "await client.config.region();",
      "new ListFunctionsCommand({ MaxItems: 1 });",
      "",
      "export const handler = async (event) => event;",
      "",
    ].join("\n"),
  );
  symlinkSync(join(THAW_ROOT, "node_modules"), join(dir, "node_modules"));
  return dir;
}

/** The functions measured, in order: each language's small function, then the heavy variants. */
async function subjects(work: string): Promise<{
  subjects: Subject[];
  skipped: { subject: string; reason: string }[];
}> {
  const skipped: { subject: string; reason: string }[] = [];
  const list: Subject[] = [];
  const fixtures = new Map(
    fixtureContestants().map((c) => [c.language, c] as const),
  );
  for (const language of ["rust", "go", "nodejs", "python"] as const) {
    const fixture = fixtures.get(language);
    if (fixture === undefined) continue;
    list.push({
      contestant: { ...fixture, id: `${language}-fixture` },
      kind: "fixture",
      description: `conformance fixture (${fixture.packagePath.replace(`${THAW_ROOT}/`, "")}), echoes its event`,
    });
  }
  const ids = ["java-hello", "python-realistic", "java-realistic"];
  const entries = CONTESTANTS.filter((c) => ids.includes(c.id));
  let war: Contestant[];
  try {
    war =
      contestantsBuilt(entries).missing.length === 0
        ? measureContestants(entries)
        : await ensureContestantsBuilt({ ids });
  } catch (error) {
    war = [];
    skipped.push({ subject: ids.join(", "), reason: reasonOf(error) });
  }
  const byId = new Map(war.map((c) => [c.id, c]));
  const javaHello = byId.get("java-hello");
  if (javaHello !== undefined)
    list.push({
      contestant: javaHello,
      kind: "fixture",
      description:
        "the war's java-hello (RequestHandler<Map, Map>, official runtime interface client, no AppCDS), echoes its event",
    });
  try {
    const path = nodeHeavyPackage(work);
    // Its own files; the SDK is behind the node_modules link, which is not counted.
    const size = measurePackage(path);
    list.push({
      contestant: {
        id: "nodejs-aws-sdk",
        language: "nodejs",
        variant: "hello",
        build: "unbundled",
        runtime: "nodejs20.x",
        handler: "index.handler",
        packagePath: path,
        packageBytes: size.bytes,
        packageFiles: size.files,
        toolchain: toolchainOf("nodejs"),
      },
      kind: "heavy",
      description:
        "imports @aws-sdk/client-lambda v3 unbundled (thaw's devDependency) and builds a LambdaClient at init, echoes its event",
    });
  } catch (error) {
    skipped.push({ subject: "nodejs-aws-sdk", reason: reasonOf(error) });
  }
  const heavy: readonly [string, string][] = [
    [
      "python-realistic",
      "the war's python-realistic: imports boto3 and botocore (2,400 files in the package), builds an S3 client at init",
    ],
    [
      "java-realistic",
      "the war's java-realistic (no AppCDS): Jackson, java.net.http and the AWS SDK v2 S3Client built at init",
    ],
  ];
  for (const [id, description] of heavy) {
    const contestant = byId.get(id);
    if (contestant !== undefined)
      list.push({ contestant, kind: "heavy", description });
  }
  return { subjects: list, skipped };
}

/**
 * The whole machine's busy CPU time so far, in ms: user, nice, system, irq, softirq and steal of
 * `/proc/stat`'s first line, in USER_HZ ticks (100 a second on Linux).
 */
function hostCpuMs(): number {
  const fields = (readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "")
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] =
    fields;
  return (user + nice + system + irq + softirq + steal) * 10;
}

/** Why a batch of `parallel` clones would not fit in memory, or undefined when it fits. */
function wontFit(parallel: number, memoryMB: number): string | undefined {
  const needed = parallel * memoryMB * 2 ** 20;
  const budget = FIT_SHARE * totalmem();
  return needed <= budget
    ? undefined
    : `${parallel} × ${memoryMB} MB = ${gib(needed)} GiB is more than ${String(FIT_SHARE * 100)} % of this machine's ${gib(totalmem())} GiB`;
}

function gib(bytes: number): string {
  return (bytes / 2 ** 30).toFixed(1);
}

/** Measures one function from end to end; its snapshot is dropped after. */
async function measure(
  subject: Subject,
  lab: SnapStartLab,
  backend: SandboxBackend,
  failures: string[],
): Promise<SnapStartSubjectResult> {
  const { contestant } = subject;
  const initDurationMs: number[] = [];
  const plainFirstInvokeMs: number[] = [];
  // One warm-up (page cache, the runtime's files), then the samples.
  let cpuFrom = 0;
  for (let i = 0; i <= RUNS; i += 1) {
    if (i === 1) cpuFrom = hostCpuMs();
    const result = await coldInvoke(contestant, backend, {
      memoryMB: MEMORY_MB,
    });
    const problem = answerProblem(contestant, WAR_PAYLOAD, result.body);
    if (problem !== undefined) throw new Error(`plain cold start: ${problem}`);
    if (i === 0) continue;
    initDurationMs.push(result.init.durationMs);
    plainFirstInvokeMs.push(result.phases.invokeMs);
  }
  const plainCpuMs = (hostCpuMs() - cpuFrom) / RUNS;
  const snap = await lab.snapshot(contestant, MEMORY_MB);
  try {
    return await restores(subject, lab, snap, failures, {
      initDurationMs,
      firstInvokeMs: plainFirstInvokeMs,
      hostCpuMsPerStart: plainCpuMs,
    });
  } finally {
    lab.drop(snap);
  }
}

/** The restores of one snapshot: one at a time, then the batches. */
async function restores(
  subject: Subject,
  lab: SnapStartLab,
  snap: LabSnapshot,
  failures: string[],
  plain: {
    initDurationMs: number[];
    firstInvokeMs: number[];
    hostCpuMsPerStart: number;
  },
): Promise<SnapStartSubjectResult> {
  const { contestant } = subject;
  const restoreDurationMs: number[] = [];
  const criuRestoreMs: number[] = [];
  const firstInvokeMs: number[] = [];
  const maxMemoryUsedMB: number[] = [];
  const parallel: ParallelRestoreResult[] = [];
  const parallelSkipped: { parallel: number; reason: string }[] = [];
  // The held clone is the warm-up restore, and keeps the snapshot backend's fork server up.
  const holder = await lab.hold(snap);
  let hostCpuMsPerRestore: number;
  try {
    const cpuFrom = hostCpuMs();
    for (let i = 0; i < RUNS; i += 1) {
      const run = await lab.restore(snap, cloneEvent(i));
      restoreDurationMs.push(run.restoreMs);
      criuRestoreMs.push(run.criuRestoreMs);
      firstInvokeMs.push(run.firstInvokeMs);
      maxMemoryUsedMB.push(run.maxMemoryUsedMB);
    }
    hostCpuMsPerRestore = (hostCpuMs() - cpuFrom) / RUNS;
    const alone = summarize(restoreDurationMs).p50;
    for (const n of PARALLEL) {
      const reason = wontFit(n, MEMORY_MB);
      if (reason !== undefined) {
        parallelSkipped.push({ parallel: n, reason });
        continue;
      }
      const cpuFrom = hostCpuMs();
      const batch = await lab.restoreMany(snap, n);
      const hostCpuMsPerClone = (hostCpuMs() - cpuFrom) / n;
      if (batch.errors > 0)
        failures.push(
          `${contestant.id}: ${String(batch.errors)} of ${String(n)} clones failed: ${batch.firstErrors.join("; ")}`,
        );
      const durations = batch.runs.map((r) => r.restoreMs);
      const summary = summarize(durations);
      parallel.push({
        parallel: n,
        errors: batch.errors,
        firstErrors: batch.firstErrors,
        wallMs: batch.wallMs,
        restoreDurationMs: durations,
        restoreDuration: summary,
        answeredMs: batch.runs.map((r) => r.answeredMs),
        hostCpuMsPerClone,
        p50OverAlone: summary.p50 / alone,
      });
    }
  } finally {
    await holder.release();
  }
  const initDuration = summarize(plain.initDurationMs);
  const restoreDuration = summarize(restoreDurationMs);
  return {
    id: contestant.id,
    language: contestant.language,
    kind: subject.kind,
    description: subject.description,
    runtime: contestant.runtime,
    memoryMB: MEMORY_MB,
    plain: {
      initDurationMs: plain.initDurationMs,
      firstInvokeMs: plain.firstInvokeMs,
      initDuration,
      firstInvoke: summarize(plain.firstInvokeMs),
      hostCpuMsPerStart: plain.hostCpuMsPerStart,
    },
    snapshot: {
      templateInitMs: snap.templateInitMs,
      dumpMs: snap.dumpMs,
      imageBytes: snap.imageBytes,
      takenMs: snap.takenMs,
    },
    restore: {
      restoreDurationMs,
      criuRestoreMs,
      firstInvokeMs,
      maxMemoryUsedMB,
      restoreDuration,
      criuRestore: summarize(criuRestoreMs),
      firstInvoke: summarize(firstInvokeMs),
      hostCpuMsPerRestore,
    },
    restoreOverInit: restoreDuration.p50 / initDuration.p50,
    parallel,
    parallelSkipped,
  };
}

/** The entries of the snapshot backend's socket folder (`/run/thaw`). */
function socketEntries(): string[] {
  try {
    return readdirSync(SOCKET_DIR);
  } catch {
    return [];
  }
}

/**
 * Waits until nothing the run made is left: processes below this one, its cgroups, entries of the
 * socket folder that were not there before the run (`before`).
 */
async function leftovers(before: ReadonlySet<string>): Promise<{
  processes: number;
  cgroups: number;
  sockets: string[];
}> {
  const deadline = performance.now() + LEFTOVER_DEADLINE_MS;
  for (;;) {
    const processes = descendantProcesses(process.pid).length;
    const cgroups = thawCgroups(process.pid).length;
    const sockets = socketEntries().filter((name) => !before.has(name));
    const clean = processes === 0 && cgroups === 0 && sockets.length === 0;
    if (clean || performance.now() > deadline)
      return { processes, cgroups, sockets };
    await sleep(20);
  }
}

const f1 = (value: number): string =>
  Number.isFinite(value) ? value.toFixed(1) : "–";
const f2 = (value: number): string =>
  Number.isFinite(value) ? value.toFixed(2) : "–";

/** Lines of a table: the first column left-aligned, the others right-aligned. */
function table(header: readonly string[], rows: readonly string[][]): string[] {
  const widths = header.map((h, i) =>
    Math.max(h.length, ...rows.map((row) => row[i]?.length ?? 0)),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) =>
        i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0),
      )
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

function sequentialTable(results: readonly SnapStartSubjectResult[]): string[] {
  return table(
    [
      "function",
      "init p50",
      "1st inv",
      "template init",
      "dump",
      "image MiB",
      "restore p50",
      "p90",
      "criu",
      "1st inv",
      "restore÷init",
      "CPU init",
      "CPU restore",
    ],
    results.map((r) => [
      `${r.id} (${r.kind})`,
      f1(r.plain.initDuration.p50),
      f1(r.plain.firstInvoke.p50),
      f1(r.snapshot.templateInitMs),
      f1(r.snapshot.dumpMs),
      f1(r.snapshot.imageBytes / 2 ** 20),
      f1(r.restore.restoreDuration.p50),
      f1(r.restore.restoreDuration.p90),
      f1(r.restore.criuRestore.p50),
      f1(r.restore.firstInvoke.p50),
      f2(r.restoreOverInit),
      f1(r.plain.hostCpuMsPerStart),
      f1(r.restore.hostCpuMsPerRestore),
    ]),
  );
}

function parallelTable(results: readonly SnapStartSubjectResult[]): string[] {
  const rows: string[][] = [];
  for (const r of results) {
    rows.push([
      r.id,
      "1",
      "0",
      f1(r.restore.restoreDuration.p50),
      f1(r.restore.restoreDuration.p90),
      "–",
      "–",
      "1.00",
      f1(r.restore.hostCpuMsPerRestore),
    ]);
    for (const p of r.parallel) {
      rows.push([
        "",
        String(p.parallel),
        String(p.errors),
        f1(p.restoreDuration.p50),
        f1(p.restoreDuration.p90),
        f1(p.wallMs),
        f1(p.wallMs / p.parallel),
        f2(p.p50OverAlone),
        f1(p.hostCpuMsPerClone),
      ]);
    }
    for (const s of r.parallelSkipped)
      rows.push(["", String(s.parallel), `skipped: ${s.reason}`]);
  }
  return table(
    [
      "function",
      "clones",
      "errors",
      "restore p50",
      "p90",
      "wall",
      "wall÷clones",
      "p50÷alone",
      "CPU/clone",
    ],
    rows,
  );
}

function goalsOf(results: readonly SnapStartSubjectResult[]): SnapStartGoal[] {
  const goals: SnapStartGoal[] = [];
  for (const r of results) {
    if (r.kind === "heavy")
      goals.push({
        goal: `restore ≤ ${String(RESTORE_SHARE_GOAL * 100)} % of init`,
        subject: r.id,
        value: r.restoreOverInit,
        met: r.restoreOverInit <= RESTORE_SHARE_GOAL,
      });
  }
  for (const r of results) {
    const largest = r.parallel.at(-1);
    if (largest === undefined) continue;
    goals.push({
      goal: `restore per clone independent of how many run (p50 at ${String(largest.parallel)} ÷ p50 alone ≤ ${String(INDEPENDENT_RATIO)})`,
      subject: r.id,
      value: largest.p50OverAlone,
      met: largest.p50OverAlone <= INDEPENDENT_RATIO,
    });
  }
  return goals;
}

async function main(): Promise<void> {
  const run = await BenchRun.start(
    "snapstart",
    `SnapStart benchmark (${QUICK ? "quick" : "full"}: ${String(RUNS)} plain cold starts and ${String(RUNS)} restores per function, then ${PARALLEL.join(", ")} clones at once)`,
  );
  const startedAt = performance.now();
  const failures: string[] = [];
  const unavailable = await SnapStartLab.unavailable();
  if (unavailable !== undefined) {
    print(`SnapStart cannot be measured here: ${unavailable}`);
    process.exitCode = 1;
    return;
  }
  const criu = await probeCriu();
  print(
    `CRIU ${criu.version ?? "?"} (${criu.location?.source ?? "?"}); memory ${String(MEMORY_MB)} MB per function; process backend, cpu shares; times in ms`,
  );
  const socketsBefore = new Set(socketEntries());
  const work = mkdtempSync(join(tmpdir(), "thaw-snapstart-bench-"));
  const results: SnapStartSubjectResult[] = [];
  const skipped: { subject: string; reason: string }[] = [];
  let labFolder: string;
  try {
    const found = await subjects(work);
    skipped.push(...found.skipped);
    // One process backend, its fork server kept running, for every plain cold start.
    labFolder = await withWarmBackend(
      { backend: "process" },
      async (backend) => {
        const lab = await SnapStartLab.open({ fallbackBackend: backend });
        try {
          for (const subject of found.subjects.filter(
            (s) => ONLY.length === 0 || ONLY.includes(s.contestant.id),
          )) {
            const subjectStartedAt = performance.now();
            try {
              const result = await measure(subject, lab, backend, failures);
              results.push(result);
              print(
                `  ${result.id}: init p50 ${f1(result.plain.initDuration.p50)}, restore p50 ${f1(result.restore.restoreDuration.p50)}, image ${f1(result.snapshot.imageBytes / 2 ** 20)} MiB, clones ${result.parallel.map((p) => `${String(p.parallel)}: p50 ${f1(p.restoreDuration.p50)}`).join(", ")} (${((performance.now() - subjectStartedAt) / 1000).toFixed(1)} s)`,
              );
            } catch (error) {
              skipped.push({
                subject: subject.contestant.id,
                reason: reasonOf(error),
              });
              failures.push(`${subject.contestant.id}: ${reasonOf(error)}`);
              print(`  ${subject.contestant.id}: FAILED: ${reasonOf(error)}`);
            }
          }
        } finally {
          lab.close();
        }
        return lab.folder;
      },
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const snapshotDirRemoved = !existsSync(labFolder);
  const left = await leftovers(socketsBefore);
  if (left.processes > 0 || left.cgroups > 0 || left.sockets.length > 0)
    failures.push(
      `left behind: ${String(left.processes)} processes, ${String(left.cgroups)} cgroups, ${left.sockets.length === 0 ? "no" : left.sockets.join(" ")} entries of ${SOCKET_DIR}`,
    );

  print();
  print(
    "Plain on-demand init against restore, one at a time (medians; ms; n = " +
      `${String(RUNS)} each; template init = one sample, under thaw-init's namespaces; ` +
      "CPU = the machine's busy CPU time per start):",
  );
  for (const line of sequentialTable(results)) print(`  ${line}`);
  print();
  print(
    "Clones restored at once from one snapshot (Restore Duration per clone; ms; clones 1 = one at a time, " +
      "as above; CPU = the machine's busy CPU time per clone):",
  );
  for (const line of parallelTable(results)) print(`  ${line}`);
  const goals = goalsOf(results);
  print();
  print("Goals (figures, not assertions):");
  for (const g of goals)
    print(
      `  ${g.met ? "met   " : "missed"}  ${g.subject}: ${g.goal}: ${f2(g.value)}`,
    );
  for (const s of skipped) print(`  not measured: ${s.subject}: ${s.reason}`);
  print(
    `clean-up: ${String(left.processes)} processes, ${String(left.cgroups)} cgroups, ${String(left.sockets.length)} entries of ${SOCKET_DIR} left; snapshot folder ${snapshotDirRemoved ? "removed" : "NOT removed"}`,
  );
  const durationSeconds = (performance.now() - startedAt) / 1000;
  print(`took ${durationSeconds.toFixed(1)} s`);
  const file: SnapStartBenchResults = {
    version: SNAPSTART_RESULTS_VERSION,
    tool: "bench:snapstart",
    generatedAt: run.generatedAt,
    mode: QUICK ? "quick" : "full",
    machine: {
      ...run.machine,
      kernel: release(),
      cgroup: existsSync("/sys/fs/cgroup/cgroup.controllers") ? "v2" : "v1",
      criu: criu.version ?? "unknown",
    },
    settings: { runs: RUNS, parallel: PARALLEL, cpu: "shares" },
    subjects: results,
    goals,
    skipped,
    leftovers: { ...left, snapshotDirRemoved },
    durationSeconds,
  };
  await run.finish(file, failures, JSON_OUT ?? run.resultsPath(".json"));
}

await main();
