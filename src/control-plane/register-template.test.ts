import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it, type TestContext } from "node:test";
import { THAW_ROOT } from "../config/paths.js";
import { loadSamTemplate, parseSamTemplate } from "../config/sam-template.js";
import { InvalidParameterValueError } from "../errors/usage-errors.js";
import { FunctionRegistry } from "./function-registry.js";
import type { RegistryChange } from "./registry-change.js";
import { registerTemplateFunctions } from "./register-template.js";

const SAM_APP = join(THAW_ROOT, "tests", "fixtures", "templates", "sam-app");

async function registry(
  t: TestContext,
): Promise<{ registry: FunctionRegistry; changes: RegistryChange[] }> {
  const dir = await mkdtemp(join(tmpdir(), "thaw-register-"));
  const created = new FunctionRegistry({ cacheDir: dir });
  const changes: RegistryChange[] = [];
  created.onChange((change) => changes.push(change));
  t.after(async () => {
    await created.close();
    await rm(dir, { recursive: true, force: true });
  });
  return { registry: created, changes };
}

describe("registerTemplateFunctions", () => {
  it("creates, reserves, publishes, aliases and provisions a SAM application", async (t) => {
    const { registry: functions, changes } = await registry(t);
    const template = await loadSamTemplate(join(SAM_APP, "template.yaml"));
    const registered = await registerTemplateFunctions(
      functions,
      template.functions,
    );
    assert.deepEqual(registered, [
      {
        logicalId: "HelloFunction",
        functionName: "thaw-hello-dev",
        version: "1",
        alias: "live",
      },
      {
        logicalId: "WorkerFunction",
        functionName: "WorkerFunction",
        version: undefined,
        alias: undefined,
      },
      {
        logicalId: "LegacyFunction",
        functionName: "legacy",
        version: undefined,
        alias: undefined,
      },
    ]);
    const live = functions.resolve({
      functionName: "thaw-hello-dev",
      qualifier: "live",
    });
    assert.equal(live.version, "1");
    assert.equal(live.taskRoot, join(SAM_APP, "src", "hello"));
    assert.equal(live.reservedConcurrency, 10);
    assert.equal(live.provisionedConcurrency, 1);
    assert.equal(live.config.memorySize, 256);
    assert.equal(live.config.environment.WORKER_NAME, "WorkerFunction");
    assert.equal(live.settings.tracingMode, "Active");
    const worker = functions.resolve({
      functionName: "WorkerFunction",
      qualifier: undefined,
    });
    assert.equal(worker.config.runtime.id, "python3.12");
    assert.deepEqual(worker.settings.architectures, ["arm64"]);
    assert.equal(worker.settings.snapStartApplyOn, "PublishedVersions");
    assert.equal(
      await functions.getFunctionConcurrency({
        functionName: "legacy",
        qualifier: undefined,
      }),
      2,
    );
    assert.deepEqual(
      changes.map((change) => change.kind),
      ["reserved", "reserved", "provisioned"],
    );
  });

  it("names the template function the registry refuses", async (t) => {
    const { registry: functions } = await registry(t);
    const template = parseSamTemplate(
      "Resources:\n  Big:\n    Type: AWS::Serverless::Function\n    Properties: { Runtime: nodejs20.x, Handler: a.b, ReservedConcurrentExecutions: 950 }\n",
      { baseDir: SAM_APP },
    );
    await assert.rejects(
      () => registerTemplateFunctions(functions, template.functions),
      (err: unknown) => {
        assert.ok(err instanceof InvalidParameterValueError);
        assert.equal(
          err.message,
          "function Big (Big): InvalidParameterValueException: Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [100].",
        );
        return true;
      },
    );
  });
});
