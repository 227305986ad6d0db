/**
 * thaw's implementation of the {@link LambdaService} port: control-plane operations go to the
 * function registry, Invocations to the function invoker. Invoke's qualifier and invocation type
 * are decided here: `DryRun` only checks that the function can be invoked, `Event` queues.
 */
import type { FunctionRegistry } from "../control-plane/function-registry.js";
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
} from "../invoke-api/lambda-service.js";
import type { FunctionInvoker } from "./function-invoker.js";
import { randomUUID } from "node:crypto";

const EMPTY = Buffer.alloc(0);

/** The LambdaService of one `thaw serve`. */
export class ThawService implements LambdaService {
  readonly #registry: FunctionRegistry;
  readonly #invoker: FunctionInvoker;
  readonly #startedAt = new Date().toISOString();

  constructor(registry: FunctionRegistry, invoker: FunctionInvoker) {
    this.#registry = registry;
    this.#invoker = invoker;
  }

  async invoke(call: InvokeCall): Promise<InvokeReply> {
    const resolved = this.#registry.resolve(call);
    const executedVersion = resolved.version;
    if (call.invocationType === "DryRun") {
      return reply(randomUUID(), executedVersion, 204);
    }
    if (call.invocationType === "Event") {
      const requestId = this.#invoker.enqueue(
        { functionName: call.functionName, qualifier: call.qualifier },
        call.payload,
      );
      return reply(requestId, executedVersion, 202);
    }
    const result = await this.#invoker.invoke(resolved, {
      payload: call.payload,
      tail: call.tailLog,
      clientContext: call.clientContext,
      invokedFunctionArn: invokedArn(resolved.config.functionArn, call),
    });
    return {
      requestId: result.requestId,
      executedVersion,
      statusCode: 200,
      body: result.body,
      contentType: result.contentType,
      functionError: result.functionError,
      errorType: result.errorType,
      log: result.log,
    };
  }

  createFunction(
    request: CreateFunctionRequest,
  ): Promise<FunctionConfiguration> {
    return this.#registry.createFunction(request);
  }

  getFunction(ref: FunctionRef): Promise<GetFunctionResponse> {
    return this.#registry.getFunction(ref);
  }

  getFunctionConfiguration(ref: FunctionRef): Promise<FunctionConfiguration> {
    return this.#registry.getFunctionConfiguration(ref);
  }

  listFunctions(options: {
    readonly marker: string | undefined;
    readonly maxItems: number | undefined;
    readonly allVersions: boolean;
  }): Promise<FunctionPage> {
    return this.#registry.listFunctions(options);
  }

  listVersionsByFunction(
    ref: FunctionRef,
    options: {
      readonly marker: string | undefined;
      readonly maxItems: number | undefined;
    },
  ): Promise<FunctionPage> {
    return this.#registry.listVersionsByFunction(ref, options);
  }

  updateFunctionCode(
    ref: FunctionRef,
    request: UpdateFunctionCodeRequest,
  ): Promise<FunctionConfiguration> {
    return this.#registry.updateFunctionCode(ref, request);
  }

  updateFunctionConfiguration(
    ref: FunctionRef,
    request: UpdateFunctionConfigurationRequest,
  ): Promise<FunctionConfiguration> {
    return this.#registry.updateFunctionConfiguration(ref, request);
  }

  deleteFunction(ref: FunctionRef): Promise<void> {
    return this.#registry.deleteFunction(ref);
  }

  publishVersion(
    ref: FunctionRef,
    request: PublishVersionRequest,
  ): Promise<FunctionConfiguration> {
    return this.#registry.publishVersion(ref, request);
  }

  putFunctionConcurrency(ref: FunctionRef, reserved: number): Promise<number> {
    return this.#registry.putFunctionConcurrency(ref, reserved);
  }

  getFunctionConcurrency(ref: FunctionRef): Promise<number | undefined> {
    return this.#registry.getFunctionConcurrency(ref);
  }

  deleteFunctionConcurrency(ref: FunctionRef): Promise<void> {
    return this.#registry.deleteFunctionConcurrency(ref);
  }

  putProvisionedConcurrencyConfig(
    ref: FunctionRef,
    requested: number,
  ): Promise<ProvisionedConcurrencyConfig> {
    return this.#registry.putProvisionedConcurrencyConfig(ref, requested);
  }

  getProvisionedConcurrencyConfig(
    ref: FunctionRef,
  ): Promise<ProvisionedConcurrencyConfig> {
    return this.#registry.getProvisionedConcurrencyConfig(ref);
  }

  deleteProvisionedConcurrencyConfig(ref: FunctionRef): Promise<void> {
    return this.#registry.deleteProvisionedConcurrencyConfig(ref);
  }

  getAccountSettings(): Promise<AccountSettings> {
    return this.#registry.getAccountSettings();
  }

  status(): ServiceStatus {
    const environments = this.#invoker.environments();
    return {
      startedAt: this.#startedAt,
      functions: this.#registry.summaries().map((summary) => ({
        functionName: summary.functionName,
        version: summary.version,
        runtime: summary.runtime,
        environments:
          summary.key === undefined
            ? {}
            : (environments.get(summary.key) ?? {}),
      })),
    };
  }
}

function reply(
  requestId: string,
  executedVersion: string,
  statusCode: 202 | 204,
): InvokeReply {
  return {
    requestId,
    executedVersion,
    statusCode,
    body: EMPTY,
    contentType: "application/json",
    functionError: false,
    errorType: undefined,
    log: undefined,
  };
}

/** The ARN the function sees as invoked: qualified when the caller named a version or alias. */
function invokedArn(functionArn: string, ref: FunctionRef): string {
  const suffix = /:function:[^:]+:([^:]+)$/.exec(ref.functionName)?.[1];
  const qualifier =
    ref.qualifier ??
    suffix ??
    /^[^:]+:([^:]+)$/.exec(ref.functionName)?.[1] ??
    undefined;
  return qualifier === undefined ? functionArn : `${functionArn}:${qualifier}`;
}
