/**
 * The `thaw serve` benchmark (`npm run bench:serve [-- --quick] [-- --cpu-prof]`): starts the real
 * CLI, `thaw serve`, as a child process and drives its Invoke API and control plane over plain
 * `node:http` keep-alive connections, next to floors measured in the same run:
 * 1. floors: one HTTP round trip to a minimal Node server in another process (thaw's warm path
 *    has two such hops: Invoke API, then Runtime API); a bare relay of the same two hops to the
 *    same Rust Runtime with none of thaw in between (the direct long-poll round trip); a bare
 *    spawn → exit of the Rust fixture;
 * 2. warm Invocations of the Rust fixture with 1 and 2 clients: latency, throughput, and the
 *    overhead over the direct long-poll round trip;
 * 3. 100 cold starts at once on one fresh function;
 * 4. 1,000 functions, each invoked once, 100 in flight;
 * 5. one cold start at a time with few and with 1,000 functions registered (5b), and again once
 *    those 1,000 have their environments alive, frozen (5c);
 * 6. the serve process's resident memory after each scenario.
 * Prints a table, and writes raw samples and aggregates to `.thaw/bench/serve-<timestamp>.json`.
 * Goals are printed next to the figures, never asserted; the exit status is 1 only when something
 * failed (an Invocation error where there must be none, or serve not exiting 0 on SIGTERM).
 * `--cpu-prof` runs the serve process under `node --cpu-prof` (profile under `.thaw/bench/`);
 * `--backend process|namespace` chooses the sandbox backend (default: thaw's default).
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { DEFAULT_BACKEND } from "../app/backends.js";
import { THAW_ROOT } from "../config/paths.js";
import { BenchRun } from "./bench-run.js";
import { ServeChild } from "./serve-child.js";
import { runClosedLoop, type ClosedLoopResult } from "./serve-closed-loop.js";
import { RUST_BOOTSTRAP, rustFunctionZip } from "./serve-function-zip.js";
import { ServeHttpClient, type HttpReply } from "./serve-http-client.js";
import { mapConcurrent } from "./serve-map-concurrent.js";
import {
  SERVE_RESULTS_VERSION,
  type ColdBurst,
  type ColdSeries,
  type LoadRun,
  type RssSample,
  type ServeBenchResults,
} from "./serve-results.js";
import { summarize, type SampleSummary } from "./serve-stats.js";
import { readStatus } from "./serve-status.js";
import { ThawServeChild } from "./thaw-serve-child.js";

const QUICK = process.argv.includes("--quick");
/** The sandbox backend `thaw serve` runs (`--backend process|namespace`); its default otherwise. */
const BACKEND_ARG = process.argv.indexOf("--backend");
const BACKEND =
  BACKEND_ARG === -1 ? DEFAULT_BACKEND : (process.argv[BACKEND_ARG + 1] ?? "");
const CPU_PROF = process.argv.includes("--cpu-prof");

/** Sample counts and durations; `--quick` trades precision for a run under 40 s. */
const SETTINGS = {
  spawnSamples: QUICK ? 20 : 50,
  warmupMs: QUICK ? 400 : 1_000,
  loadMs: QUICK ? 1_500 : 5_000,
  parallelColdStarts: 100,
  fleetFunctions: QUICK ? 300 : 1_000,
  fleetConcurrency: 100,
  registrationConcurrency: 8,
  coldSamples: QUICK ? 8 : 25,
  /** Longer than the whole run: nothing is reaped while it measures (see docs/benchmarks.md). */
  keepAliveSeconds: 600,
} as const;

/** Goals printed next to the figures (never asserted). */
const GOALS = { overheadP50Us: 150, invokesPerSecond: 5_000 } as const;

const WARM_FUNCTION = "rust-fn";
const INVOKE_PAYLOAD = Buffer.from('{"bench":"serve"}');
const CONTEXT_PAYLOAD = Buffer.from('{"action":"context"}');
const FLOOR_SERVER = join(
  THAW_ROOT,
  "dist",
  "src",
  "bench",
  "serve-floor-server.js",
);
const RELAY_FLOOR = join(
  THAW_ROOT,
  "dist",
  "src",
  "bench",
  "serve-relay-floor.js",
);

const out = (text = ""): void => {
  process.stdout.write(`${text}\n`);
};

function invocationsPath(name: string): string {
  return `/2015-03-31/functions/${encodeURIComponent(name)}/invocations`;
}

function functionPath(name: string): string {
  return `/2015-03-31/functions/${encodeURIComponent(name)}`;
}

/** A short description of an unexpected answer, for the report. */
function describeReply(reply: HttpReply): string {
  const type =
    reply.headers["x-amz-function-error"] ??
    reply.headers["x-amzn-errortype"] ??
    "";
  return `${reply.status} ${String(type)} ${reply.body.toString("utf8", 0, 200)}`.trim();
}

function isCleanInvocation(reply: HttpReply): boolean {
  return (
    reply.status === 200 && reply.headers["x-amz-function-error"] === undefined
  );
}

// ---- The control plane, as the AWS CLI uses it -------------------------------------------------

/** CreateFunction bodies share everything but the name: the base64 zip is encoded once. */
function createFunctionBodies(zip: Buffer): (name: string) => Buffer {
  const rest = Buffer.from(
    JSON.stringify({
      Runtime: "provided.al2023",
      Handler: "bootstrap",
      Role: "arn:aws:iam::000000000000:role/lambda",
      MemorySize: 128,
      Timeout: 30,
      Code: { ZipFile: zip.toString("base64") },
    }).slice(1),
  );
  return (name) =>
    Buffer.concat([
      Buffer.from(`{"FunctionName":${JSON.stringify(name)},`),
      rest,
    ]);
}

async function createFunction(
  client: ServeHttpClient,
  body: Buffer,
  name: string,
): Promise<void> {
  const reply = await client.post("/2015-03-31/functions", body);
  if (reply.status !== 201)
    throw new Error(`CreateFunction ${name}: ${describeReply(reply)}`);
}

/** Polls GetFunction under a deadline until `State` is `Active`, as the SDK's waiter does. */
async function waitActive(
  client: ServeHttpClient,
  name: string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const reply = await client.get(functionPath(name));
    if (reply.status !== 200)
      throw new Error(`GetFunction ${name}: ${describeReply(reply)}`);
    const state = (
      JSON.parse(reply.body.toString("utf8")) as {
        Configuration?: { State?: unknown };
      }
    ).Configuration?.State;
    if (state === "Active") return;
    if (state === "Failed")
      throw new Error(`${name} is Failed: ${reply.body.toString("utf8")}`);
    if (performance.now() > deadline)
      throw new Error(
        `${name} not Active after ${timeoutMs} ms (${String(state)})`,
      );
    await delay(2);
  }
}

async function deleteFunction(
  client: ServeHttpClient,
  name: string,
): Promise<void> {
  const reply = await client.delete(functionPath(name));
  if (reply.status !== 204)
    throw new Error(`DeleteFunction ${name}: ${describeReply(reply)}`);
}

// ---- Measurements ------------------------------------------------------------------------------

function toLoadRun(result: ClosedLoopResult, durationMs: number): LoadRun {
  return {
    clients: result.clients,
    durationMs,
    calls: result.latenciesUs.length,
    errors: result.errors,
    firstError: result.firstError,
    callsPerSecond: result.callsPerSecond,
    latencyUs: summarize(result.latenciesUs),
    latenciesUs: result.latenciesUs.map((us) => Math.round(us * 10) / 10),
  };
}

/** Warms up with `clients` callers, then measures them for `SETTINGS.loadMs`. */
async function measureLoad(
  origin: string,
  path: string,
  clients: number,
  check: (reply: HttpReply) => boolean,
): Promise<LoadRun> {
  const client = new ServeHttpClient(origin, { maxSockets: clients });
  try {
    const call = async (): Promise<boolean> =>
      check(await client.post(path, INVOKE_PAYLOAD));
    await runClosedLoop(call, { clients, durationMs: SETTINGS.warmupMs });
    const result = await runClosedLoop(call, {
      clients,
      durationMs: SETTINGS.loadMs,
    });
    return toLoadRun(result, SETTINGS.loadMs);
  } finally {
    client.close();
  }
}

/** Milliseconds from spawn() to exit of `command` with an empty environment. */
function timeSpawn(command: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, [], { stdio: "ignore", env: {} });
    child.once("error", reject);
    child.once("exit", () => {
      resolve(performance.now() - started);
    });
  });
}

/** Opens `count` keep-alive sockets ahead, so cold-start latencies carry no TCP handshake. */
async function openSockets(
  client: ServeHttpClient,
  count: number,
): Promise<void> {
  const calls: Promise<HttpReply>[] = [];
  for (let i = 0; i < count; i += 1)
    calls.push(client.get("/2016-08-19/account-settings"));
  await Promise.all(calls);
}

interface TimedInvocation {
  readonly ms: number;
  readonly error: string | undefined;
  readonly body: Buffer;
}

async function timedInvoke(
  client: ServeHttpClient,
  name: string,
  payload: Buffer,
): Promise<TimedInvocation> {
  const started = performance.now();
  try {
    const reply = await client.post(invocationsPath(name), payload);
    const ms = performance.now() - started;
    return {
      ms,
      error: isCleanInvocation(reply) ? undefined : describeReply(reply),
      body: reply.body,
    };
  } catch (error) {
    return {
      ms: performance.now() - started,
      error: error instanceof Error ? error.message : String(error),
      body: Buffer.alloc(0),
    };
  }
}

function toColdBurst(
  results: readonly TimedInvocation[],
  concurrency: number,
  wallMs: number,
): ColdBurst {
  const latenciesMs = results.map((r) => Math.round(r.ms * 1000) / 1000);
  const failures = results.flatMap((r) =>
    r.error === undefined ? [] : [r.error],
  );
  return {
    invocations: results.length,
    concurrency,
    errors: failures.length,
    firstErrors: failures.slice(0, 5),
    wallMs,
    latencyMs: summarize(latenciesMs),
    latenciesMs,
  };
}

/**
 * Cold starts one at a time: creates `samples + 1` fresh functions and waits until every one is
 * Active, then invokes each once, in turn (the first is a warm-up), and deletes them all.
 * Creating them first keeps the control plane's work (parsing and hashing each 1 MB upload) and
 * the teardown of deleted functions' environments out of the measured cold starts.
 */
async function coldSeries(
  client: ServeHttpClient,
  bodyFor: (name: string) => Buffer,
  prefix: string,
  samples: number,
): Promise<ColdSeries> {
  const names: string[] = [];
  for (let i = 0; i <= samples; i += 1)
    names.push(`${prefix}-${String(i).padStart(3, "0")}`);
  for (const name of names) await createFunction(client, bodyFor(name), name);
  for (const name of names) await waitActive(client, name);
  const { registeredFunctions } = await readStatus(client);
  const latenciesMs: number[] = [];
  let errors = 0;
  for (const [i, name] of names.entries()) {
    const invocation = await timedInvoke(client, name, INVOKE_PAYLOAD);
    if (i === 0) continue;
    latenciesMs.push(Math.round(invocation.ms * 1000) / 1000);
    if (invocation.error !== undefined) errors += 1;
  }
  for (const name of names) await deleteFunction(client, name);
  return {
    registeredFunctions,
    errors,
    latencyMs: summarize(latenciesMs),
    latenciesMs,
  };
}

// ---- Printing ----------------------------------------------------------------------------------

const NUMBER = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

function us(value: number): string {
  return `${value.toFixed(1)} µs`;
}

function ms(value: number): string {
  return `${value.toFixed(2)} ms`;
}

function loadLine(name: string, run: LoadRun): string {
  return `${name.padEnd(44)} p50 ${us(run.latencyUs.p50).padStart(10)}  p99 ${us(run.latencyUs.p99).padStart(10)}  ${NUMBER.format(run.callsPerSecond).padStart(7)} calls/s  n=${NUMBER.format(run.calls)}${run.errors > 0 ? `  ERRORS ${run.errors}: ${run.firstError ?? ""}` : ""}`;
}

function msLine(name: string, summary: SampleSummary, extra = ""): string {
  return `${name.padEnd(44)} p50 ${ms(summary.p50).padStart(10)}  p99 ${ms(summary.p99).padStart(10)}  n=${summary.count}${extra}`;
}

function coldSeriesLine(
  series: ColdSeries,
  baseline: ColdSeries | undefined,
): string {
  const line = msLine(
    `cold invoke, ${NUMBER.format(series.registeredFunctions)} functions registered`,
    series.latencyMs,
    series.errors > 0 ? `  ERRORS ${series.errors}` : "",
  );
  if (baseline === undefined) return line;
  return `${line}\n  p50 ÷ p50 with ${baseline.registeredFunctions} functions: ×${(series.latencyMs.p50 / baseline.latencyMs.p50).toFixed(2)} (flat is ×1)`;
}

function goalText(met: boolean): string {
  return met ? "met" : "NOT met";
}

function kib(value: number): string {
  return `${(value / 1024).toFixed(1)} MiB`;
}

// ---- The run -----------------------------------------------------------------------------------

function templateText(): string {
  return [
    'AWSTemplateFormatVersion: "2010-09-09"',
    "Transform: AWS::Serverless-2016-10-31",
    "Description: thaw serve benchmark",
    "Resources:",
    "  RustFunction:",
    "    Type: AWS::Serverless::Function",
    "    Properties:",
    `      FunctionName: ${WARM_FUNCTION}`,
    `      CodeUri: ${JSON.stringify(join(THAW_ROOT, "build", "fixtures", "rust"))}`,
    "      Handler: bootstrap",
    "      Runtime: provided.al2023",
    "      MemorySize: 128",
    "      Timeout: 30",
    "",
  ].join("\n");
}

async function main(): Promise<void> {
  const run = await BenchRun.start(
    "serve",
    `thaw serve benchmark (${QUICK ? "quick" : "full"} run, ${BACKEND} backend)`,
  );
  out();

  const zip = await rustFunctionZip();
  const bodyFor = createFunctionBodies(zip);
  const profileDir = run.resultsPath("-cpuprof");
  let floor: ServeChild | undefined;
  let serve: ThawServeChild | undefined;
  let control: ServeHttpClient | undefined;
  try {
    serve = await ThawServeChild.start(templateText(), {
      name: "serve",
      keepAliveSeconds: SETTINGS.keepAliveSeconds,
      backend: BACKEND,
      nodeArgs: CPU_PROF ? ["--cpu-prof", "--cpu-prof-dir", profileDir] : [],
    });
    const served = serve.child;
    control = new ServeHttpClient(served.url, { maxSockets: 8 });
    const controlClient = control;
    out(
      `thaw serve listening on ${served.url} after ${ms(served.startupMs)} (pid ${served.pid})`,
    );
    const rss: RssSample[] = [];
    const sampleRss = async (at: string): Promise<RssSample> => {
      const status = await readStatus(controlClient);
      const sample: RssSample = {
        at,
        rssKiB: await served.rssKiB(),
        registeredFunctions: status.registeredFunctions,
        environments: status.byState,
        environmentsTotal: status.total,
      };
      rss.push(sample);
      return sample;
    };
    await sampleRss("start");

    // 1. Floors.
    out("\n1. Floors");
    floor = await ServeChild.start(process.execPath, [FLOOR_SERVER], {
      label: "floor server",
    });
    const echoes = (reply: HttpReply): boolean =>
      reply.status === 200 && reply.body.equals(INVOKE_PAYLOAD);
    const floorOne = await measureLoad(floor.url, "/", 1, echoes);
    out(loadLine("HTTP round trip to a bare server, 1 client", floorOne));
    const floorTwo = await measureLoad(floor.url, "/", 2, echoes);
    out(loadLine("HTTP round trip to a bare server, 2 clients", floorTwo));
    await floor.stop();
    floor = undefined;
    const relayRuns: LoadRun[] = [];
    for (const clients of [1, 2]) {
      floor = await ServeChild.start(
        process.execPath,
        [RELAY_FLOOR, "--runtimes", String(clients)],
        { label: "relay floor" },
      );
      const run = await measureLoad(floor.url, "/", clients, echoes);
      out(
        loadLine(
          `relay to the Rust Runtime, ${clients} client${clients === 1 ? "" : "s"}`,
          run,
        ),
      );
      relayRuns.push(run);
      await floor.stop();
      floor = undefined;
    }
    const [relayOne, relayTwo] = relayRuns as [LoadRun, LoadRun];
    for (let i = 0; i < 3; i += 1) await timeSpawn(RUST_BOOTSTRAP);
    const spawnMs: number[] = [];
    for (let i = 0; i < SETTINGS.spawnSamples; i += 1)
      spawnMs.push(Math.round((await timeSpawn(RUST_BOOTSTRAP)) * 1000) / 1000);
    const spawnSummary = summarize(spawnMs);
    out(msLine("spawn → exit of the Rust bootstrap", spawnSummary));

    // 2. Warm Invocations.
    out(
      `\n2. Warm Invocations of ${WARM_FUNCTION} (Invoke API → Runtime API → Rust)`,
    );
    const warmCheck = (reply: HttpReply): boolean =>
      isCleanInvocation(reply) && reply.body.equals(INVOKE_PAYLOAD);
    const warmPath = invocationsPath(WARM_FUNCTION);
    const warmOne = await measureLoad(served.url, warmPath, 1, warmCheck);
    out(loadLine("warm invoke, 1 client", warmOne));
    const warmTwo = await measureLoad(served.url, warmPath, 2, warmCheck);
    out(loadLine("warm invoke, 2 clients", warmTwo));
    // The goal's floor is the direct long-poll round trip: the same client, the same two hops
    // and the same Runtime parked in /next, with nothing of thaw in between (the relay floor).
    const overheadP50Us = warmOne.latencyUs.p50 - relayOne.latencyUs.p50;
    const overheadP99Us = warmOne.latencyUs.p99 - relayOne.latencyUs.p99;
    const ratioP50 = warmOne.latencyUs.p50 / relayOne.latencyUs.p50;
    const overOneHopP50Us = warmOne.latencyUs.p50 - floorOne.latencyUs.p50;
    const twoHopFloorP50Us = 2 * floorOne.latencyUs.p50;
    const overheadGoal = {
      goal: `overhead ≤ ${GOALS.overheadP50Us} µs p50`,
      value: overheadP50Us,
      met: overheadP50Us <= GOALS.overheadP50Us,
    };
    const throughputGoal = {
      goal: `≥ ${NUMBER.format(GOALS.invokesPerSecond)} invokes/s on 2 cores`,
      value: warmTwo.callsPerSecond,
      met: warmTwo.callsPerSecond >= GOALS.invokesPerSecond,
    };
    out(
      `  overhead over the direct long-poll round trip (relay floor), p50: ${us(overheadP50Us)} (×${ratioP50.toFixed(2)}); p99: ${us(overheadP99Us)} — goal ${overheadGoal.goal}: ${goalText(overheadGoal.met)}`,
    );
    out(
      `  over one bare HTTP hop, p50: ${us(overOneHopP50Us)} (×${(warmOne.latencyUs.p50 / floorOne.latencyUs.p50).toFixed(2)}); the two hops alone (2 × that floor): ${us(twoHopFloorP50Us)}`,
    );
    out(
      `  2 clients: ${NUMBER.format(warmTwo.callsPerSecond)} vs ${NUMBER.format(relayTwo.callsPerSecond)} calls/s on the relay floor`,
    );
    out(
      `  throughput, 2 clients: ${NUMBER.format(warmTwo.callsPerSecond)} invokes/s — goal ${throughputGoal.goal}: ${goalText(throughputGoal.met)} (the client shares the 2 cores)`,
    );
    const afterWarm = await sampleRss("after warm invokes");

    // 5a. Cold start with (almost) nothing registered.
    out("\n5a. Cold start, few functions registered (one at a time)");
    const small = await coldSeries(
      controlClient,
      bodyFor,
      "bench-cold-small",
      SETTINGS.coldSamples,
    );
    out(coldSeriesLine(small, undefined));
    await sampleRss("after cold starts (few functions)");

    // 3. 100 cold starts at once.
    out(
      `\n3. ${SETTINGS.parallelColdStarts} cold starts at once, one function`,
    );
    const parallelName = "bench-parallel";
    await createFunction(controlClient, bodyFor(parallelName), parallelName);
    await waitActive(controlClient, parallelName);
    const burstClient = new ServeHttpClient(served.url, {
      maxSockets: SETTINGS.parallelColdStarts,
    });
    let parallel: ServeBenchResults["parallelColdStarts"];
    try {
      await openSockets(burstClient, SETTINGS.parallelColdStarts);
      const started = performance.now();
      const calls: Promise<TimedInvocation>[] = [];
      for (let i = 0; i < SETTINGS.parallelColdStarts; i += 1)
        calls.push(timedInvoke(burstClient, parallelName, CONTEXT_PAYLOAD));
      const results = await Promise.all(calls);
      const wallMs = performance.now() - started;
      const streams = new Set<string>();
      for (const result of results) {
        if (result.error !== undefined) continue;
        const seen = (
          JSON.parse(result.body.toString("utf8")) as {
            logStreamName?: unknown;
          }
        ).logStreamName;
        if (typeof seen === "string") streams.add(seen);
      }
      const status = await readStatus(controlClient);
      parallel = {
        ...toColdBurst(results, SETTINGS.parallelColdStarts, wallMs),
        functionName: parallelName,
        distinctEnvironments: streams.size,
        statusPageEnvironments: status.byFunction.get(parallelName) ?? 0,
      };
    } finally {
      burstClient.close();
    }
    out(
      msLine(
        `${parallel.invocations} invokes at once`,
        parallel.latencyMs,
        `  first ${ms(parallel.latencyMs.min)}  wall ${ms(parallel.wallMs)}  errors ${parallel.errors}${parallel.errors > 0 ? ` (${parallel.firstErrors[0] ?? ""})` : ""}`,
      ),
    );
    out(
      `  distinct environments (log streams): ${parallel.distinctEnvironments}; on the status page: ${parallel.statusPageEnvironments}`,
    );
    await sampleRss(
      `after ${SETTINGS.parallelColdStarts} parallel cold starts`,
    );

    // 4. 1,000 functions, one cold start each, 100 in flight.
    out(
      `\n4. ${NUMBER.format(SETTINGS.fleetFunctions)} functions, one cold start each, ${SETTINGS.fleetConcurrency} in flight`,
    );
    const fleetNames: string[] = [];
    for (let i = 0; i < SETTINGS.fleetFunctions; i += 1)
      fleetNames.push(`bench-fleet-${String(i).padStart(4, "0")}`);
    const registerClient = new ServeHttpClient(served.url, {
      maxSockets: SETTINGS.registrationConcurrency,
    });
    let registrationMs: number;
    try {
      const registerStarted = performance.now();
      await mapConcurrent(
        fleetNames,
        SETTINGS.registrationConcurrency,
        async (name) => {
          await createFunction(registerClient, bodyFor(name), name);
        },
      );
      await mapConcurrent(
        fleetNames,
        SETTINGS.registrationConcurrency,
        (name) => waitActive(registerClient, name),
      );
      registrationMs = performance.now() - registerStarted;
    } finally {
      registerClient.close();
    }
    out(
      `  registered (CreateFunction until Active) in ${ms(registrationMs)}: ${NUMBER.format((SETTINGS.fleetFunctions * 1000) / registrationMs)} functions/s`,
    );
    await sampleRss(
      `after registering ${NUMBER.format(SETTINGS.fleetFunctions)} functions`,
    );

    // 5b. Cold start with 1,000 functions registered, none of them invoked yet.
    out(
      `\n5b. Cold start, ${NUMBER.format(SETTINGS.fleetFunctions)} more functions registered, no environments for them (one at a time)`,
    );
    const manyFunctions = await coldSeries(
      controlClient,
      bodyFor,
      "bench-cold-registry",
      SETTINGS.coldSamples,
    );
    out(coldSeriesLine(manyFunctions, small));

    out(
      `\n4. (continued) ${NUMBER.format(SETTINGS.fleetFunctions)} cold starts, ${SETTINGS.fleetConcurrency} in flight`,
    );
    const fleetClient = new ServeHttpClient(served.url, {
      maxSockets: SETTINGS.fleetConcurrency,
    });
    let fleet: ServeBenchResults["coldStartsAtConcurrency"];
    try {
      await openSockets(fleetClient, SETTINGS.fleetConcurrency);
      const started = performance.now();
      const results = await mapConcurrent(
        fleetNames,
        SETTINGS.fleetConcurrency,
        (name) => timedInvoke(fleetClient, name, INVOKE_PAYLOAD),
      );
      const wallMs = performance.now() - started;
      const status = await readStatus(controlClient);
      let environments = 0;
      for (const name of fleetNames)
        environments += status.byFunction.get(name) ?? 0;
      fleet = {
        ...toColdBurst(results, SETTINGS.fleetConcurrency, wallMs),
        functions: SETTINGS.fleetFunctions,
        registrationMs,
        registrationsPerSecond:
          (SETTINGS.fleetFunctions * 1000) / registrationMs,
        environmentsPerSecond: (SETTINGS.fleetFunctions * 1000) / wallMs,
        statusPageEnvironments: environments,
      };
    } finally {
      fleetClient.close();
    }
    out(
      msLine(
        `${NUMBER.format(fleet.invocations)} cold invokes, ${fleet.concurrency} in flight`,
        fleet.latencyMs,
        `  first ${ms(fleet.latencyMs.min)}  wall ${ms(fleet.wallMs)}  errors ${fleet.errors}${fleet.errors > 0 ? ` (${fleet.firstErrors[0] ?? ""})` : ""}`,
      ),
    );
    out(
      `  ${NUMBER.format(fleet.environmentsPerSecond)} environments created per second; on the status page: ${fleet.statusPageEnvironments}`,
    );
    await sampleRss(
      `after ${NUMBER.format(SETTINGS.fleetFunctions)} cold starts`,
    );

    // 5c. Cold start with 1,000 functions registered and their environments alive (frozen).
    out(
      `\n5c. Cold start, ${NUMBER.format(SETTINGS.fleetFunctions)} more functions and their environments alive (one at a time)`,
    );
    const manyEnvironments = await coldSeries(
      controlClient,
      bodyFor,
      "bench-cold-environments",
      SETTINGS.coldSamples,
    );
    out(coldSeriesLine(manyEnvironments, small));
    const beforeStop = await sampleRss("end");

    // 6. Memory, then SIGTERM.
    out("\n6. serve process resident memory (VmRSS) and environments");
    for (const sample of rss)
      out(
        `  ${sample.at.padEnd(40)} ${kib(sample.rssKiB).padStart(10)}  ${String(sample.registeredFunctions).padStart(5)} functions  ${String(sample.environmentsTotal).padStart(5)} environments ${JSON.stringify(sample.environments)}`,
      );
    out(
      `  growth from warm to end: ${kib(beforeStop.rssKiB - afterWarm.rssKiB)} for ${beforeStop.environmentsTotal - afterWarm.environmentsTotal} more environments and ${beforeStop.registeredFunctions - afterWarm.registeredFunctions} more functions`,
    );
    control.close();
    control = undefined;
    const exit = await serve.stop();
    out(
      `\nSIGTERM: exit ${String(exit.exitCode ?? exit.signal)} after ${ms(exit.drainMs)} (drained ${beforeStop.environmentsTotal} environments)${exit.killed ? " — KILLED after the timeout" : ""}`,
    );
    if (CPU_PROF) out(`CPU profile of the serve process: ${profileDir}`);

    const results: ServeBenchResults = {
      version: SERVE_RESULTS_VERSION,
      benchmark: "serve",
      generatedAt: run.generatedAt,
      mode: QUICK ? "quick" : "full",
      machine: run.machine,
      settings: { ...SETTINGS, cpuProfile: CPU_PROF },
      serve: {
        command: serve.command,
        startupMs: served.startupMs,
      },
      floors: {
        httpRoundTrip: { oneClient: floorOne, twoClients: floorTwo },
        relay: { oneClient: relayOne, twoClients: relayTwo },
        spawnToExit: {
          binary: RUST_BOOTSTRAP,
          latencyMs: spawnSummary,
          latenciesMs: spawnMs,
        },
      },
      warmInvoke: {
        functionName: WARM_FUNCTION,
        oneClient: warmOne,
        twoClients: warmTwo,
        overheadP50Us,
        ratioP50,
        overheadP99Us,
        overOneHopP50Us,
        twoHopFloorP50Us,
        goals: { overhead: overheadGoal, throughput: throughputGoal },
      },
      parallelColdStarts: parallel,
      coldStartsAtConcurrency: fleet,
      coldStartVsRegistrySize: {
        small,
        manyFunctions,
        manyFunctionsAndEnvironments: manyEnvironments,
        ratioP50: manyFunctions.latencyMs.p50 / small.latencyMs.p50,
        ratioP50WithEnvironments:
          manyEnvironments.latencyMs.p50 / small.latencyMs.p50,
      },
      rss,
      shutdown: {
        exitCode: exit.exitCode,
        signal: exit.signal,
        drainMs: exit.drainMs,
        killed: exit.killed,
      },
    };
    const failures = [
      floorOne.errors + floorTwo.errors + relayOne.errors + relayTwo.errors > 0
        ? "floor errors"
        : "",
      warmOne.errors + warmTwo.errors > 0 ? "warm invoke errors" : "",
      parallel.errors > 0 ? "parallel cold start errors" : "",
      fleet.errors > 0 ? "fleet cold start errors" : "",
      small.errors + manyFunctions.errors + manyEnvironments.errors > 0
        ? "cold series errors"
        : "",
      exit.exitCode === 0 ? "" : "thaw serve did not exit 0 on SIGTERM",
    ].filter((text) => text !== "");
    await run.finish(results, failures);
  } finally {
    control?.close();
    await floor?.kill();
    await serve?.dispose();
  }
}

await main();
