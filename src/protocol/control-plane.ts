/**
 * Wire shapes of the control-plane subset (spec §6), as the AWS SDK and CLI send and read them
 * (rest-json, PascalCase). Requests are what the invoke-api handlers hand over after checking
 * field types; values (ranges, patterns, states) are checked by the function registry.
 */

/** A function named as the path names it, with the `Qualifier` query parameter. */
export interface FunctionRef {
  /** The path's `FunctionName`, URL-decoded: a name, a partial or a full ARN, maybe `:qualifier`. */
  readonly functionName: string;
  /** The `Qualifier` query parameter, when present. */
  readonly qualifier: string | undefined;
}

/** GetAccountSettings' output. */
export interface AccountSettings {
  readonly AccountLimit: {
    readonly TotalCodeSize: number;
    readonly CodeSizeUnzipped: number;
    readonly CodeSizeZipped: number;
    readonly ConcurrentExecutions: number;
    readonly UnreservedConcurrentExecutions: number;
  };
  readonly AccountUsage: {
    readonly TotalCodeSize: number;
    readonly FunctionCount: number;
  };
}

/** `Environment` of a function. */
export interface EnvironmentWire {
  readonly Variables?: Readonly<Record<string, string>>;
}

/** `Code` of CreateFunction: only `ZipFile` is supported locally (S3 and images are refused). */
export interface FunctionCodeWire {
  /** The deployment package's bytes (base64 on the wire, decoded by the handler). */
  readonly ZipFile?: Buffer;
  readonly S3Bucket?: string;
  readonly S3Key?: string;
  readonly S3ObjectVersion?: string;
  readonly ImageUri?: string;
}

/** CreateFunction's input (spec §6.2); unknown fields are ignored. */
export interface CreateFunctionRequest {
  readonly FunctionName: string;
  readonly Role?: string;
  readonly Runtime?: string;
  readonly Handler?: string;
  readonly Code: FunctionCodeWire;
  readonly Description?: string;
  readonly MemorySize?: number;
  readonly Timeout?: number;
  readonly Environment?: EnvironmentWire;
  readonly Architectures?: readonly string[];
  readonly EphemeralStorage?: { readonly Size: number };
  readonly SnapStart?: { readonly ApplyOn: string };
  readonly Publish?: boolean;
  readonly PackageType?: string;
  readonly Layers?: readonly string[];
  readonly LoggingConfig?: Readonly<Record<string, string>>;
  readonly TracingConfig?: { readonly Mode?: string };
  readonly Tags?: Readonly<Record<string, string>>;
}

/** UpdateFunctionConfiguration's input: every field optional. */
export interface UpdateFunctionConfigurationRequest {
  readonly Role?: string;
  readonly Runtime?: string;
  readonly Handler?: string;
  readonly Description?: string;
  readonly MemorySize?: number;
  readonly Timeout?: number;
  readonly Environment?: EnvironmentWire;
  readonly EphemeralStorage?: { readonly Size: number };
  readonly SnapStart?: { readonly ApplyOn: string };
  readonly Layers?: readonly string[];
  readonly LoggingConfig?: Readonly<Record<string, string>>;
  readonly TracingConfig?: { readonly Mode?: string };
  readonly RevisionId?: string;
}

/** UpdateFunctionCode's input. */
export interface UpdateFunctionCodeRequest {
  readonly ZipFile?: Buffer;
  readonly S3Bucket?: string;
  readonly S3Key?: string;
  readonly S3ObjectVersion?: string;
  readonly ImageUri?: string;
  readonly Architectures?: readonly string[];
  readonly Publish?: boolean;
  readonly DryRun?: boolean;
  readonly RevisionId?: string;
}

/** PublishVersion's input. */
export interface PublishVersionRequest {
  readonly CodeSha256?: string;
  readonly Description?: string;
  readonly RevisionId?: string;
}

/** A function's configuration as every control-plane operation returns it (spec §6.3). */
export interface FunctionConfiguration {
  readonly FunctionName: string;
  readonly FunctionArn: string;
  readonly Runtime: string;
  readonly Role: string;
  readonly Handler: string;
  readonly CodeSize: number;
  readonly CodeSha256: string;
  readonly Description: string;
  readonly Timeout: number;
  readonly MemorySize: number;
  /** `2024-05-01T12:34:56.789+0000` */
  readonly LastModified: string;
  readonly Version: string;
  readonly Environment?: {
    readonly Variables: Readonly<Record<string, string>>;
  };
  readonly TracingConfig: { readonly Mode: string };
  readonly RevisionId: string;
  readonly State: "Pending" | "Active" | "Inactive" | "Failed";
  readonly StateReason?: string;
  readonly StateReasonCode?: string;
  /** Absent in CreateFunction's answer, as on AWS. */
  readonly LastUpdateStatus?: "Successful" | "Failed" | "InProgress";
  readonly LastUpdateStatusReason?: string;
  readonly LastUpdateStatusReasonCode?: string;
  readonly PackageType: "Zip";
  readonly Architectures: readonly string[];
  readonly EphemeralStorage: { readonly Size: number };
  readonly SnapStart: {
    readonly ApplyOn: string;
    readonly OptimizationStatus: string;
  };
  readonly LoggingConfig: {
    readonly LogFormat: string;
    readonly LogGroup: string;
    readonly ApplicationLogLevel?: string;
    readonly SystemLogLevel?: string;
  };
  readonly RuntimeVersionConfig: { readonly RuntimeVersionArn: string };
  readonly Layers?: readonly {
    readonly Arn: string;
    readonly CodeSize: number;
  }[];
}

/** GetFunction's output. */
export interface GetFunctionResponse {
  readonly Configuration: FunctionConfiguration;
  readonly Code: { readonly RepositoryType: "S3"; readonly Location: string };
  readonly Tags?: Readonly<Record<string, string>>;
  readonly Concurrency?: { readonly ReservedConcurrentExecutions: number };
}

/** A page of ListFunctions / ListVersionsByFunction. */
export interface FunctionPage {
  readonly items: readonly FunctionConfiguration[];
  readonly nextMarker: string | undefined;
}

/** Provisioned concurrency of one version (spec §6.1). */
export interface ProvisionedConcurrencyConfig {
  readonly RequestedProvisionedConcurrentExecutions: number;
  readonly AllocatedProvisionedConcurrentExecutions: number;
  readonly AvailableProvisionedConcurrentExecutions: number;
  readonly Status: "IN_PROGRESS" | "READY" | "FAILED";
  readonly StatusReason?: string;
  readonly LastModified: string;
}
