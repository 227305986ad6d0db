import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it, type TestContext } from "node:test";
import yazl from "yazl";
import { IllegalStateError } from "../errors/sandbox-errors.js";
import { ServiceException } from "../errors/service-exceptions.js";
import type { ServiceExceptionName } from "../errors/status-table.js";
import type { CreateFunctionRequest } from "../protocol/control-plane.js";
import { digestDirectory } from "../packaging/directory-digest.js";
import { preparePackage, type PreparePackage } from "./function-code.js";
import {
  FunctionRegistry,
  type FunctionRegistryOptions,
} from "./function-registry.js";
import type { RegistryChange } from "./registry-change.js";

const ARN = "arn:aws:lambda:us-east-1:000000000000:function";

/** A zip holding `index.js` with `body`, built in memory. */
async function makeZip(
  body = "exports.handler = async () => 1;\n",
): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  zip.addBuffer(Buffer.from(body), "index.js", { mode: 0o100644 });
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream as AsyncIterable<Buffer>)
    chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** Any valid zip, for tests where the code does not matter. */
const zipForTable = await makeZip();

function sha256(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("base64");
}

/** Fields to change in a test request; `undefined` removes a field. */
type RequestOverrides = {
  readonly [K in keyof CreateFunctionRequest]?:
    CreateFunctionRequest[K] | undefined;
};

function request(
  name: string,
  zip: Buffer,
  extra: RequestOverrides = {},
): CreateFunctionRequest {
  const merged: Record<string, unknown> = {
    FunctionName: name,
    Runtime: "nodejs20.x",
    Handler: "index.handler",
    Role: "arn:aws:iam::000000000000:role/test",
    Code: { ZipFile: zip },
    ...extra,
  };
  for (const key of Object.keys(merged)) {
    if (merged[key] === undefined) Reflect.deleteProperty(merged, key);
  }
  return merged as unknown as CreateFunctionRequest;
}

const ref = (functionName: string, qualifier?: string) => ({
  functionName,
  qualifier,
});

/** Preparations that wait until the test lets them go (or the registry aborts them). */
function gatedPrepare(): {
  readonly prepare: PreparePackage;
  release(): void;
} {
  const waiting: (() => void)[] = [];
  return {
    prepare: async (source, options) => {
      await new Promise<void>((resolve, reject) => {
        waiting.push(resolve);
        options.signal.addEventListener("abort", () => {
          reject(options.signal.reason as Error);
        });
      });
      return preparePackage(source, options);
    },
    release: () => {
      for (const go of waiting.splice(0)) go();
    },
  };
}

interface Fixture {
  readonly registry: FunctionRegistry;
  readonly changes: RegistryChange[];
  readonly dir: string;
}

async function fixture(
  t: TestContext,
  options: FunctionRegistryOptions = {},
): Promise<Fixture> {
  const dir = await mkdtemp(join(tmpdir(), "thaw-registry-"));
  const registry = new FunctionRegistry({
    cacheDir: join(dir, "cache"),
    ...options,
  });
  const changes: RegistryChange[] = [];
  registry.onChange((change) => changes.push(change));
  t.after(async () => {
    await registry.close();
    await rm(dir, { recursive: true, force: true });
  });
  return { registry, changes, dir };
}

async function assertServiceError(
  action: (() => Promise<unknown>) | (() => unknown),
  name: ServiceExceptionName,
  statusCode: number,
  message?: string | RegExp,
): Promise<void> {
  await assert.rejects(
    async () => {
      await action();
    },
    (err: unknown) => {
      assert.ok(
        err instanceof ServiceException,
        `not a ServiceException: ${String(err)}`,
      );
      assert.equal(err.name, name);
      assert.equal(err.statusCode, statusCode);
      if (typeof message === "string") assert.equal(err.message, message);
      else if (message !== undefined) assert.match(err.message, message);
      return true;
    },
  );
}

describe("FunctionRegistry: CreateFunction and states", () => {
  it("answers Pending with Lambda's defaults, then becomes Active", async (t) => {
    const { registry } = await fixture(t, {
      now: () => new Date(Date.UTC(2024, 4, 1, 12, 34, 56, 789)),
    });
    const zip = await makeZip();
    const created = await registry.createFunction(request("my-fn", zip));
    assert.equal(created.FunctionName, "my-fn");
    assert.equal(created.FunctionArn, `${ARN}:my-fn`);
    assert.equal(created.Runtime, "nodejs20.x");
    assert.equal(created.Handler, "index.handler");
    assert.equal(created.Role, "arn:aws:iam::000000000000:role/test");
    assert.equal(created.CodeSha256, sha256(zip));
    assert.equal(created.CodeSize, zip.length);
    assert.equal(created.Description, "");
    assert.equal(created.Timeout, 3);
    assert.equal(created.MemorySize, 128);
    assert.equal(created.LastModified, "2024-05-01T12:34:56.789+0000");
    assert.equal(created.Version, "$LATEST");
    assert.equal(created.Environment, undefined);
    assert.deepEqual(created.TracingConfig, { Mode: "PassThrough" });
    assert.match(created.RevisionId, /^[0-9a-f-]{36}$/);
    assert.equal(created.State, "Pending");
    assert.equal(created.StateReason, "The function is being created.");
    assert.equal(created.StateReasonCode, "Creating");
    assert.equal(created.LastUpdateStatus, "Successful");
    assert.equal(created.PackageType, "Zip");
    assert.deepEqual(created.Architectures, ["x86_64"]);
    assert.deepEqual(created.EphemeralStorage, { Size: 512 });
    assert.deepEqual(created.SnapStart, {
      ApplyOn: "None",
      OptimizationStatus: "Off",
    });
    assert.deepEqual(created.LoggingConfig, {
      LogFormat: "Text",
      LogGroup: "/aws/lambda/my-fn",
    });
    assert.match(
      created.RuntimeVersionConfig.RuntimeVersionArn,
      /^arn:aws:lambda:us-east-1::runtime:[0-9a-f]{64}$/,
    );

    await registry.settled("my-fn");
    const got = await registry.getFunction(ref("my-fn"));
    assert.equal(got.Configuration.State, "Active");
    assert.equal(got.Configuration.StateReason, undefined);
    assert.equal(got.Configuration.RevisionId, created.RevisionId);
    assert.equal(got.Code.RepositoryType, "S3");
    assert.match(got.Code.Location, /^file:\/\//);
    const resolved = registry.resolve(ref("my-fn"));
    assert.equal(resolved.version, "$LATEST");
    assert.equal(resolved.config.functionArn, `${ARN}:my-fn`);
    assert.equal(resolved.config.memorySize, 128);
    assert.equal(
      await readFile(join(resolved.taskRoot, "index.js"), "utf8"),
      "exports.handler = async () => 1;\n",
    );
  });

  it("refuses a second function of the same name", async (t) => {
    const { registry } = await fixture(t);
    const zip = await makeZip();
    await registry.createFunction(request("dup", zip));
    await assertServiceError(
      () => registry.createFunction(request("dup", zip)),
      "ResourceConflictException",
      409,
      "Function already exist: dup",
    );
  });

  it("answers 409 to an Invocation while Pending, and serves it once Active", async (t) => {
    const gate = gatedPrepare();
    const { registry } = await fixture(t, { preparePackage: gate.prepare });
    await registry.createFunction(request("slow", await makeZip()));
    await assertServiceError(
      () => registry.resolve(ref("slow")),
      "ResourceConflictException",
      409,
      "The operation cannot be performed at this time. The function is currently in the following state: Pending",
    );
    assert.equal(
      (await registry.getFunctionConfiguration(ref("slow"))).State,
      "Pending",
    );
    gate.release();
    await registry.settled();
    assert.equal(registry.resolve(ref("slow")).functionName, "slow");
  });

  it("marks a function whose package cannot be prepared Failed, with the reason", async (t) => {
    const { registry } = await fixture(t);
    const broken = Buffer.concat([
      Buffer.from([0x50, 0x4b, 0x03, 0x04]),
      Buffer.alloc(64, 7),
    ]);
    const created = await registry.createFunction(request("broken", broken));
    assert.equal(created.State, "Pending");
    await registry.settled();
    const config = await registry.getFunctionConfiguration(ref("broken"));
    assert.equal(config.State, "Failed");
    assert.equal(config.StateReasonCode, "InvalidZipFileException");
    assert.match(config.StateReason ?? "", /not a readable zip/);
    await assertServiceError(
      () => registry.resolve(ref("broken")),
      "ResourceConflictException",
      409,
      /in the following state: Failed$/,
    );
  });

  it("uses a folder in place and hashes its contents", async (t) => {
    const { registry, dir } = await fixture(t);
    const code = join(dir, "code");
    await mkdir(code);
    await writeFile(join(code, "index.js"), "exports.handler = () => 2;\n");
    const created = await registry.createFunction(
      {
        FunctionName: "folder",
        Runtime: "nodejs20.x",
        Handler: "index.handler",
        Code: {},
      },
      { codePath: code },
    );
    const digest = await digestDirectory(code);
    assert.equal(created.CodeSha256, digest.codeSha256);
    assert.equal(created.CodeSize, digest.codeSize);
    assert.equal(created.Role, "arn:aws:iam::000000000000:role/thaw-function");
    const zipPath = join(dir, "function.zip");
    const zip = await makeZip();
    await writeFile(zipPath, zip);
    const fromZip = await registry.createFunction(
      {
        FunctionName: "zipped",
        Runtime: "nodejs20.x",
        Handler: "index.handler",
        Code: {},
      },
      { codePath: zipPath },
    );
    assert.equal(fromZip.CodeSha256, sha256(zip));
    assert.equal(fromZip.CodeSize, zip.length);
    await registry.settled();
    assert.equal(registry.resolve(ref("folder")).taskRoot, code);
    assert.equal(
      await readFile(
        join(registry.resolve(ref("zipped")).taskRoot, "index.js"),
        "utf8",
      ),
      "exports.handler = async () => 1;\n",
    );
    await assertServiceError(
      () =>
        registry.createFunction(
          {
            FunctionName: "missing",
            Runtime: "nodejs20.x",
            Handler: "index.handler",
            Code: {},
          },
          { codePath: join(dir, "nope") },
        ),
      "InvalidParameterValueException",
      400,
      /does not exist/,
    );
  });

  it("creates and publishes version 1 with Publish", async (t) => {
    const { registry } = await fixture(t);
    const created = await registry.createFunction(
      request("pub", await makeZip(), { Publish: true }),
    );
    assert.equal(created.Version, "1");
    assert.equal(created.FunctionArn, `${ARN}:pub:1`);
    await registry.settled();
    assert.equal(registry.resolve(ref("pub", "1")).version, "1");
    assert.equal(
      (await registry.getFunctionConfiguration(ref("pub:1"))).State,
      "Active",
    );
  });

  const invalid: readonly {
    readonly title: string;
    readonly extra: RequestOverrides;
    readonly name: ServiceExceptionName;
    readonly message: string | RegExp;
  }[] = [
    {
      title: "no runtime",
      extra: { Runtime: undefined },
      name: "InvalidParameterValueException",
      message:
        "Runtime and Handler are mandatory parameters for functions created with deployment packages.",
    },
    {
      title: "no handler for a managed runtime",
      extra: { Handler: undefined },
      name: "InvalidParameterValueException",
      message:
        "Runtime and Handler are mandatory parameters for functions created with deployment packages.",
    },
    {
      title: "an unknown runtime",
      extra: { Runtime: "cobol85" },
      name: "InvalidParameterValueException",
      message:
        /^Value cobol85 at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: \[provided\.al2023, .*\] or be a valid ARN$/,
    },
    {
      title: "a handler with a space",
      extra: { Handler: "index handler" },
      name: "ValidationException",
      message:
        "1 validation error detected: Value 'index handler' at 'handler' failed to satisfy constraint: Member must satisfy regular expression pattern: [^\\s]+",
    },
    {
      title: "memory below 128",
      extra: { MemorySize: 64 },
      name: "ValidationException",
      message:
        "1 validation error detected: Value '64' at 'memorySize' failed to satisfy constraint: Member must have value greater than or equal to 128",
    },
    {
      title: "memory above 10240",
      extra: { MemorySize: 10241 },
      name: "ValidationException",
      message:
        "1 validation error detected: Value '10241' at 'memorySize' failed to satisfy constraint: Member must have value less than or equal to 10240",
    },
    {
      title: "timeout 0",
      extra: { Timeout: 0 },
      name: "ValidationException",
      message:
        "1 validation error detected: Value '0' at 'timeout' failed to satisfy constraint: Member must have value greater than or equal to 1",
    },
    {
      title: "timeout 901",
      extra: { Timeout: 901 },
      name: "ValidationException",
      message:
        "1 validation error detected: Value '901' at 'timeout' failed to satisfy constraint: Member must have value less than or equal to 900",
    },
    {
      title: "environment over 4 KB",
      extra: { Environment: { Variables: { BIG: "x".repeat(4100) } } },
      name: "InvalidParameterValueException",
      message:
        /^Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit\. String measured: \{"BIG":"x+"\}$/,
    },
    {
      title: "a reserved environment key",
      extra: { Environment: { Variables: { AWS_REGION: "eu-west-1" } } },
      name: "InvalidParameterValueException",
      message: /Reserved keys used in this request: AWS_REGION$/,
    },
    {
      title: "S3 code",
      extra: { Code: { S3Bucket: "b", S3Key: "k" } },
      name: "InvalidParameterValueException",
      message:
        /ZipFile\) only: S3Bucket\/S3Key and ImageUri are not supported locally/,
    },
    {
      title: "an image",
      extra: { Code: { ImageUri: "repo/image:1" } },
      name: "InvalidParameterValueException",
      message: /ImageUri are not supported locally/,
    },
    {
      title: "PackageType Image",
      extra: { PackageType: "Image" },
      name: "InvalidParameterValueException",
      message:
        /PackageType Image \(container images\) is not supported locally/,
    },
    {
      title: "bytes that are not a zip",
      extra: { Code: { ZipFile: Buffer.from("hello") } },
      name: "InvalidParameterValueException",
      message:
        "Could not unzip uploaded file. Please check your file, then try to upload again.",
    },
    {
      title: "empty bytes",
      extra: { Code: { ZipFile: Buffer.alloc(0) } },
      name: "InvalidParameterValueException",
      message: "Uploaded file must be a non-empty zip",
    },
    {
      title: "two architectures",
      extra: { Architectures: ["x86_64", "arm64"] },
      name: "ValidationException",
      message:
        "1 validation error detected: Value '[x86_64, arm64]' at 'architectures' failed to satisfy constraint: Member must have length less than or equal to 1",
    },
    {
      title: "ephemeral storage below 512",
      extra: { EphemeralStorage: { Size: 100 } },
      name: "ValidationException",
      message:
        "1 validation error detected: Value '100' at 'ephemeralStorage.size' failed to satisfy constraint: Member must have value greater than or equal to 512",
    },
    {
      title: "an unknown SnapStart ApplyOn",
      extra: { SnapStart: { ApplyOn: "Always" } },
      name: "ValidationException",
      message:
        "1 validation error detected: Value 'Always' at 'snapStart.applyOn' failed to satisfy constraint: Member must satisfy enum value set: [PublishedVersions, None]",
    },
    {
      title: "SnapStart on Node.js",
      extra: { SnapStart: { ApplyOn: "PublishedVersions" } },
      name: "InvalidParameterValueException",
      message: "nodejs20.x is not supported for SnapStart enabled functions.",
    },
    {
      title: "an unknown tracing mode",
      extra: { TracingConfig: { Mode: "Loud" } },
      name: "ValidationException",
      message:
        "1 validation error detected: Value 'Loud' at 'tracingConfig.mode' failed to satisfy constraint: Member must satisfy enum value set: [Active, PassThrough]",
    },
    {
      title: "a name with a dot",
      extra: { FunctionName: "my.fn" },
      name: "ValidationException",
      message:
        /^1 validation error detected: Value 'my\.fn' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: /,
    },
    {
      title: "a name of 65 characters",
      extra: { FunctionName: "a".repeat(65) },
      name: "ValidationException",
      message: `1 validation error detected: Value '${"a".repeat(65)}' at 'functionName' failed to satisfy constraint: Member must have length less than or equal to 64`,
    },
  ];
  for (const row of invalid) {
    it(`refuses ${row.title}`, async (t) => {
      const { registry } = await fixture(t);
      await assertServiceError(
        () =>
          registry.createFunction(
            request("bad", Buffer.alloc(0), {
              Code: { ZipFile: zipForTable },
              ...row.extra,
            }),
          ),
        row.name,
        400,
        row.message,
      );
      assert.equal(
        (
          await registry.listFunctions({
            marker: undefined,
            maxItems: undefined,
            allVersions: false,
          })
        ).items.length,
        0,
      );
    });
  }

  it("defaults the handler of a provided runtime to bootstrap and accepts SnapStart on Java", async (t) => {
    const { registry } = await fixture(t);
    const zip = await makeZip();
    const provided = await registry.createFunction(
      request("custom", zip, {
        Runtime: "provided.al2023",
        Handler: undefined,
      }),
    );
    assert.equal(provided.Handler, "bootstrap");
    const java = await registry.createFunction(
      request("java", zip, {
        Runtime: "java21",
        Handler: "example.Handler::handleRequest",
        SnapStart: { ApplyOn: "PublishedVersions" },
      }),
    );
    assert.deepEqual(java.SnapStart, {
      ApplyOn: "PublishedVersions",
      OptimizationStatus: "Off",
    });
    await registry.settled();
    const version = await registry.publishVersion(ref("java"), {});
    assert.deepEqual(version.SnapStart, {
      ApplyOn: "PublishedVersions",
      OptimizationStatus: "On",
    });
  });
});

describe("FunctionRegistry: SnapStart's optimization at PublishVersion", () => {
  it("keeps the version Pending until optimizeVersion resolves, and Failed with its reason when it rejects", async (t) => {
    const asked: string[] = [];
    let finish: (error?: Error) => void = () => undefined;
    const { registry } = await fixture(t, {
      optimizeVersion: (version) => {
        asked.push(`${version.functionName}:${version.version}`);
        return new Promise<void>((resolve, reject) => {
          finish = (error) => {
            if (error === undefined) resolve();
            else reject(error);
          };
        });
      },
    });
    const zip = await makeZip();
    for (const name of ["snap", "plain"]) {
      await registry.createFunction(
        request(name, zip, {
          Runtime: "python3.12",
          Handler: "app.handler",
          ...(name === "snap"
            ? { SnapStart: { ApplyOn: "PublishedVersions" } }
            : {}),
        }),
      );
    }
    await registry.settled();
    assert.deepEqual(asked, [], "$LATEST is never optimized");
    await registry.publishVersion(ref("plain"), {});
    await registry.publishVersion(ref("snap"), {});
    const stateOf = async (name: string) =>
      registry.getFunctionConfiguration({ functionName: name, qualifier: "1" });
    while (asked.length === 0)
      await new Promise((resolve) => setTimeout(resolve, 1));
    assert.deepEqual(
      asked,
      ["snap:1"],
      "only the version that asks for SnapStart",
    );
    assert.equal((await stateOf("snap")).State, "Pending");
    finish();
    await registry.settled();
    assert.equal((await stateOf("snap")).State, "Active");
    assert.equal((await stateOf("plain")).State, "Active");
    await registry.updateFunctionConfiguration(ref("snap"), {
      MemorySize: 256,
    });
    await registry.settled();
    await registry.publishVersion(ref("snap"), {});
    while (asked.length === 1)
      await new Promise((resolve) => setTimeout(resolve, 1));
    finish(new Error("its init failed"));
    await registry.settled();
    const failed = await registry.getFunctionConfiguration({
      functionName: "snap",
      qualifier: "2",
    });
    assert.equal(failed.State, "Failed");
    assert.equal(failed.StateReasonCode, "FunctionError");
    assert.equal(failed.StateReason, "its init failed");
  });
});

describe("FunctionRegistry: names, ARNs and qualifiers", () => {
  it("resolves a name, a partial ARN, a full ARN, a version, an alias, with or without Qualifier", async (t) => {
    const { registry } = await fixture(t);
    await registry.createFunction(request("named", await makeZip()));
    await registry.settled();
    await registry.publishVersion(ref("named"), {});
    registry.putAlias("named", "live", "1");
    await registry.settled();
    const latestKey = registry.resolve(ref("named")).key;
    const versionKey = registry.resolve(ref("named", "1")).key;
    assert.notEqual(latestKey, versionKey);
    const rows: readonly [string, string | undefined, string, string][] = [
      ["named", undefined, "$LATEST", latestKey],
      ["named", "$LATEST", "$LATEST", latestKey],
      ["named:$LATEST", undefined, "$LATEST", latestKey],
      ["000000000000:function:named", undefined, "$LATEST", latestKey],
      ["123456789012:function:named", undefined, "$LATEST", latestKey],
      [`${ARN}:named`, undefined, "$LATEST", latestKey],
      [`${ARN}:named:1`, undefined, "1", versionKey],
      [`${ARN}:named:1`, "1", "1", versionKey],
      ["named:1", undefined, "1", versionKey],
      ["named", "live", "1", versionKey],
      ["named:live", "live", "1", versionKey],
      ["function:named", "1", "1", versionKey],
    ];
    for (const [functionName, qualifier, version, key] of rows) {
      const resolved = registry.resolve(ref(functionName, qualifier));
      assert.equal(
        resolved.version,
        version,
        `${functionName} ${String(qualifier)}`,
      );
      assert.equal(resolved.key, key, `${functionName} ${String(qualifier)}`);
      // The second lookup comes from the cache and is the same object.
      assert.equal(registry.resolve(ref(functionName, qualifier)), resolved);
    }
    const viaAlias = await registry.getFunctionConfiguration(
      ref("named", "live"),
    );
    assert.equal(viaAlias.FunctionArn, `${ARN}:named:live`);
    assert.equal(viaAlias.Version, "1");
  });

  it("answers Lambda's errors for unknown functions, versions and mismatched qualifiers", async (t) => {
    const { registry } = await fixture(t);
    await registry.createFunction(request("known", await makeZip()));
    await registry.settled();
    const cases: readonly [
      string,
      string | undefined,
      ServiceExceptionName,
      number,
      string,
    ][] = [
      [
        "my-fn",
        undefined,
        "ResourceNotFoundException",
        404,
        `Function not found: ${ARN}:my-fn`,
      ],
      [
        "my-fn",
        "3",
        "ResourceNotFoundException",
        404,
        `Function not found: ${ARN}:my-fn:3`,
      ],
      [
        "known",
        "7",
        "ResourceNotFoundException",
        404,
        `Function not found: ${ARN}:known:7`,
      ],
      [
        "known:staging",
        undefined,
        "ResourceNotFoundException",
        404,
        `Function not found: ${ARN}:known:staging`,
      ],
      [
        "known:1",
        "2",
        "InvalidParameterValueException",
        400,
        "The derived qualifier from the function name does not match the specified qualifier.",
      ],
      [
        "arn:aws:lambda:eu-west-1:000000000000:function:known",
        undefined,
        "ResourceNotFoundException",
        404,
        "Functions from 'eu-west-1' are not reachable in this region ('us-east-1')",
      ],
      [
        "known",
        "bad qualifier",
        "ValidationException",
        400,
        "1 validation error detected: Value 'bad qualifier' at 'qualifier' failed to satisfy constraint: Member must satisfy regular expression pattern: (|[a-zA-Z0-9$_-]+)",
      ],
    ];
    for (const [functionName, qualifier, name, status, message] of cases) {
      await assertServiceError(
        () => registry.resolve(ref(functionName, qualifier)),
        name,
        status,
        message,
      );
      await assertServiceError(
        () => registry.getFunction(ref(functionName, qualifier)),
        name,
        status,
        message,
      );
    }
  });
});

describe("FunctionRegistry: updates", () => {
  it("goes InProgress then Successful, refuses a second update meanwhile, and retires the old key", async (t) => {
    const gate = gatedPrepare();
    const { registry, changes } = await fixture(t, {
      preparePackage: gate.prepare,
    });
    await registry.createFunction(request("upd", await makeZip()));
    gate.release();
    await registry.settled();
    const before = registry.resolve(ref("upd"));
    const newZip = await makeZip("exports.handler = async () => 'v2';\n");
    const updating = await registry.updateFunctionCode(ref("upd"), {
      ZipFile: newZip,
    });
    assert.equal(updating.LastUpdateStatus, "InProgress");
    assert.equal(
      updating.LastUpdateStatusReason,
      "The function is being created.",
    );
    assert.equal(updating.LastUpdateStatusReasonCode, "Creating");
    assert.equal(updating.CodeSha256, sha256(newZip));
    assert.equal(updating.State, "Active");
    // Invocations keep the previous code until the update is ready.
    assert.equal(registry.resolve(ref("upd")), before);
    await assertServiceError(
      () =>
        registry.updateFunctionConfiguration(ref("upd"), { MemorySize: 256 }),
      "ResourceConflictException",
      409,
      `The operation cannot be performed at this time. An update is in progress for resource: ${ARN}:upd`,
    );
    await assertServiceError(
      () => registry.publishVersion(ref("upd"), {}),
      "ResourceConflictException",
      409,
      `The operation cannot be performed at this time. An update is in progress for resource: ${ARN}:upd`,
    );
    gate.release();
    await registry.settled();
    const after = registry.resolve(ref("upd"));
    assert.notEqual(after.key, before.key);
    assert.equal(after.codeSha256, sha256(newZip));
    assert.equal(
      (await registry.getFunctionConfiguration(ref("upd"))).LastUpdateStatus,
      "Successful",
    );
    assert.deepEqual(changes, [
      {
        kind: "retired",
        key: before.key,
        functionName: "upd",
        version: "$LATEST",
      },
    ]);
  });

  it("applies a configuration update and keeps the old settings when it is refused", async (t) => {
    const { registry } = await fixture(t);
    await registry.createFunction(
      request("cfg", await makeZip(), {
        Environment: { Variables: { A: "1" } },
      }),
    );
    await registry.settled();
    const updated = await registry.updateFunctionConfiguration(ref("cfg"), {
      MemorySize: 512,
      Timeout: 30,
      Environment: { Variables: { B: "2" } },
      LoggingConfig: { LogFormat: "JSON" },
      Description: "second",
    });
    assert.equal(updated.LastUpdateStatus, "InProgress");
    assert.deepEqual(updated.Environment, { Variables: { B: "2" } });
    assert.deepEqual(updated.LoggingConfig, {
      LogFormat: "JSON",
      LogGroup: "/aws/lambda/cfg",
      ApplicationLogLevel: "INFO",
      SystemLogLevel: "INFO",
    });
    await registry.settled();
    const resolved = registry.resolve(ref("cfg"));
    assert.equal(resolved.config.memorySize, 512);
    assert.equal(resolved.config.timeout, 30);
    assert.deepEqual(resolved.config.environment, { B: "2" });
    await assertServiceError(
      () => registry.updateFunctionConfiguration(ref("cfg"), { Timeout: 1000 }),
      "ValidationException",
      400,
      "1 validation error detected: Value '1000' at 'timeout' failed to satisfy constraint: Member must have value less than or equal to 900",
    );
    const unchanged = await registry.getFunctionConfiguration(ref("cfg"));
    assert.equal(unchanged.Timeout, 30);
    assert.equal(unchanged.LastUpdateStatus, "Successful");
  });

  it("answers 412 to a stale RevisionId and accepts the current one", async (t) => {
    const { registry } = await fixture(t);
    const created = await registry.createFunction(
      request("rev", await makeZip()),
    );
    await registry.settled();
    const message =
      "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id";
    await assertServiceError(
      () =>
        registry.updateFunctionConfiguration(ref("rev"), {
          RevisionId: "0",
          Timeout: 5,
        }),
      "PreconditionFailedException",
      412,
      message,
    );
    const updated = await registry.updateFunctionConfiguration(ref("rev"), {
      RevisionId: created.RevisionId,
      Timeout: 5,
    });
    assert.notEqual(updated.RevisionId, created.RevisionId);
    await registry.settled();
    await assertServiceError(
      () =>
        registry.updateFunctionCode(ref("rev"), {
          ZipFile: zipForTable,
          RevisionId: created.RevisionId,
        }),
      "PreconditionFailedException",
      412,
      message,
    );
    await assertServiceError(
      () =>
        registry.publishVersion(ref("rev"), { RevisionId: created.RevisionId }),
      "PreconditionFailedException",
      412,
      message,
    );
  });

  it("refuses an update while the function is still Pending", async (t) => {
    const gate = gatedPrepare();
    const { registry } = await fixture(t, { preparePackage: gate.prepare });
    await registry.createFunction(request("early", await makeZip()));
    await assertServiceError(
      () => registry.updateFunctionConfiguration(ref("early"), { Timeout: 5 }),
      "ResourceConflictException",
      409,
      "The operation cannot be performed at this time. The function is currently in the following state: Pending",
    );
    gate.release();
  });

  it("reports a failed code update and keeps running the previous code", async (t) => {
    const { registry } = await fixture(t);
    await registry.createFunction(request("keep", await makeZip()));
    await registry.settled();
    const before = registry.resolve(ref("keep"));
    const corrupt = Buffer.concat([
      Buffer.from([0x50, 0x4b, 0x03, 0x04]),
      Buffer.alloc(40, 1),
    ]);
    await registry.updateFunctionCode(ref("keep"), { ZipFile: corrupt });
    await registry.settled();
    const config = await registry.getFunctionConfiguration(ref("keep"));
    assert.equal(config.LastUpdateStatus, "Failed");
    assert.equal(config.LastUpdateStatusReasonCode, "InvalidZipFileException");
    assert.equal(config.State, "Active");
    assert.equal(registry.resolve(ref("keep")), before);
  });

  it("checks a DryRun without changing anything", async (t) => {
    const { registry } = await fixture(t);
    const created = await registry.createFunction(
      request("dry", await makeZip()),
    );
    await registry.settled();
    const other = await makeZip("exports.handler = () => 3;\n");
    const dry = await registry.updateFunctionCode(ref("dry"), {
      ZipFile: other,
      DryRun: true,
    });
    assert.equal(dry.CodeSha256, sha256(other));
    const now = await registry.getFunctionConfiguration(ref("dry"));
    assert.equal(now.CodeSha256, created.CodeSha256);
    assert.equal(now.RevisionId, created.RevisionId);
  });
});

describe("FunctionRegistry: versions", () => {
  it("publishes a version once per change and snapshots the configuration", async (t) => {
    const { registry } = await fixture(t);
    await registry.createFunction(request("ver", await makeZip()));
    await registry.settled();
    const first = await registry.publishVersion(ref("ver"), {
      Description: "first",
    });
    assert.equal(first.Version, "1");
    assert.equal(first.FunctionArn, `${ARN}:ver:1`);
    assert.equal(first.Description, "first");
    assert.equal(first.State, "Pending");
    const again = await registry.publishVersion(ref("ver"), {});
    assert.equal(again.Version, "1");
    assert.equal(again.RevisionId, first.RevisionId);
    await registry.updateFunctionConfiguration(ref("ver"), {
      MemorySize: 1024,
    });
    await registry.settled();
    const second = await registry.publishVersion(ref("ver"), {});
    assert.equal(second.Version, "2");
    assert.equal(second.MemorySize, 1024);
    await registry.settled();
    assert.equal(registry.resolve(ref("ver", "1")).config.memorySize, 128);
    assert.equal(registry.resolve(ref("ver", "2")).config.memorySize, 1024);
    assert.equal(registry.resolve(ref("ver", "2")).config.version, "2");
    const versions = await registry.listVersionsByFunction(ref("ver"), {
      marker: undefined,
      maxItems: undefined,
    });
    assert.deepEqual(
      versions.items.map((item) => [item.Version, item.FunctionArn]),
      [
        ["$LATEST", `${ARN}:ver:$LATEST`],
        ["1", `${ARN}:ver:1`],
        ["2", `${ARN}:ver:2`],
      ],
    );
  });

  it("refuses a CodeSha256 that is not $LATEST's", async (t) => {
    const { registry } = await fixture(t);
    const created = await registry.createFunction(
      request("sha", await makeZip()),
    );
    await registry.settled();
    await assertServiceError(
      () => registry.publishVersion(ref("sha"), { CodeSha256: "abc" }),
      "InvalidParameterValueException",
      400,
      `CodeSHA256 (abc) is different from current CodeSHA256 in $LATEST (${created.CodeSha256}). Please try again with the CodeSHA256 in $LATEST.`,
    );
    const published = await registry.publishVersion(ref("sha"), {
      CodeSha256: created.CodeSha256,
    });
    assert.equal(published.Version, "1");
  });

  it("deletes one version, refuses $LATEST and aliased versions, then the whole function", async (t) => {
    const { registry, changes } = await fixture(t);
    await registry.createFunction(request("del", await makeZip()));
    await registry.settled();
    await registry.publishVersion(ref("del"), {});
    await registry.updateFunctionConfiguration(ref("del"), { Timeout: 9 });
    await registry.settled();
    await registry.publishVersion(ref("del"), {});
    await registry.settled();
    registry.putAlias("del", "live", "2");
    const v1 = registry.resolve(ref("del", "1")).key;
    await assertServiceError(
      () => registry.deleteFunction(ref("del", "$LATEST")),
      "InvalidParameterValueException",
      400,
      "$LATEST version cannot be deleted without deleting the function.",
    );
    await assertServiceError(
      () => registry.deleteFunction(ref("del", "2")),
      "ResourceConflictException",
      409,
      "Unable to delete version because the following aliases reference it: [live]",
    );
    changes.length = 0;
    await registry.deleteFunction(ref("del", "1"));
    assert.deepEqual(changes, [
      { kind: "retired", key: v1, functionName: "del", version: "1" },
    ]);
    await assertServiceError(
      () => registry.resolve(ref("del", "1")),
      "ResourceNotFoundException",
      404,
      `Function not found: ${ARN}:del:1`,
    );
    await registry.deleteFunction(ref("del", "1")); // a missing version: nothing happens
    changes.length = 0;
    const keys = [
      registry.resolve(ref("del")).key,
      registry.resolve(ref("del", "2")).key,
    ];
    await registry.deleteFunction(ref("del"));
    assert.deepEqual(
      changes.map((change) =>
        change.kind === "retired" ? change.key : change.kind,
      ),
      keys,
    );
    await assertServiceError(
      () => registry.resolve(ref("del")),
      "ResourceNotFoundException",
      404,
      `Function not found: ${ARN}:del`,
    );
    await assertServiceError(
      () => registry.deleteFunction(ref("del")),
      "ResourceNotFoundException",
      404,
    );
    // The name is free again, and the new function gets new keys.
    await registry.createFunction(request("del", await makeZip()));
    await registry.settled();
    assert.ok(!keys.includes(registry.resolve(ref("del")).key));
  });
});

describe("FunctionRegistry: listing", () => {
  it("pages functions by name with an opaque marker", async (t) => {
    const { registry } = await fixture(t);
    const zip = await makeZip();
    for (const name of ["c-fn", "a-fn", "b-fn"])
      await registry.createFunction(request(name, zip));
    await registry.settled();
    await registry.publishVersion(ref("b-fn"), {});
    const first = await registry.listFunctions({
      marker: undefined,
      maxItems: 2,
      allVersions: false,
    });
    assert.deepEqual(
      first.items.map((item) => item.FunctionName),
      ["a-fn", "b-fn"],
    );
    assert.equal(first.items[0]?.FunctionArn, `${ARN}:a-fn`);
    assert.ok(first.nextMarker !== undefined);
    const second = await registry.listFunctions({
      marker: first.nextMarker,
      maxItems: 2,
      allVersions: false,
    });
    assert.deepEqual(
      second.items.map((item) => item.FunctionName),
      ["c-fn"],
    );
    assert.equal(second.nextMarker, undefined);
    const all = await registry.listFunctions({
      marker: undefined,
      maxItems: undefined,
      allVersions: true,
    });
    assert.deepEqual(
      all.items.map((item) => item.FunctionArn),
      [
        `${ARN}:a-fn:$LATEST`,
        `${ARN}:b-fn:$LATEST`,
        `${ARN}:b-fn:1`,
        `${ARN}:c-fn:$LATEST`,
      ],
    );
    await assertServiceError(
      () =>
        registry.listFunctions({
          marker: undefined,
          maxItems: 0,
          allVersions: false,
        }),
      "ValidationException",
      400,
      "1 validation error detected: Value '0' at 'maxItems' failed to satisfy constraint: Member must have value greater than or equal to 1",
    );
    await assertServiceError(
      () =>
        registry.listFunctions({
          marker: undefined,
          maxItems: 10_001,
          allVersions: false,
        }),
      "ValidationException",
      400,
      "1 validation error detected: Value '10001' at 'maxItems' failed to satisfy constraint: Member must have value less than or equal to 10000",
    );
    await assertServiceError(
      () =>
        registry.listFunctions({
          marker: "not-ours",
          maxItems: undefined,
          allVersions: false,
        }),
      "InvalidParameterValueException",
      400,
    );
  });

  it("summarises every version for the status page", async (t) => {
    const { registry } = await fixture(t);
    await registry.createFunction(request("sum", await makeZip()));
    await registry.settled();
    await registry.publishVersion(ref("sum"), {});
    registry.putAlias("sum", "live", "1");
    await registry.settled();
    const summaries = registry.summaries();
    assert.deepEqual(
      summaries.map((s) => [s.functionName, s.version, s.state, s.aliases]),
      [
        ["sum", "$LATEST", "Active", []],
        ["sum", "1", "Active", ["live"]],
      ],
    );
    assert.equal(summaries[1]?.key, registry.resolve(ref("sum", "live")).key);
  });
});

describe("FunctionRegistry: concurrency", () => {
  it("keeps 100 unreserved, reports account settings, and announces reserved changes", async (t) => {
    const { registry, changes } = await fixture(t);
    const zip = await makeZip();
    await registry.createFunction(request("r1", zip));
    await registry.createFunction(request("r2", zip));
    await registry.settled();
    assert.equal(await registry.getFunctionConcurrency(ref("r1")), undefined);
    assert.equal(await registry.putFunctionConcurrency(ref("r1"), 500), 500);
    const tooMuch =
      "Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [100].";
    await assertServiceError(
      () => registry.putFunctionConcurrency(ref("r2"), 401),
      "InvalidParameterValueException",
      400,
      tooMuch,
    );
    assert.equal(await registry.putFunctionConcurrency(ref("r2"), 400), 400);
    // Replacing r1's own reservation counts only the new amount.
    assert.equal(await registry.putFunctionConcurrency(ref("r1"), 500), 500);
    await assertServiceError(
      () => registry.putFunctionConcurrency(ref("r1"), 501),
      "InvalidParameterValueException",
      400,
      tooMuch,
    );
    const settings = await registry.getAccountSettings();
    assert.deepEqual(settings.AccountLimit, {
      TotalCodeSize: 80_530_636_800,
      CodeSizeUnzipped: 262_144_000,
      CodeSizeZipped: 52_428_800,
      ConcurrentExecutions: 1000,
      UnreservedConcurrentExecutions: 100,
    });
    assert.deepEqual(settings.AccountUsage, {
      TotalCodeSize: zip.length * 2,
      FunctionCount: 2,
    });
    assert.equal(registry.resolve(ref("r1")).reservedConcurrency, 500);
    assert.equal(
      (await registry.getFunction(ref("r1"))).Concurrency
        ?.ReservedConcurrentExecutions,
      500,
    );
    await assertServiceError(
      () => registry.putFunctionConcurrency(ref("r1"), -1),
      "ValidationException",
      400,
      "1 validation error detected: Value '-1' at 'reservedConcurrentExecutions' failed to satisfy constraint: Member must have value greater than or equal to 0",
    );
    await assertServiceError(
      () => registry.putFunctionConcurrency(ref("r1:1"), 1),
      "InvalidParameterValueException",
      400,
      "This operation is permitted on Lambda functions only. Aliases and versions do not support this operation. Please specify either a function name or an unqualified function ARN.",
    );
    await registry.deleteFunctionConcurrency(ref("r1"));
    assert.equal(await registry.getFunctionConcurrency(ref("r1")), undefined);
    assert.equal(registry.resolve(ref("r1")).reservedConcurrency, undefined);
    assert.deepEqual(
      changes.filter((change) => change.kind === "reserved"),
      [
        { kind: "reserved", functionName: "r1", reserved: 500 },
        { kind: "reserved", functionName: "r2", reserved: 400 },
        { kind: "reserved", functionName: "r1", reserved: 500 },
        { kind: "reserved", functionName: "r1", reserved: undefined },
      ],
    );
  });

  it("applies provisioned concurrency to versions and aliases only, and tracks the pool's progress", async (t) => {
    const { registry, changes } = await fixture(t);
    await registry.createFunction(request("pc", await makeZip()));
    await registry.settled();
    await registry.publishVersion(ref("pc"), {});
    await registry.settled();
    await assertServiceError(
      () => registry.putProvisionedConcurrencyConfig(ref("pc", "$LATEST"), 2),
      "InvalidParameterValueException",
      400,
      "Provisioned Concurrency Configs cannot be applied to unpublished function versions.",
    );
    await assertServiceError(
      () => registry.putProvisionedConcurrencyConfig(ref("pc"), 2),
      "InvalidParameterValueException",
      400,
      "Provisioned Concurrency Configs cannot be applied to unpublished function versions.",
    );
    await assertServiceError(
      () => registry.putProvisionedConcurrencyConfig(ref("pc", "1"), 0),
      "ValidationException",
      400,
      "1 validation error detected: Value '0' at 'provisionedConcurrentExecutions' failed to satisfy constraint: Member must have value greater than or equal to 1",
    );
    await assertServiceError(
      () => registry.putProvisionedConcurrencyConfig(ref("pc", "5"), 1),
      "ResourceNotFoundException",
      404,
      `Function not found: ${ARN}:pc:5`,
    );
    await assertServiceError(
      () => registry.getProvisionedConcurrencyConfig(ref("pc", "1")),
      "ProvisionedConcurrencyConfigNotFoundException",
      404,
      "No Provisioned Concurrency Config found for this function",
    );
    const put = await registry.putProvisionedConcurrencyConfig(
      ref("pc", "1"),
      2,
    );
    assert.equal(put.RequestedProvisionedConcurrentExecutions, 2);
    assert.equal(put.AllocatedProvisionedConcurrentExecutions, 0);
    assert.equal(put.AvailableProvisionedConcurrentExecutions, 0);
    assert.equal(put.Status, "IN_PROGRESS");
    assert.match(
      put.LastModified,
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/,
    );
    const resolved = registry.resolve(ref("pc", "1"));
    assert.equal(resolved.provisionedConcurrency, 2);
    const announced = changes.find((change) => change.kind === "provisioned");
    assert.deepEqual(announced, {
      kind: "provisioned",
      key: resolved.key,
      requested: 2,
      function: resolved,
    });
    registry.reportProvisionedStatus(resolved.key, {
      allocated: 2,
      available: 2,
      status: "READY",
    });
    const ready = await registry.getProvisionedConcurrencyConfig(ref("pc:1"));
    assert.equal(ready.Status, "READY");
    assert.equal(ready.AvailableProvisionedConcurrentExecutions, 2);
    // The version holds one, so an alias to it cannot have another.
    registry.putAlias("pc", "live", "1");
    await assertServiceError(
      () => registry.putProvisionedConcurrencyConfig(ref("pc", "live"), 1),
      "ResourceConflictException",
      409,
      "Alias can't be used for Provisioned Concurrency configuration on an already Provisioned version",
    );
    // Reserved concurrency cannot fall below the provisioned amount.
    await assertServiceError(
      () => registry.putFunctionConcurrency(ref("pc"), 1),
      "InvalidParameterValueException",
      400,
      " ReservedConcurrentExecutions  1 should not be lower than function's total provisioned concurrency [2].",
    );
    changes.length = 0;
    await registry.deleteProvisionedConcurrencyConfig(ref("pc", "1"));
    assert.deepEqual(changes, [
      {
        kind: "provisioned",
        key: resolved.key,
        requested: 0,
        function: registry.resolve(ref("pc", "1")),
      },
    ]);
    await assertServiceError(
      () => registry.getProvisionedConcurrencyConfig(ref("pc", "1")),
      "ProvisionedConcurrencyConfigNotFoundException",
      404,
    );
    await assertServiceError(
      () => registry.getProvisionedConcurrencyConfig(ref("pc", "$LATEST")),
      "InvalidParameterValueException",
      400,
      "The function resource provided must be an alias or a published version.",
    );
    // Through the alias now; the pool sees the version's key.
    await registry.putProvisionedConcurrencyConfig(ref("pc", "live"), 3);
    assert.equal(registry.resolve(ref("pc", "1")).provisionedConcurrency, 3);
    await assertServiceError(
      () => registry.putProvisionedConcurrencyConfig(ref("pc", "1"), 1),
      "ResourceConflictException",
      409,
      "Version is pointed by a Provisioned Concurrency alias",
    );
    await assertServiceError(
      () => registry.putProvisionedConcurrencyConfig(ref("pc", "beta"), 1),
      "ResourceNotFoundException",
      404,
      `Cannot find alias arn: ${ARN}:pc:beta`,
    );
    await assertServiceError(
      () => registry.putProvisionedConcurrencyConfig(ref("pc", "live"), 901),
      "InvalidParameterValueException",
      400,
      "Specified ConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [100].",
    );
    assert.equal(
      (await registry.getAccountSettings()).AccountLimit
        .UnreservedConcurrentExecutions,
      997,
    );
  });

  it("announces provisioned concurrency of a version that is still Pending once it is Active", async (t) => {
    const gate = gatedPrepare();
    const { registry, changes } = await fixture(t, {
      preparePackage: gate.prepare,
    });
    await registry.createFunction(
      request("later", await makeZip(), { Publish: true }),
    );
    await registry.putProvisionedConcurrencyConfig(ref("later", "1"), 1);
    assert.deepEqual(changes, []);
    gate.release();
    await registry.settled();
    const resolved = registry.resolve(ref("later", "1"));
    assert.deepEqual(changes, [
      {
        kind: "provisioned",
        key: resolved.key,
        requested: 1,
        function: resolved,
      },
    ]);
  });
});

describe("FunctionRegistry: lifecycle", () => {
  it("refuses changes after close(), which is idempotent", async (t) => {
    const gate = gatedPrepare();
    const { registry } = await fixture(t, { preparePackage: gate.prepare });
    await registry.createFunction(request("closing", await makeZip()));
    await registry.close();
    await registry.close();
    assert.equal(registry.state, "closed");
    await assert.rejects(
      () => registry.createFunction(request("after", zipForTable)),
      (err: unknown) =>
        err instanceof IllegalStateError && err.name === "IllegalStateError",
    );
    assert.equal(
      (await registry.getFunctionConfiguration(ref("closing"))).State,
      "Pending",
    );
  });
});
