/**
 * A test double of the {@link LambdaService} port: it records every call and answers from fields the
 * test sets, so that the Invoke API's tests (unit, and the AWS SDK integration test) exercise the
 * HTTP edge alone. Not used by thaw itself.
 */
import { ServiceException } from "../errors/service-exceptions.js";
import type {
  AccountSettings,
  CreateFunctionRequest,
  FunctionConfiguration,
  FunctionPage,
  FunctionRef,
  GetFunctionResponse,
  ProvisionedConcurrencyConfig,
  PublishVersionRequest,
  UpdateFunctionCodeRequest,
  UpdateFunctionConfigurationRequest,
} from "../protocol/control-plane.js";
import type {
  InvokeCall,
  InvokeReply,
  LambdaService,
  ServiceStatus,
} from "./lambda-service.js";

/** One recorded call: the method's name and its arguments. */
export interface FakeCall {
  readonly method: keyof LambdaService;
  readonly args: readonly unknown[];
}

const ACCOUNT = "000000000000";

/** A FunctionConfiguration as the registry would return it, with `overrides` on top. */
export function fakeConfiguration(
  name: string,
  overrides: Partial<FunctionConfiguration> = {},
): FunctionConfiguration {
  return {
    FunctionName: name,
    FunctionArn: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:${name}`,
    Runtime: "nodejs20.x",
    Role: `arn:aws:iam::${ACCOUNT}:role/lambda`,
    Handler: "index.handler",
    CodeSize: 3,
    CodeSha256: "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
    Description: "",
    Timeout: 3,
    MemorySize: 128,
    LastModified: "2024-05-01T12:34:56.789+0000",
    Version: "$LATEST",
    TracingConfig: { Mode: "PassThrough" },
    RevisionId: "00000000-0000-0000-0000-000000000001",
    State: "Active",
    LastUpdateStatus: "Successful",
    PackageType: "Zip",
    Architectures: ["x86_64"],
    EphemeralStorage: { Size: 512 },
    SnapStart: { ApplyOn: "None", OptimizationStatus: "Off" },
    LoggingConfig: { LogFormat: "Text", LogGroup: `/aws/lambda/${name}` },
    RuntimeVersionConfig: {
      RuntimeVersionArn: "arn:aws:lambda:us-east-1::runtime:fake",
    },
    ...overrides,
  };
}

/** The default Invoke answer: the payload echoed back, with a short log. */
function echo(call: InvokeCall): InvokeReply {
  const statusCode =
    call.invocationType === "Event"
      ? 202
      : call.invocationType === "DryRun"
        ? 204
        : 200;
  const requestId = "11111111-2222-3333-4444-555555555555";
  return {
    requestId,
    executedVersion: call.qualifier ?? "$LATEST",
    statusCode,
    body: statusCode === 200 ? call.payload : Buffer.alloc(0),
    contentType: "application/json",
    functionError: false,
    errorType: undefined,
    log: `START RequestId: ${requestId} Version: $LATEST\nEND RequestId: ${requestId}\n`,
  };
}

/** A recording, scriptable {@link LambdaService}. */
export class FakeLambdaService implements LambdaService {
  readonly calls: FakeCall[] = [];
  /** Answers `invoke`; echoes the payload by default. */
  invokeReply: (call: InvokeCall) => InvokeReply | Promise<InvokeReply> = echo;
  /** `State`s that GetFunction and GetFunctionConfiguration return in turn; the last one repeats. */
  states: FunctionConfiguration["State"][] = ["Active"];
  /** `LastUpdateStatus`es returned in turn, as `states`. */
  updateStatuses: NonNullable<FunctionConfiguration["LastUpdateStatus"]>[] = [
    "Successful",
  ];
  /** Functions listed by ListFunctions and ListVersionsByFunction. */
  functions: FunctionConfiguration[] = [fakeConfiguration("echo")];
  reserved: number | undefined;
  provisioned: ProvisionedConcurrencyConfig | undefined;
  #failure: { readonly error: unknown } | undefined;

  /** Makes the next call (of any method) throw `error`. */
  failNextWith(error: unknown): void {
    this.#failure = { error };
  }

  /** The recorded calls of `method`. */
  callsOf(method: keyof LambdaService): FakeCall[] {
    return this.calls.filter((call) => call.method === method);
  }

  #record(method: keyof LambdaService, ...args: unknown[]): void {
    this.calls.push({ method, args });
    const failure = this.#failure;
    if (failure !== undefined) {
      this.#failure = undefined;
      throw failure.error;
    }
  }

  #configuration(name: string): FunctionConfiguration {
    const state = this.states.length > 1 ? this.states.shift() : this.states[0];
    const update =
      this.updateStatuses.length > 1
        ? this.updateStatuses.shift()
        : this.updateStatuses[0];
    return fakeConfiguration(name, {
      State: state ?? "Active",
      LastUpdateStatus: update ?? "Successful",
    });
  }

  async invoke(call: InvokeCall): Promise<InvokeReply> {
    this.#record("invoke", call);
    return this.invokeReply(call);
  }

  createFunction(
    request: CreateFunctionRequest,
  ): Promise<FunctionConfiguration> {
    this.#record("createFunction", request);
    const created: {
      -readonly [K in keyof FunctionConfiguration]: FunctionConfiguration[K];
    } = fakeConfiguration(request.FunctionName, {
      State: "Pending",
      StateReason: "The function is being created.",
      StateReasonCode: "Creating",
      CodeSize: request.Code.ZipFile?.length ?? 0,
    });
    // Absent from CreateFunction's answer, as on AWS.
    delete created.LastUpdateStatus;
    return Promise.resolve(created);
  }

  getFunction(ref: FunctionRef): Promise<GetFunctionResponse> {
    this.#record("getFunction", ref);
    return Promise.resolve({
      Configuration: this.#configuration(ref.functionName),
      Code: { RepositoryType: "S3", Location: "http://127.0.0.1/code.zip" },
      ...(this.reserved === undefined
        ? {}
        : { Concurrency: { ReservedConcurrentExecutions: this.reserved } }),
    });
  }

  getFunctionConfiguration(ref: FunctionRef): Promise<FunctionConfiguration> {
    this.#record("getFunctionConfiguration", ref);
    return Promise.resolve(this.#configuration(ref.functionName));
  }

  listFunctions(options: {
    readonly marker: string | undefined;
    readonly maxItems: number | undefined;
    readonly allVersions: boolean;
  }): Promise<FunctionPage> {
    this.#record("listFunctions", options);
    return Promise.resolve(this.#page(options.marker, options.maxItems));
  }

  listVersionsByFunction(
    ref: FunctionRef,
    options: {
      readonly marker: string | undefined;
      readonly maxItems: number | undefined;
    },
  ): Promise<FunctionPage> {
    this.#record("listVersionsByFunction", ref, options);
    return Promise.resolve(this.#page(options.marker, options.maxItems));
  }

  #page(
    marker: string | undefined,
    maxItems: number | undefined,
  ): FunctionPage {
    const start = marker === undefined ? 0 : Number(marker);
    const end = start + (maxItems ?? 50);
    return {
      items: this.functions.slice(start, end),
      nextMarker: end < this.functions.length ? String(end) : undefined,
    };
  }

  updateFunctionCode(
    ref: FunctionRef,
    request: UpdateFunctionCodeRequest,
  ): Promise<FunctionConfiguration> {
    this.#record("updateFunctionCode", ref, request);
    return Promise.resolve(
      fakeConfiguration(ref.functionName, { LastUpdateStatus: "InProgress" }),
    );
  }

  updateFunctionConfiguration(
    ref: FunctionRef,
    request: UpdateFunctionConfigurationRequest,
  ): Promise<FunctionConfiguration> {
    this.#record("updateFunctionConfiguration", ref, request);
    return Promise.resolve(
      fakeConfiguration(ref.functionName, {
        LastUpdateStatus: "InProgress",
        ...(request.MemorySize === undefined
          ? {}
          : { MemorySize: request.MemorySize }),
        ...(request.Timeout === undefined ? {} : { Timeout: request.Timeout }),
      }),
    );
  }

  deleteFunction(ref: FunctionRef): Promise<void> {
    this.#record("deleteFunction", ref);
    return Promise.resolve();
  }

  publishVersion(
    ref: FunctionRef,
    request: PublishVersionRequest,
  ): Promise<FunctionConfiguration> {
    this.#record("publishVersion", ref, request);
    return Promise.resolve(
      fakeConfiguration(ref.functionName, {
        Version: "1",
        FunctionArn: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:${ref.functionName}:1`,
        ...(request.Description === undefined
          ? {}
          : { Description: request.Description }),
      }),
    );
  }

  putFunctionConcurrency(ref: FunctionRef, reserved: number): Promise<number> {
    this.#record("putFunctionConcurrency", ref, reserved);
    this.reserved = reserved;
    return Promise.resolve(reserved);
  }

  getFunctionConcurrency(ref: FunctionRef): Promise<number | undefined> {
    this.#record("getFunctionConcurrency", ref);
    return Promise.resolve(this.reserved);
  }

  deleteFunctionConcurrency(ref: FunctionRef): Promise<void> {
    this.#record("deleteFunctionConcurrency", ref);
    this.reserved = undefined;
    return Promise.resolve();
  }

  putProvisionedConcurrencyConfig(
    ref: FunctionRef,
    requested: number,
  ): Promise<ProvisionedConcurrencyConfig> {
    this.#record("putProvisionedConcurrencyConfig", ref, requested);
    this.provisioned = {
      RequestedProvisionedConcurrentExecutions: requested,
      AllocatedProvisionedConcurrentExecutions: 0,
      AvailableProvisionedConcurrentExecutions: 0,
      Status: "IN_PROGRESS",
      LastModified: "2024-05-01T12:34:56.789+0000",
    };
    return Promise.resolve(this.provisioned);
  }

  getProvisionedConcurrencyConfig(
    ref: FunctionRef,
  ): Promise<ProvisionedConcurrencyConfig> {
    this.#record("getProvisionedConcurrencyConfig", ref);
    const config = this.provisioned;
    // As the registry answers: a client asking for a config that does not exist is a 404, not a 500.
    if (config === undefined)
      return Promise.reject(
        new ServiceException(
          "ProvisionedConcurrencyConfigNotFoundException",
          "No Provisioned Concurrency Config found for this function",
        ),
      );
    return Promise.resolve(config);
  }

  deleteProvisionedConcurrencyConfig(ref: FunctionRef): Promise<void> {
    this.#record("deleteProvisionedConcurrencyConfig", ref);
    this.provisioned = undefined;
    return Promise.resolve();
  }

  getAccountSettings(): Promise<AccountSettings> {
    this.#record("getAccountSettings");
    return Promise.resolve({
      AccountLimit: {
        TotalCodeSize: 80_530_636_800,
        CodeSizeUnzipped: 262_144_000,
        CodeSizeZipped: 52_428_800,
        ConcurrentExecutions: 1000,
        UnreservedConcurrentExecutions: 1000 - (this.reserved ?? 0),
      },
      AccountUsage: { TotalCodeSize: 3, FunctionCount: this.functions.length },
    });
  }

  status(): ServiceStatus {
    this.#record("status");
    return {
      startedAt: "2024-05-01T12:00:00.000Z",
      functions: [
        {
          functionName: "echo",
          version: "$LATEST",
          runtime: "nodejs20.x",
          environments: { ready: 1, busy: 0 },
        },
        {
          functionName: "<script>",
          version: "1",
          runtime: "provided.al2023",
          environments: {},
        },
      ],
    };
  }
}
