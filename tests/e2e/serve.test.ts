/**
 * `thaw serve` as users drive it: the built CLI serving the fixtures of a SAM template, called
 * through the real AWS SDK for JavaScript v3 and the real AWS CLI (installed from PyPI by the
 * set-up) with `--endpoint-url`. Ends with SIGTERM: in-flight calls finish, nothing is left behind.
 */
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createWriteStream } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { ZipFile } from "yazl";
import {
  CreateFunctionCommand,
  DeleteFunctionCommand,
  GetFunctionCommand,
  GetProvisionedConcurrencyConfigCommand,
  InvokeCommand,
  InvokeWithResponseStreamCommand,
  LambdaClient,
  ListFunctionsCommand,
  PutFunctionConcurrencyCommand,
  ResourceNotFoundException,
  TooManyRequestsException,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  waitUntilFunctionActiveV2,
  waitUntilFunctionUpdatedV2,
} from "@aws-sdk/client-lambda";
import { THAW_PATHS, THAW_ROOT } from "../../src/config/paths.js";
import {
  assertNoLeaks,
  commandLine,
  descendantProcesses,
  listeningSockets,
  processAlive,
  stillListening,
  thawCgroups,
} from "../support/leaks.js";

const THAW = join(THAW_ROOT, "bin", "thaw.js");
const TEMPLATE = join(THAW_ROOT, "tests", "fixtures", "serve", "template.yaml");
const AWS_CLI = join(THAW_ROOT, ".thaw", "toolchains", "awscli", "bin", "aws");
const execFileAsync = promisify(execFile);

interface Served {
  readonly child: ChildProcess;
  readonly url: string;
  /** Everything the server wrote on stderr so far (function logs and platform lines). */
  stderr: string;
}

/** Starts `thaw serve` on a free port and waits for its "listening on" line. */
async function startServe(args: readonly string[] = []): Promise<Served> {
  const child = spawn(
    process.execPath,
    [THAW, "serve", "--template", TEMPLATE, "--port", "0", ...args],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  const served = { child, url: "", stderr: "" };
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    served.stderr += chunk;
  });
  let stdout = "";
  served.url = await new Promise<string>((resolve, reject) => {
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(stdout);
      if (match?.[1] !== undefined) resolve(match[1]);
    });
    child.on("exit", (code) => {
      reject(
        new Error(`thaw serve exited (${String(code)}): ${served.stderr}`),
      );
    });
  });
  return served;
}

function client(url: string): LambdaClient {
  return new LambdaClient({
    endpoint: url,
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    maxAttempts: 1,
  });
}

function json(payload: Uint8Array | undefined): unknown {
  return JSON.parse(Buffer.from(payload ?? []).toString("utf8"));
}

function event(value: unknown): Uint8Array {
  return Buffer.from(JSON.stringify(value));
}

/** A deployment zip of the Rust fixture, as `zip function.zip bootstrap` makes it. */
async function rustZip(dir: string): Promise<Buffer> {
  const path = join(dir, "function.zip");
  const zip = new ZipFile();
  zip.addFile(join(THAW_PATHS.fixtures, "rust", "bootstrap"), "bootstrap", {
    mode: 0o100755,
  });
  zip.end();
  await once(zip.outputStream.pipe(createWriteStream(path)), "close");
  return readFile(path);
}

function awsCli(url: string, args: readonly string[]) {
  return execFileAsync(AWS_CLI, [...args, "--endpoint-url", url], {
    env: {
      PATH: process.env.PATH ?? "",
      AWS_ACCESS_KEY_ID: "test",
      AWS_SECRET_ACCESS_KEY: "test",
      AWS_DEFAULT_REGION: "us-east-1",
      AWS_CONFIG_FILE: "/nonexistent",
      AWS_SHARED_CREDENTIALS_FILE: "/nonexistent",
      AWS_EC2_METADATA_DISABLED: "true",
      AWS_PAGER: "",
    },
  });
}

describe("thaw serve", () => {
  let served: Served;
  let lambda: LambdaClient;
  let work: string;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), "thaw-serve-e2e-"));
    served = await startServe();
    lambda = client(served.url);
  });

  after(async () => {
    lambda.destroy();
    if (served.child.exitCode === null) {
      served.child.kill("SIGKILL");
      await once(served.child, "exit");
    }
    await rm(work, { recursive: true, force: true });
    await assertNoLeaks();
  });

  test("GET / shows the template's functions", async () => {
    const response = await fetch(served.url, {
      headers: { accept: "application/json" },
    });
    assert.equal(response.status, 200);
    const status = (await response.json()) as {
      functions: { functionName: string }[];
    };
    const names = new Set(status.functions.map((f) => f.functionName));
    for (const name of ["rust-fn", "go-fn", "node-fn", "python-fn"])
      assert.ok(names.has(name), `${name} in ${[...names].join(", ")}`);
  });

  test("a cold then a warm RequestResponse invoke with Tail logs", async () => {
    const first = await lambda.send(
      new InvokeCommand({
        FunctionName: "rust-fn",
        Payload: event({ hello: "world" }),
        LogType: "Tail",
      }),
    );
    assert.equal(first.StatusCode, 200);
    assert.equal(first.ExecutedVersion, "$LATEST");
    assert.equal(first.FunctionError, undefined);
    assert.deepEqual(json(first.Payload), { hello: "world" });
    const coldLog = Buffer.from(first.LogResult ?? "", "base64").toString();
    assert.match(coldLog, /^START RequestId: /m);
    assert.match(coldLog, /REPORT RequestId: .*Init Duration: [\d.]+ ms/);

    const second = await lambda.send(
      new InvokeCommand({
        FunctionName: "rust-fn",
        Payload: event({ n: 2 }),
        LogType: "Tail",
      }),
    );
    assert.deepEqual(json(second.Payload), { n: 2 });
    const warmLog = Buffer.from(second.LogResult ?? "", "base64").toString();
    assert.match(warmLog, /REPORT RequestId: /);
    assert.doesNotMatch(warmLog, /Init Duration/);
  });

  test("every runtime answers through the same API", async () => {
    for (const name of ["go-fn", "node-fn", "python-fn"]) {
      const result = await lambda.send(
        new InvokeCommand({ FunctionName: name, Payload: event({ name }) }),
      );
      assert.equal(result.StatusCode, 200, name);
      assert.deepEqual(json(result.Payload), { name });
    }
  });

  test("template values reach the function: Globals, !Ref and !Sub", async () => {
    const result = await lambda.send(
      new InvokeCommand({
        FunctionName: "rust-fn",
        Payload: event({ action: "context" }),
      }),
    );
    const seen = json(result.Payload) as {
      env: Record<string, string | null>;
      functionName: string;
    };
    assert.equal(seen.functionName, "rust-fn");
    assert.equal(seen.env.THAW_FIXTURE_VAR, "rust-test");
  });

  test("a function error is a 200 with X-Amz-Function-Error", async () => {
    const result = await lambda.send(
      new InvokeCommand({
        FunctionName: "node-fn",
        Payload: event({ action: "error" }),
      }),
    );
    assert.equal(result.StatusCode, 200);
    assert.equal(result.FunctionError, "Unhandled");
    assert.equal(
      (json(result.Payload) as { errorMessage: string }).errorMessage,
      "fixture handled error",
    );
  });

  test("a crash gives Runtime.ExitError and the next call a fresh environment", async () => {
    const crash = await lambda.send(
      new InvokeCommand({
        FunctionName: "go-fn",
        Payload: event({ action: "crash", code: 7 }),
      }),
    );
    assert.equal(crash.FunctionError, "Unhandled");
    assert.equal(
      (json(crash.Payload) as { errorType: string }).errorType,
      "Runtime.ExitError",
    );
    const next = await lambda.send(
      new InvokeCommand({
        FunctionName: "go-fn",
        Payload: event({ after: "crash" }),
      }),
    );
    assert.deepEqual(json(next.Payload), { after: "crash" });
  });

  test("Event answers 202 and runs the function; DryRun answers 204", async () => {
    const marker = `event-${String(Date.now())}`;
    const queued = await lambda.send(
      new InvokeCommand({
        FunctionName: "python-fn",
        InvocationType: "Event",
        Payload: event({ action: "log", message: marker }),
      }),
    );
    assert.equal(queued.StatusCode, 202);
    const deadline = Date.now() + 10_000;
    while (!served.stderr.includes(marker)) {
      assert.ok(Date.now() < deadline, "the Event invocation ran");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const dry = await lambda.send(
      new InvokeCommand({
        FunctionName: "python-fn",
        InvocationType: "DryRun",
      }),
    );
    assert.equal(dry.StatusCode, 204);
  });

  test("an unknown function is ResourceNotFoundException", async () => {
    await assert.rejects(
      lambda.send(new InvokeCommand({ FunctionName: "no-such-fn" })),
      (error: unknown) => {
        assert.ok(error instanceof ResourceNotFoundException);
        assert.equal(error.name, "ResourceNotFoundException");
        assert.equal(error.$metadata.httpStatusCode, 404);
        return true;
      },
    );
  });

  test("reserved concurrency throttles with TooManyRequestsException", async () => {
    const slow = lambda.send(
      new InvokeCommand({
        FunctionName: "reserved-fn",
        Payload: event({ action: "sleep", ms: 1_000 }),
      }),
    );
    // Wait until the slow call holds the only slot.
    const deadline = Date.now() + 5_000;
    for (;;) {
      const status = (await (
        await fetch(served.url, { headers: { accept: "application/json" } })
      ).json()) as {
        functions: {
          functionName: string;
          environments: Record<string, number>;
        }[];
      };
      const reserved = status.functions.find(
        (f) => f.functionName === "reserved-fn",
      );
      if ((reserved?.environments.busy ?? 0) >= 1) break;
      assert.ok(Date.now() < deadline, "the slow call started");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await assert.rejects(
      lambda.send(new InvokeCommand({ FunctionName: "reserved-fn" })),
      (error: unknown) => {
        assert.ok(error instanceof TooManyRequestsException);
        assert.equal(error.$metadata.httpStatusCode, 429);
        assert.equal(
          error.Reason,
          "ReservedFunctionConcurrentInvocationLimitExceeded",
        );
        return true;
      },
    );
    assert.equal((await slow).StatusCode, 200);
    await lambda.send(
      new PutFunctionConcurrencyCommand({
        FunctionName: "reserved-fn",
        ReservedConcurrentExecutions: 0,
      }),
    );
    await assert.rejects(
      lambda.send(new InvokeCommand({ FunctionName: "reserved-fn" })),
      TooManyRequestsException,
    );
  });

  test("provisioned concurrency from the template becomes READY on the alias", async () => {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const config = await lambda.send(
        new GetProvisionedConcurrencyConfigCommand({
          FunctionName: "provisioned-fn",
          Qualifier: "live",
        }),
      );
      if (config.Status === "READY") {
        assert.equal(config.AvailableProvisionedConcurrentExecutions, 2);
        break;
      }
      assert.ok(Date.now() < deadline, `still ${String(config.Status)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const result = await lambda.send(
      new InvokeCommand({
        FunctionName: "provisioned-fn:live",
        Payload: event({ action: "context" }),
        LogType: "Tail",
      }),
    );
    assert.equal(result.ExecutedVersion, "1");
    const log = Buffer.from(result.LogResult ?? "", "base64").toString();
    assert.doesNotMatch(log, /Init Duration/);
  });

  test("CreateFunction, waiters, UpdateFunctionConfiguration and UpdateFunctionCode", async () => {
    const zip = await rustZip(work);
    const created = await lambda.send(
      new CreateFunctionCommand({
        FunctionName: "sdk-fn",
        Runtime: "provided.al2023",
        Handler: "bootstrap",
        Role: "arn:aws:iam::000000000000:role/lambda",
        Code: { ZipFile: zip },
      }),
    );
    assert.equal(created.State, "Pending");
    await waitUntilFunctionActiveV2(
      { client: lambda, maxWaitTime: 20, minDelay: 1 },
      { FunctionName: "sdk-fn" },
    );
    const first = await lambda.send(
      new InvokeCommand({
        FunctionName: "sdk-fn",
        Payload: event({ action: "context" }),
      }),
    );
    assert.equal(
      (json(first.Payload) as { env: Record<string, string | null> }).env
        .THAW_FIXTURE_VAR,
      null,
    );

    await lambda.send(
      new UpdateFunctionConfigurationCommand({
        FunctionName: "sdk-fn",
        Environment: { Variables: { THAW_FIXTURE_VAR: "updated" } },
      }),
    );
    await waitUntilFunctionUpdatedV2(
      { client: lambda, maxWaitTime: 20, minDelay: 1 },
      { FunctionName: "sdk-fn" },
    );
    const second = await lambda.send(
      new InvokeCommand({
        FunctionName: "sdk-fn",
        Payload: event({ action: "context" }),
      }),
    );
    assert.equal(
      (json(second.Payload) as { env: Record<string, string | null> }).env
        .THAW_FIXTURE_VAR,
      "updated",
    );

    await lambda.send(
      new UpdateFunctionCodeCommand({ FunctionName: "sdk-fn", ZipFile: zip }),
    );
    await waitUntilFunctionUpdatedV2(
      { client: lambda, maxWaitTime: 20, minDelay: 1 },
      { FunctionName: "sdk-fn" },
    );
    const got = await lambda.send(
      new GetFunctionCommand({ FunctionName: "sdk-fn" }),
    );
    assert.equal(got.Configuration?.LastUpdateStatus, "Successful");
    const listed = await lambda.send(new ListFunctionsCommand({}));
    assert.ok(
      listed.Functions?.some((f) => f.FunctionName === "sdk-fn"),
      "ListFunctions shows the new function",
    );
    await lambda.send(new DeleteFunctionCommand({ FunctionName: "sdk-fn" }));
    await assert.rejects(
      lambda.send(new InvokeCommand({ FunctionName: "sdk-fn" })),
      ResourceNotFoundException,
    );
  });

  test("InvokeWithResponseStream delivers the payload as event-stream chunks", async () => {
    const result = await lambda.send(
      new InvokeWithResponseStreamCommand({
        FunctionName: "rust-fn",
        Payload: event({ streamed: true }),
      }),
    );
    assert.equal(result.StatusCode, 200);
    const chunks: Buffer[] = [];
    let completed = false;
    for await (const part of result.EventStream ?? []) {
      if (part.PayloadChunk?.Payload !== undefined)
        chunks.push(Buffer.from(part.PayloadChunk.Payload));
      if (part.InvokeComplete !== undefined) {
        completed = true;
        assert.equal(part.InvokeComplete.ErrorCode, undefined);
      }
    }
    assert.ok(completed);
    assert.deepEqual(JSON.parse(Buffer.concat(chunks).toString()), {
      streamed: true,
    });
  });

  test("the AWS CLI invokes, lists and creates functions", async () => {
    const out = join(work, "out.json");
    const invoked = await awsCli(served.url, [
      "lambda",
      "invoke",
      "--function-name",
      "rust-fn",
      "--payload",
      '{"from":"cli"}',
      out,
    ]);
    const printed = JSON.parse(invoked.stdout) as {
      StatusCode: number;
      ExecutedVersion: string;
    };
    assert.equal(printed.StatusCode, 200);
    assert.equal(printed.ExecutedVersion, "$LATEST");
    assert.deepEqual(JSON.parse(await readFile(out, "utf8")), { from: "cli" });

    const listed = await awsCli(served.url, ["lambda", "list-functions"]);
    const names = (
      JSON.parse(listed.stdout) as { Functions: { FunctionName: string }[] }
    ).Functions.map((f) => f.FunctionName);
    assert.ok(names.includes("python-fn"));

    const zipPath = join(work, "cli.zip");
    await writeFile(zipPath, await rustZip(work));
    await awsCli(served.url, [
      "lambda",
      "create-function",
      "--function-name",
      "cli-fn",
      "--runtime",
      "provided.al2023",
      "--handler",
      "bootstrap",
      "--role",
      "arn:aws:iam::000000000000:role/lambda",
      "--zip-file",
      `fileb://${zipPath}`,
    ]);
    await awsCli(served.url, [
      "lambda",
      "wait",
      "function-active-v2",
      "--function-name",
      "cli-fn",
    ]);
    const again = await awsCli(served.url, [
      "lambda",
      "invoke",
      "--function-name",
      "cli-fn",
      "--payload",
      '{"again":true}',
      out,
    ]);
    assert.equal(
      (JSON.parse(again.stdout) as { StatusCode: number }).StatusCode,
      200,
    );
    assert.deepEqual(JSON.parse(await readFile(out, "utf8")), { again: true });

    await assert.rejects(
      awsCli(served.url, [
        "lambda",
        "invoke",
        "--function-name",
        "missing-fn",
        out,
      ]),
      (error: { stderr?: string }) => {
        assert.match(error.stderr ?? "", /ResourceNotFoundException/);
        return true;
      },
    );
  });

  test("SIGTERM lets in-flight calls finish, then leaves nothing behind", async () => {
    const pid = served.child.pid ?? 0;
    const slow = lambda.send(
      new InvokeCommand({
        FunctionName: "node-fn",
        Payload: event({ action: "sleep", ms: 500, spawnChild: true }),
      }),
    );
    const deadline = Date.now() + 5_000;
    while (!/child-pid=\d+/.test(served.stderr)) {
      assert.ok(Date.now() < deadline, "the slow call started");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // What the server has now, to look for once it has gone: its processes (the fork server, the
    // Runtimes and what they started) and its listening sockets (the Invoke API, the Runtime APIs).
    // The function's child is found by its command line: the pid it printed may be the one it has
    // inside the sandbox's own pid namespace.
    const descendants = descendantProcesses(pid);
    assert.ok(
      descendants.some(
        (descendant) =>
          commandLine(descendant.pid) === "/bin/sleep 1000" &&
          processAlive(descendant.pid),
      ),
      "the function's child is among the server's processes",
    );
    const sockets = listeningSockets(pid);
    assert.ok(
      sockets.length >= 2,
      `Invoke API and Runtime APIs: ${sockets.map((s) => s.address).join(", ")}`,
    );
    served.child.kill("SIGTERM");
    const answer = await slow;
    assert.equal(answer.StatusCode, 200);
    assert.deepEqual(json(answer.Payload), { slept: 500 });
    const [code] = (await once(served.child, "exit")) as [number | null];
    assert.equal(code, 0);
    assert.deepEqual(thawCgroups(pid), [], "no cgroup of the server is left");
    assert.deepEqual(
      descendants.filter((descendant) => processAlive(descendant.pid)),
      [],
      "no process of the server is left, the function's child included",
    );
    assert.deepEqual(
      stillListening(sockets),
      [],
      "no socket is left listening",
    );
  });
});
