/**
 * The port behind the Invoke API and control-plane routes: everything the HTTP handlers ask of
 * thaw. The handlers parse and check the wire format, call one method, and serialise its result;
 * the composition root (`app/`) implements it with the function registry, the scheduler and the
 * environment pools. Every method may throw a {@link ServiceException}; anything else thrown
 * becomes a `ServiceException` 500 at the HTTP edge.
 */
import type {
  AccountSettings,
  CreateFunctionRequest,
  FunctionRef,
  FunctionConfiguration,
  FunctionPage,
  GetFunctionResponse,
  ProvisionedConcurrencyConfig,
  PublishVersionRequest,
  UpdateFunctionCodeRequest,
  UpdateFunctionConfigurationRequest,
} from "../protocol/control-plane.js";

/** `X-Amz-Invocation-Type`. */
export type InvocationType = "RequestResponse" | "Event" | "DryRun";

/** One Invoke or InvokeWithResponseStream call. */
export interface InvokeCall extends FunctionRef {
  readonly invocationType: InvocationType;
  /** `X-Amz-Log-Type: Tail`. */
  readonly tailLog: boolean;
  /** `X-Amz-Client-Context`, base64-decoded (JSON text). */
  readonly clientContext: string | undefined;
  /** `X-Amz-Tenant-Id`. */
  readonly tenantId: string | undefined;
  readonly payload: Buffer;
  /** Aborted when the caller disconnects; the Invocation still completes (as on Lambda). */
  readonly signal: AbortSignal;
}

/** The outcome of an accepted Invoke. */
export interface InvokeReply {
  readonly requestId: string;
  /** `X-Amz-Executed-Version`: `$LATEST` or a number. */
  readonly executedVersion: string;
  /** 200 (RequestResponse), 202 (Event) or 204 (DryRun). */
  readonly statusCode: 200 | 202 | 204;
  readonly body: Buffer;
  /** The Runtime's content type; `application/json` by default. */
  readonly contentType: string;
  /** True when the caller must see `X-Amz-Function-Error: Unhandled`. */
  readonly functionError: boolean;
  /** The function error's type, when there was one (InvokeComplete's `ErrorCode`). */
  readonly errorType: string | undefined;
  /** With `tailLog`: this Invocation's whole text log (START … REPORT); the edge keeps the last 4 KB. */
  readonly log: string | undefined;
}

/** What the Invoke API and the control plane need from thaw. */
export interface LambdaService {
  /** Invoke (spec §5.1). @throws {ServiceException} when the function does not run. */
  invoke(call: InvokeCall): Promise<InvokeReply>;
  createFunction(
    request: CreateFunctionRequest,
  ): Promise<FunctionConfiguration>;
  getFunction(ref: FunctionRef): Promise<GetFunctionResponse>;
  getFunctionConfiguration(ref: FunctionRef): Promise<FunctionConfiguration>;
  listFunctions(options: {
    readonly marker: string | undefined;
    readonly maxItems: number | undefined;
    readonly allVersions: boolean;
  }): Promise<FunctionPage>;
  listVersionsByFunction(
    ref: FunctionRef,
    options: {
      readonly marker: string | undefined;
      readonly maxItems: number | undefined;
    },
  ): Promise<FunctionPage>;
  updateFunctionCode(
    ref: FunctionRef,
    request: UpdateFunctionCodeRequest,
  ): Promise<FunctionConfiguration>;
  updateFunctionConfiguration(
    ref: FunctionRef,
    request: UpdateFunctionConfigurationRequest,
  ): Promise<FunctionConfiguration>;
  deleteFunction(ref: FunctionRef): Promise<void>;
  publishVersion(
    ref: FunctionRef,
    request: PublishVersionRequest,
  ): Promise<FunctionConfiguration>;
  /** Returns the reserved concurrency now in force (`ReservedConcurrentExecutions`). */
  putFunctionConcurrency(ref: FunctionRef, reserved: number): Promise<number>;
  /** Undefined when none is set. */
  getFunctionConcurrency(ref: FunctionRef): Promise<number | undefined>;
  deleteFunctionConcurrency(ref: FunctionRef): Promise<void>;
  putProvisionedConcurrencyConfig(
    ref: FunctionRef,
    requested: number,
  ): Promise<ProvisionedConcurrencyConfig>;
  /** @throws {ServiceException} `ProvisionedConcurrencyConfigNotFoundException` when none. */
  getProvisionedConcurrencyConfig(
    ref: FunctionRef,
  ): Promise<ProvisionedConcurrencyConfig>;
  deleteProvisionedConcurrencyConfig(ref: FunctionRef): Promise<void>;
  getAccountSettings(): Promise<AccountSettings>;
  /** The `GET /` status page's facts. */
  status(): ServiceStatus;
}

/** What `GET /` shows: each function version and its environments. */
export interface ServiceStatus {
  readonly startedAt: string;
  readonly functions: readonly {
    readonly functionName: string;
    readonly version: string;
    readonly runtime: string;
    readonly environments: Readonly<Record<string, number>>;
  }[];
}
