/**
 * A function reaches its own Runtime API and no other: on Lambda each Runtime API is inside its
 * own microVM; in thaw they all listen on the host's loopback, so each one checks who opened every
 * connection (the kernel's socket table, through thaw-spawner). Checked with real Python Runtimes
 * on both backends with the host's network: a function that calls another environment's Runtime
 * API gets 403 `AccessDeniedException`, and the other environment keeps its Invocations; a process
 * outside every sandbox is refused too. (With an isolated network the host's loopback is not there
 * at all: tests/integration/isolation.test.ts.)
 */
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createBackend, type SandboxSettings } from "../../src/app/backends.js";
import { FunctionInvoker } from "../../src/app/function-invoker.js";
import { RUNTIME_DIRS } from "../../src/config/paths.js";
import { FunctionRegistry } from "../../src/control-plane/function-registry.js";
import { Scheduler } from "../../src/scheduler/scheduler.js";
import { assertNoLeaks } from "../support/leaks.js";

/**
 * `whoami` answers its own Runtime API's address; `probe` calls `GET /next` on the address in its
 * event and answers what came back: an HTTP status and body, or the connection's failure.
 */
const HANDLER = `
import json, os, urllib.error, urllib.request

def whoami(event, context):
    return os.environ["AWS_LAMBDA_RUNTIME_API"]

def probe(event, context):
    url = "http://" + event["target"] + "/2018-06-01/runtime/invocation/next"
    try:
        with urllib.request.urlopen(url, timeout=3) as answer:
            return {"status": answer.status, "body": answer.read().decode()}
    except urllib.error.HTTPError as error:
        return {"status": error.code, "body": error.read().decode()}
    except Exception as error:
        return {"status": 0, "body": type(error).__name__ + ": " + str(error)}
`;

/** GET /next on `address` from this (the test's) process: status and body. */
function getNext(address: string): Promise<{ status: number; body: string }> {
  const [host, port] = address.split(":");
  return new Promise((resolve, reject) => {
    const call = request(
      {
        host,
        port: Number(port),
        path: "/2018-06-01/runtime/invocation/next",
        timeout: 3000,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => {
          resolve({
            status: response.statusCode ?? 0,
            body: Buffer.concat(chunks).toString(),
          });
        });
      },
    );
    call.on("timeout", () => call.destroy(new Error("timed out")));
    call.on("error", reject);
    call.end();
  });
}

const BACKENDS: readonly [string, SandboxSettings][] = [
  ["process", { backend: "process", cpu: "shares", isolateNetwork: false }],
  ["namespace", { backend: "namespace", cpu: "shares", isolateNetwork: false }],
];

for (const [label, settings] of BACKENDS) {
  describe(`Runtime API access on the ${label} backend`, () => {
    let work: string;
    let registry: FunctionRegistry;
    let scheduler: Scheduler;
    let invoker: FunctionInvoker;

    before(async () => {
      work = await mkdtemp(join(tmpdir(), "thaw-access-"));
      const code = join(work, "code");
      await mkdir(code);
      await writeFile(join(code, "app.py"), HANDLER);
      registry = new FunctionRegistry({ cacheDir: join(work, "cache") });
      scheduler = new Scheduler();
      invoker = new FunctionInvoker({
        registry,
        scheduler,
        backend: await createBackend(settings),
        dirs: RUNTIME_DIRS,
        onLog: () => undefined,
        onNote: () => undefined,
      });
      for (const [name, handler] of [
        ["victim", "app.whoami"],
        ["prober", "app.probe"],
      ] as const) {
        await registry.createFunction(
          {
            FunctionName: name,
            Runtime: "python3.12",
            Handler: handler,
            Code: {},
          },
          { codePath: code },
        );
        await registry.settled(name);
      }
    });

    after(async () => {
      await invoker.close();
      await scheduler.close();
      await registry.close();
      await rm(work, { recursive: true, force: true });
      await assertNoLeaks();
    });

    async function invoke(name: string, event: unknown): Promise<unknown> {
      const resolved = registry.resolve({
        functionName: name,
        qualifier: undefined,
      });
      const result = await invoker.invoke(resolved, {
        payload: Buffer.from(JSON.stringify(event)),
        tail: false,
        clientContext: undefined,
        invokedFunctionArn: resolved.config.functionArn,
      });
      assert.equal(result.functionError, false, result.body.toString());
      // The caller is answered at /response, the environment released at the next /next: wait
      // for that, so that the next call of the function reuses this environment.
      const deadline = Date.now() + 5_000;
      while ((invoker.environments().get(resolved.key)?.busy ?? 0) > 0) {
        assert.ok(Date.now() < deadline, "the environment was not released");
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      return JSON.parse(result.body.toString());
    }

    test("another environment's Runtime API refuses a function, which cannot steal its Invocations", async () => {
      const victimApi = await invoke("victim", {});
      assert.equal(typeof victimApi, "string");
      const probed = (await invoke("prober", { target: victimApi })) as {
        status: number;
        body: string;
      };
      assert.equal(probed.status, 403, probed.body);
      assert.equal(
        (JSON.parse(probed.body) as { errorType: string }).errorType,
        "AccessDeniedException",
      );
      // The victim's environment still gets its own next Invocation.
      assert.equal(await invoke("victim", {}), victimApi);
    });

    test("a process outside every sandbox is refused, and its own Runtime still works", async () => {
      const victimApi = (await invoke("victim", {})) as string;
      const outside = await getNext(victimApi);
      assert.equal(outside.status, 403, outside.body);
      assert.match(outside.body, /AccessDeniedException/);
      assert.equal(await invoke("victim", {}), victimApi);
    });
  });
}
