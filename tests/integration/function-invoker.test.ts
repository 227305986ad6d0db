/**
 * The function invoker with real parts: a function registry, the scheduler, the `process` backend
 * and the Rust and Node.js fixtures. Environments are reused warm, frozen when idle, replaced after
 * a crash, retired when the function changes, provisioned ahead of calls; a program that cannot be
 * executed is Lambda's `Runtime.InvalidEntrypoint`. Nothing is left behind.
 */
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RUNTIME_DIRS, THAW_PATHS, THAW_ROOT } from "../../src/config/paths.js";
import { FunctionRegistry } from "../../src/control-plane/function-registry.js";
import type { ResolvedFunction } from "../../src/control-plane/registry-change.js";
import { Scheduler } from "../../src/scheduler/scheduler.js";
import { createBackend } from "../../src/app/backends.js";
import { FunctionInvoker } from "../../src/app/function-invoker.js";
import { assertNoLeaks } from "../support/leaks.js";

const RUST = join(THAW_PATHS.fixtures, "rust");
const NODE = join(THAW_ROOT, "tests", "fixtures", "functions", "node");

describe("FunctionInvoker", () => {
  let work: string;
  let registry: FunctionRegistry;
  let scheduler: Scheduler;
  let invoker: FunctionInvoker;
  const logs: string[] = [];
  const notes: string[] = [];

  before(async () => {
    work = await mkdtemp(join(tmpdir(), "thaw-invoker-"));
    registry = new FunctionRegistry({ cacheDir: join(work, "cache") });
    scheduler = new Scheduler();
    invoker = new FunctionInvoker({
      registry,
      scheduler,
      backend: await createBackend("process"),
      dirs: RUNTIME_DIRS,
      onLog: (line) => logs.push(line),
      onNote: (note) => notes.push(note),
    });
  });

  after(async () => {
    await invoker.close();
    await scheduler.close();
    await registry.close();
    await rm(work, { recursive: true, force: true });
    await assertNoLeaks();
  });

  async function register(
    name: string,
    codePath: string,
    runtime = "provided.al2023",
    handler = "bootstrap",
    variables: Record<string, string> = {},
  ): Promise<void> {
    await registry.createFunction(
      {
        FunctionName: name,
        Runtime: runtime,
        Handler: handler,
        Code: {},
        Environment: { Variables: variables },
      },
      { codePath },
    );
    await registry.settled(name);
  }

  function resolve(name: string, qualifier?: string): ResolvedFunction {
    return registry.resolve({ functionName: name, qualifier });
  }

  function invoke(resolved: ResolvedFunction, event: unknown, tail = false) {
    return invoker.invoke(resolved, {
      payload: Buffer.from(JSON.stringify(event)),
      tail,
      clientContext: undefined,
      invokedFunctionArn: resolved.config.functionArn,
    });
  }

  function counts(key: string): Record<string, number> {
    return invoker.environments().get(key) ?? {};
  }

  /** The caller is answered before the environment is free: wait until it is. */
  async function released(fn: ResolvedFunction): Promise<void> {
    await until(
      () => (counts(fn.key).busy ?? 0) === 0,
      "the environment to be released",
    );
  }

  async function until(check: () => boolean, what: string): Promise<void> {
    const deadline = Date.now() + 5_000;
    while (!check()) {
      assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  test("the second call reuses the warm environment; an idle one is frozen", async () => {
    await register("warm", RUST);
    const fn = resolve("warm");
    const first = await invoke(fn, { n: 1 }, true);
    assert.deepEqual(JSON.parse(first.body.toString()), { n: 1 });
    assert.match(first.log ?? "", /Init Duration/);
    const second = await invoke(fn, { n: 2 }, true);
    assert.deepEqual(JSON.parse(second.body.toString()), { n: 2 });
    assert.doesNotMatch(second.log ?? "", /Init Duration/);
    assert.match(second.log ?? "", /^START RequestId: /m);
    await until(
      () => counts(fn.key).frozen === 1,
      "the idle environment to freeze",
    );
    const thawed = await invoke(fn, { n: 3 });
    assert.deepEqual(JSON.parse(thawed.body.toString()), { n: 3 });
    await released(fn);
    const now = counts(fn.key);
    assert.equal((now.idle ?? 0) + (now.frozen ?? 0), 1, JSON.stringify(now));
  });

  test("a crash breaks the environment; the next call starts a fresh one", async () => {
    await register("crashy", RUST);
    const fn = resolve("crashy");
    await invoke(fn, { warm: true });
    await released(fn);
    const crash = await invoke(fn, { action: "crash", code: 9 });
    assert.equal(crash.functionError, true);
    assert.equal(crash.errorType, "Runtime.ExitError");
    const next = await invoke(fn, { after: "crash" }, true);
    assert.deepEqual(JSON.parse(next.body.toString()), { after: "crash" });
    assert.match(next.log ?? "", /Init Duration/, "a cold start");
  });

  test("an update retires the old environments; calls see the new configuration", async () => {
    await register("updated", NODE, "nodejs20.x", "index.handler", {
      THAW_FIXTURE_VAR: "before",
    });
    const before = resolve("updated");
    const seen = await invoke(before, { action: "context" });
    assert.equal(
      (JSON.parse(seen.body.toString()) as { env: Record<string, string> }).env
        .THAW_FIXTURE_VAR,
      "before",
    );
    await registry.updateFunctionConfiguration(
      { functionName: "updated", qualifier: undefined },
      { Environment: { Variables: { THAW_FIXTURE_VAR: "after" } } },
    );
    await registry.settled("updated");
    const after = resolve("updated");
    assert.notEqual(after.key, before.key);
    await until(
      () => !invoker.environments().has(before.key),
      "the old pool to be retired",
    );
    const again = await invoke(after, { action: "context" });
    assert.equal(
      (JSON.parse(again.body.toString()) as { env: Record<string, string> }).env
        .THAW_FIXTURE_VAR,
      "after",
    );
  });

  test("provisioned concurrency keeps environments initialised ahead of calls", async () => {
    await register("provisioned", RUST);
    const published = await registry.publishVersion(
      { functionName: "provisioned", qualifier: undefined },
      {},
    );
    await registry.settled("provisioned");
    await registry.putProvisionedConcurrencyConfig(
      { functionName: "provisioned", qualifier: published.Version },
      2,
    );
    const fn = resolve("provisioned", published.Version);
    await until(() => {
      const c = counts(fn.key);
      return (c.idle ?? 0) + (c.frozen ?? 0) === 2;
    }, "two provisioned environments");
    const config = await registry.getProvisionedConcurrencyConfig({
      functionName: "provisioned",
      qualifier: published.Version,
    });
    assert.equal(config.Status, "READY");
    assert.equal(config.AvailableProvisionedConcurrentExecutions, 2);
    const result = await invoke(fn, { p: 1 }, true);
    assert.deepEqual(JSON.parse(result.body.toString()), { p: 1 });
    assert.doesNotMatch(result.log ?? "", /Init Duration/);
  });

  test("reserved concurrency 0 throttles with Lambda's Reason", async () => {
    await register("blocked", RUST);
    await registry.putFunctionConcurrency(
      { functionName: "blocked", qualifier: undefined },
      0,
    );
    await assert.rejects(invoke(resolve("blocked"), {}), (error: unknown) => {
      assert.equal((error as Error).name, "TooManyRequestsException");
      assert.equal(
        (error as { fields: Record<string, string> }).fields.Reason,
        "ReservedFunctionConcurrentInvocationLimitExceeded",
      );
      return true;
    });
  });

  test("the caller is answered at /response; the environment stays busy until /next", async () => {
    // A Runtime that posts its response, then works on for a while before its next /next.
    const dir = join(work, "slow-next");
    await import("node:fs/promises").then((fs) => fs.mkdir(dir));
    await writeFile(
      join(dir, "bootstrap"),
      [
        `#!${process.execPath}`,
        "const api = `http://${process.env.AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime/invocation`;",
        "void (async () => { for (;;) {",
        "  const next = await fetch(`${api}/next`);",
        "  const id = next.headers.get('lambda-runtime-aws-request-id');",
        "  await fetch(`${api}/${id}/response`, { method: 'POST', body: await next.text() });",
        "  await new Promise((resolve) => setTimeout(resolve, 1500));",
        "} })();",
      ].join("\n"),
    );
    await chmod(join(dir, "bootstrap"), 0o755);
    await register("slow-next", dir);
    const fn = resolve("slow-next");
    const startedAt = Date.now();
    const answer = await invoke(fn, { early: true });
    assert.deepEqual(JSON.parse(answer.body.toString()), { early: true });
    assert.equal(counts(fn.key).busy, 1, "busy until the Runtime's /next");
    assert.ok(Date.now() - startedAt < 1500, "answered before /next");
    await released(fn);
    // With Tail, the answer carries END and REPORT, so it comes at the end.
    const tailed = await invoke(fn, { tail: true }, true);
    assert.match(tailed.log ?? "", /^REPORT RequestId: /m);
  });

  test("a bootstrap that cannot be executed is Runtime.InvalidEntrypoint", async () => {
    const dir = join(work, "bad-entrypoint");
    await rm(dir, { recursive: true, force: true });
    await import("node:fs/promises").then((fs) => fs.mkdir(dir));
    await writeFile(
      join(dir, "bootstrap"),
      "#!/nonexistent/interpreter\necho never\n",
    );
    await chmod(join(dir, "bootstrap"), 0o755);
    await register("bad-entrypoint", dir);
    const result = await invoke(resolve("bad-entrypoint"), {});
    assert.equal(result.functionError, true);
    assert.equal(result.errorType, "Runtime.InvalidEntrypoint");
    const document = JSON.parse(result.body.toString()) as {
      errorType: string;
      errorMessage: string;
    };
    assert.equal(document.errorType, "Runtime.InvalidEntrypoint");
    assert.match(document.errorMessage, /^RequestId: \S+ Error: /);
  });

  test("an init that fails twice answers with the init error and is not reused", async () => {
    await register("init-fails", NODE, "nodejs20.x", "index.handler", {
      THAW_FIXTURE_FAIL_INIT: "1",
    });
    const fn = resolve("init-fails");
    const result = await invoke(fn, {}, true);
    assert.equal(result.functionError, true);
    assert.match(
      result.log ?? "",
      /INIT_REPORT .*Phase: invoke.*Status: error/,
    );
    await until(
      () => Object.values(counts(fn.key)).every((n) => n === 0),
      "the failed environment to be dropped",
    );
    assert.match(result.log ?? "", /REPORT RequestId: .*Status: error/);
  });
});
