import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { InvalidParameterValueError } from "../errors/usage-errors.js";
import { THAW_ROOT } from "./paths.js";
import {
  loadSamTemplate,
  parseSamTemplate,
  type TemplateFunction,
} from "./sam-template.js";

const TEMPLATES = join(THAW_ROOT, "tests", "fixtures", "templates");
const SAM_APP = join(TEMPLATES, "sam-app");
const BASE = "/base";

function byLogicalId(
  functions: readonly TemplateFunction[],
  logicalId: string,
): TemplateFunction {
  const found = functions.find((fn) => fn.logicalId === logicalId);
  assert.ok(found !== undefined, `no function ${logicalId}`);
  return found;
}

/** Asserts that `action` throws an InvalidParameterValueError whose message matches. */
async function assertTemplateError(
  action: () => unknown,
  message: string | RegExp,
): Promise<void> {
  await assert.rejects(
    async () => {
      await action();
    },
    (err: unknown) => {
      assert.ok(err instanceof InvalidParameterValueError, String(err));
      assert.equal(err.name, "InvalidParameterValueException");
      assert.equal(err.blame, "client");
      if (typeof message === "string") assert.equal(err.message, message);
      else assert.match(err.message, message);
      return true;
    },
  );
}

/** A one-function SAM template whose function has `properties` (YAML lines, indented 6). */
function samFunction(properties: string, extra = ""): string {
  return `Transform: AWS::Serverless-2016-10-31
${extra}
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
${properties}
`;
}

describe("loadSamTemplate: a SAM application", () => {
  it("reads functions with Globals merged and intrinsics evaluated", async () => {
    const template = await loadSamTemplate(join(SAM_APP, "template.yaml"));
    assert.deepEqual(
      template.functions.map((fn) => fn.logicalId),
      ["HelloFunction", "WorkerFunction", "LegacyFunction"],
    );
    const hello = byLogicalId(template.functions, "HelloFunction");
    assert.deepEqual(hello, {
      logicalId: "HelloFunction",
      resourceType: "AWS::Serverless::Function",
      functionName: "thaw-hello-dev",
      codePath: join(SAM_APP, "src", "hello"),
      runtime: "nodejs20.x",
      handler: "index.handler",
      memorySize: 256,
      timeout: 10,
      description: "Says hello in dev",
      environment: {
        STAGE: "dev",
        LOG_LEVEL: "info",
        REGION_AND_ACCOUNT: "us-east-1:000000000000",
        WORKER_ARN:
          "arn:aws:lambda:us-east-1:000000000000:function:WorkerFunction",
        WORKER_NAME: "WorkerFunction",
        TABLE_NAME: "",
        FIRST_SUBNET: "subnet-a",
        SECOND_SUBNET: "subnet-b",
        ENCODED: "aGVsbG8=",
        ZONE: "us-east-1a",
        EITHER: "yes",
        ESCAPED: "${NotAVariable}-aws",
      },
      architectures: undefined,
      ephemeralStorageSize: undefined,
      tracingMode: "Active",
      reservedConcurrency: 10,
      provisionedConcurrency: 1,
      autoPublishAlias: "live",
      snapStartApplyOn: undefined,
    });
    const worker = byLogicalId(template.functions, "WorkerFunction");
    assert.equal(worker.functionName, "WorkerFunction");
    assert.equal(worker.codePath, join(SAM_APP, "src", "worker"));
    assert.equal(worker.runtime, "python3.12");
    assert.equal(worker.memorySize, 512);
    assert.equal(worker.timeout, 20);
    assert.equal(worker.snapStartApplyOn, "PublishedVersions");
    assert.deepEqual(worker.architectures, ["arm64"]);
    assert.deepEqual(worker.environment, {
      STAGE: "dev",
      LOG_LEVEL: "debug",
      REGION_AND_ACCOUNT: "us-east-1:000000000000",
      SECRET: "",
    });
    const legacy = byLogicalId(template.functions, "LegacyFunction");
    assert.equal(legacy.resourceType, "AWS::Lambda::Function");
    assert.equal(legacy.functionName, "legacy");
    assert.equal(legacy.codePath, join(SAM_APP, "src", "hello"));
    assert.equal(legacy.runtime, "nodejs22.x");
    assert.equal(legacy.timeout, 5);
    assert.equal(legacy.tracingMode, "PassThrough");
    assert.equal(legacy.reservedConcurrency, 2);
    // Globals apply to AWS::Serverless::Function only.
    assert.deepEqual(legacy.environment, { KIND: "dev-legacy" });
    assert.deepEqual(template.skipped, [
      {
        logicalId: "ProdOnlyFunction",
        type: "AWS::Serverless::Function",
        reason: "its Condition IsProd is false",
      },
      { logicalId: "LegacyRole", type: "AWS::IAM::Role" },
      { logicalId: "Table", type: "AWS::DynamoDB::Table" },
      { logicalId: "Subnet", type: "AWS::EC2::Subnet" },
    ]);
    assert.equal(template.warnings.length, 2);
    assert.match(
      template.warnings[0] ?? "",
      /^template\.yaml: function HelloFunction: Environment\.Variables\.TABLE_NAME is set to "" because !Ref Table cannot be evaluated locally \(resource Table \(AWS::DynamoDB::Table\) has a physical id only once deployed\)\.$/,
    );
    assert.match(
      template.warnings[1] ?? "",
      /^template\.yaml: function WorkerFunction: Environment\.Variables\.SECRET is set to "" because !Ref ExternalSecret cannot be evaluated locally \(parameter ExternalSecret has no Default/,
    );
  });

  it("applies parameter overrides, conditions and pseudo parameters from the options", async () => {
    const template = await loadSamTemplate(join(SAM_APP, "template.yaml"), {
      parameters: { Stage: "prod", ExternalSecret: "s3cr3t" },
      stackName: "shop",
      region: "eu-west-1",
    });
    const hello = byLogicalId(template.functions, "HelloFunction");
    assert.equal(hello.functionName, "shop-hello-prod");
    assert.equal(hello.timeout, 30);
    assert.equal(hello.provisionedConcurrency, 5);
    assert.equal(hello.environment.OPTIONAL, "yes");
    assert.equal(hello.environment.EITHER, "yes");
    assert.equal(hello.environment.ZONE, "eu-west-1a");
    assert.equal(
      hello.environment.WORKER_ARN,
      "arn:aws:lambda:eu-west-1:000000000000:function:WorkerFunction",
    );
    const worker = byLogicalId(template.functions, "WorkerFunction");
    assert.equal(worker.timeout, 60);
    assert.equal(worker.environment.SECRET, "s3cr3t");
    assert.equal(worker.environment.LOG_LEVEL, "warn");
    const prodOnly = byLogicalId(template.functions, "ProdOnlyFunction");
    assert.equal(prodOnly.functionName, "ProdOnlyFunction");
    assert.equal(prodOnly.runtime, "nodejs20.x");
    assert.deepEqual(template.warnings.length, 1);
  });

  it("makes an environment variable it cannot evaluate an error when strict", async () => {
    await assertTemplateError(
      () =>
        loadSamTemplate(join(SAM_APP, "template.yaml"), {
          strictEnvironment: true,
        }),
      /^template\.yaml: function HelloFunction: Environment\.Variables\.TABLE_NAME cannot evaluate !Ref Table: resource Table \(AWS::DynamoDB::Table\) has a physical id only once deployed\./,
    );
  });
});

describe("loadSamTemplate: other templates", () => {
  it("reads a JSON CloudFormation template with long-form intrinsics", async () => {
    const template = await loadSamTemplate(
      join(TEMPLATES, "json-app", "template.json"),
    );
    assert.equal(template.functions.length, 1);
    const fn = byLogicalId(template.functions, "JsonFunction");
    assert.equal(fn.functionName, "json-fn-us-east-1");
    assert.equal(fn.codePath, join(TEMPLATES, "json-app", "code"));
    assert.equal(fn.timeout, 15);
    assert.deepEqual(fn.environment, { PARTITION: "aws", JOINED: "a-json-fn" });
    assert.deepEqual(template.skipped, [
      { logicalId: "Role", type: "AWS::IAM::Role" },
      { logicalId: "Queue", type: "AWS::SQS::Queue" },
    ]);
  });

  it("refuses broken YAML with the line of the problem", async () => {
    await assertTemplateError(
      () => loadSamTemplate(join(TEMPLATES, "broken.yaml")),
      /^broken\.yaml is not valid YAML: .*line \d+, column \d+/s,
    );
  });

  it("names the function, the field and the expression it cannot evaluate", async () => {
    await assertTemplateError(
      () => loadSamTemplate(join(TEMPLATES, "unresolvable-codeuri.yaml")),
      "unresolvable-codeuri.yaml: function SharedCodeFunction: CodeUri cannot evaluate !ImportValue shared-code-path: it reads an output of another stack, which exists only once deployed. thaw evaluates only what is known before deployment (parameters with an override or a Default, pseudo parameters, the template's functions, Mappings and Conditions); replace the expression with a value, or give the parameter a Default.",
    );
  });

  it("refuses a template whose code does not exist, and a missing template", async (t) => {
    await assertTemplateError(
      () => loadSamTemplate(join(TEMPLATES, "nope.yaml")),
      /^The template .*nope\.yaml does not exist\./,
    );
    const dir = await mkdtemp(join(tmpdir(), "thaw-template-"));
    t.after(() => rm(dir, { recursive: true, force: true }));
    await writeFile(
      join(dir, "template.yaml"),
      samFunction(
        "      CodeUri: does-not-exist\n      Handler: a.b\n      Runtime: nodejs20.x",
      ),
    );
    await assertTemplateError(
      () => loadSamTemplate(join(dir, "template.yaml")),
      `template.yaml: function Fn: its code ${join(dir, "does-not-exist")} does not exist. Fix CodeUri (relative to the template's folder), or build the function first (sam build writes .aws-sam/build/template.yaml).`,
    );
  });
});

describe("parseSamTemplate: fields and refusals", () => {
  it("defaults CodeUri to the template's folder and a provided runtime's handler to bootstrap", () => {
    const template = parseSamTemplate(
      samFunction("      Runtime: provided.al2023"),
      { baseDir: BASE },
    );
    const fn = byLogicalId(template.functions, "Fn");
    assert.equal(fn.codePath, BASE);
    assert.equal(fn.handler, "bootstrap");
    assert.equal(fn.functionName, "Fn");
  });

  it("keeps unknown tags as plain values with a warning, and ignores fields thaw does not need", () => {
    const template = parseSamTemplate(
      samFunction(
        "      Runtime: nodejs20.x\n      Handler: index.handler\n      Role: !SomethingNew arn\n      Layers: [!ImportValue layer]",
      ),
      { baseDir: BASE },
    );
    assert.equal(template.functions.length, 1);
    assert.equal(template.warnings.length, 1);
    assert.match(template.warnings[0] ?? "", /Unresolved tag: !SomethingNew/);
  });

  const refusals: readonly {
    readonly title: string;
    readonly text: string;
    readonly message: string | RegExp;
  }[] = [
    {
      title: "a template without Resources",
      text: "AWSTemplateFormatVersion: '2010-09-09'\n",
      message:
        "the template has no Resources section: it is not a SAM or CloudFormation template.",
    },
    {
      title: "invalid JSON",
      text: '{ "Resources": ',
      message: /^the template is not valid JSON: /,
    },
    {
      title: "a missing runtime",
      text: samFunction("      Handler: index.handler"),
      message: /^the template: function Fn: Runtime is missing\./,
    },
    {
      title: "a missing handler for a managed runtime",
      text: samFunction("      Runtime: python3.12"),
      message:
        "the template: function Fn: Handler is missing; python3.12 needs one (e.g. index.handler).",
    },
    {
      title: "a handler from a parameter without Default",
      text: samFunction(
        "      Runtime: nodejs20.x\n      Handler: !Ref HandlerName",
        "Parameters:\n  HandlerName:\n    Type: String",
      ),
      message:
        /^the template: function Fn: Handler cannot evaluate !Ref HandlerName: parameter HandlerName has no Default; give it one, or pass a value for it\./,
    },
    {
      title: "a memory size that is not a number",
      text: samFunction(
        "      Runtime: nodejs20.x\n      Handler: index.handler\n      MemorySize: lots",
      ),
      message:
        'the template: function Fn: MemorySize is "lots"; it must be a whole number.',
    },
    {
      title: "a memory size out of range",
      text: samFunction(
        "      Runtime: nodejs20.x\n      Handler: index.handler\n      MemorySize: 64",
      ),
      message:
        /^the template: function Fn: 1 validation error detected: Value '64' at 'memorySize'/,
    },
    {
      title: "an unknown runtime",
      text: samFunction("      Runtime: cobol85\n      Handler: index.handler"),
      message:
        /^the template: function Fn: Value cobol85 at 'runtime' failed to satisfy constraint/,
    },
    {
      title: "InlineCode",
      text: samFunction(
        "      Runtime: nodejs20.x\n      Handler: index.handler\n      InlineCode: exports.handler = () => 1",
      ),
      message: /^the template: function Fn: InlineCode is not supported/,
    },
    {
      title: "an S3 CodeUri",
      text: samFunction(
        "      Runtime: nodejs20.x\n      Handler: index.handler\n      CodeUri: { Bucket: b, Key: k }",
      ),
      message: /^the template: function Fn: CodeUri is an S3 location/,
    },
    {
      title: "an s3:// CodeUri",
      text: samFunction(
        "      Runtime: nodejs20.x\n      Handler: index.handler\n      CodeUri: s3://bucket/key.zip",
      ),
      message:
        /^the template: function Fn: CodeUri is s3:\/\/bucket\/key\.zip, an S3 location/,
    },
    {
      title: "a container image",
      text: samFunction("      PackageType: Image\n      ImageUri: repo:1"),
      message:
        /^the template: function Fn: PackageType container images are not supported/,
    },
    {
      title: "provisioned concurrency without AutoPublishAlias",
      text: samFunction(
        "      Runtime: nodejs20.x\n      Handler: index.handler\n      ProvisionedConcurrencyConfig:\n        ProvisionedConcurrentExecutions: 2",
      ),
      message:
        /^the template: function Fn: ProvisionedConcurrencyConfig needs AutoPublishAlias/,
    },
    {
      title: "an unknown SnapStart value",
      text: samFunction(
        "      Runtime: java21\n      Handler: a.B::c\n      SnapStart:\n        ApplyOn: Always",
      ),
      message:
        "the template: function Fn: SnapStart.ApplyOn is Always; it must be PublishedVersions or None.",
    },
    {
      title: "inline source in an AWS::Lambda::Function",
      text: "Resources:\n  Fn:\n    Type: AWS::Lambda::Function\n    Properties:\n      Runtime: nodejs20.x\n      Handler: index.handler\n      Code:\n        ZipFile: exports.handler = async () => 1\n",
      message:
        /^the template: function Fn: Code\.ZipFile inline source is not supported/,
    },
    {
      title: "an AWS::Lambda::Function with S3 code",
      text: "Resources:\n  Fn:\n    Type: AWS::Lambda::Function\n    Properties:\n      Runtime: nodejs20.x\n      Handler: index.handler\n      Code: { S3Bucket: b, S3Key: k }\n",
      message: /^the template: function Fn: Code names S3 or an image/,
    },
    {
      title: "two functions with one name",
      text: "Resources:\n  A:\n    Type: AWS::Lambda::Function\n    Properties: { FunctionName: same, Runtime: nodejs20.x, Handler: a.b, Code: a }\n  B:\n    Type: AWS::Lambda::Function\n    Properties: { FunctionName: same, Runtime: nodejs20.x, Handler: a.b, Code: b }\n",
      message:
        "the template: functions A and B are both named same. Give one of them another FunctionName.",
    },
    {
      title: "a condition that depends on itself",
      text: "Conditions:\n  Loop: !Not [!Condition Loop]\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Condition: Loop\n    Properties: { Runtime: nodejs20.x, Handler: a.b }\n",
      message:
        "the template: function Fn: Condition: cannot evaluate !Condition Loop: condition Loop depends on itself.",
    },
    {
      title: "a GetAtt of another resource in a field thaw needs",
      text: samFunction(
        "      Runtime: nodejs20.x\n      Handler: !GetAtt Bucket.Arn",
        "",
      ).replace(
        "Resources:\n",
        "Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\n",
      ),
      message:
        /^the template: function Fn: Handler cannot evaluate !GetAtt Bucket\.Arn: attribute Arn of Bucket \(AWS::S3::Bucket\) exists only once deployed\./,
    },
  ];
  for (const row of refusals) {
    it(`refuses ${row.title}`, async () => {
      await assertTemplateError(
        () => parseSamTemplate(row.text, { baseDir: BASE }),
        row.message,
      );
    });
  }

  it("evaluates FindInMap defaults, ToJsonString, Length and numbers given as strings", () => {
    const template = parseSamTemplate(
      samFunction(
        [
          "      Runtime: nodejs20.x",
          "      Handler: index.handler",
          '      Timeout: "7"',
          "      Environment:",
          "        Variables:",
          "          FALLBACK: !FindInMap [Missing, a, b, { DefaultValue: fallback }]",
          "          JSON: { Fn::ToJsonString: { a: [1, 2] } }",
          "          COUNT: { Fn::Length: [x, y, z] }",
          "          FLAG: true",
        ].join("\n"),
        "Mappings:\n  Other: { a: { b: c } }",
      ),
      { baseDir: BASE },
    );
    const fn = byLogicalId(template.functions, "Fn");
    assert.equal(fn.timeout, 7);
    assert.deepEqual(fn.environment, {
      FALLBACK: "fallback",
      JSON: '{"a":[1,2]}',
      COUNT: "3",
      FLAG: "true",
    });
  });
});
