/**
 * The wire shapes of the control-plane request bodies (spec §6.1, §6.2), checked by
 * {@link readRequest}. Each is typed by its request in `protocol/control-plane.ts`, so the compiler
 * holds the two together.
 */
import type {
  CreateFunctionRequest,
  EnvironmentWire,
  FunctionCodeWire,
  PublishVersionRequest,
  UpdateFunctionCodeRequest,
  UpdateFunctionConfigurationRequest,
} from "../protocol/control-plane.js";
import type { RequestShape, ShapeOf } from "./wire-shape.js";

const ENVIRONMENT: ShapeOf<EnvironmentWire> = { Variables: "string-map" };

const CODE: ShapeOf<FunctionCodeWire> = {
  ZipFile: "blob",
  S3Bucket: "string",
  S3Key: "string",
  S3ObjectVersion: "string",
  ImageUri: "string",
};

/** The request shapes, by operation. */
export const REQUEST_SHAPES: {
  readonly CreateFunction: RequestShape<CreateFunctionRequest>;
  readonly UpdateFunctionConfiguration: RequestShape<UpdateFunctionConfigurationRequest>;
  readonly UpdateFunctionCode: RequestShape<UpdateFunctionCodeRequest>;
  readonly PublishVersion: RequestShape<PublishVersionRequest>;
  readonly PutFunctionConcurrency: RequestShape<{
    readonly ReservedConcurrentExecutions: number;
  }>;
  readonly PutProvisionedConcurrencyConfig: RequestShape<{
    readonly ProvisionedConcurrentExecutions: number;
  }>;
} = {
  CreateFunction: {
    required: ["FunctionName", "Code"],
    members: {
      FunctionName: "string",
      Role: "string",
      Runtime: "string",
      Handler: "string",
      Code: CODE,
      Description: "string",
      MemorySize: "integer",
      Timeout: "integer",
      Environment: ENVIRONMENT,
      Architectures: "string-list",
      EphemeralStorage: { Size: "integer" },
      SnapStart: { ApplyOn: "string" },
      Publish: "boolean",
      PackageType: "string",
      Layers: "string-list",
      LoggingConfig: "string-map",
      TracingConfig: { Mode: "string" },
      Tags: "string-map",
    },
  },
  UpdateFunctionConfiguration: {
    required: [],
    members: {
      Role: "string",
      Runtime: "string",
      Handler: "string",
      Description: "string",
      MemorySize: "integer",
      Timeout: "integer",
      Environment: ENVIRONMENT,
      EphemeralStorage: { Size: "integer" },
      SnapStart: { ApplyOn: "string" },
      Layers: "string-list",
      LoggingConfig: "string-map",
      TracingConfig: { Mode: "string" },
      RevisionId: "string",
    },
  },
  UpdateFunctionCode: {
    required: [],
    members: {
      ZipFile: "blob",
      S3Bucket: "string",
      S3Key: "string",
      S3ObjectVersion: "string",
      ImageUri: "string",
      Architectures: "string-list",
      Publish: "boolean",
      DryRun: "boolean",
      RevisionId: "string",
    },
  },
  PublishVersion: {
    required: [],
    members: {
      CodeSha256: "string",
      Description: "string",
      RevisionId: "string",
    },
  },
  PutFunctionConcurrency: {
    required: ["ReservedConcurrentExecutions"],
    members: { ReservedConcurrentExecutions: "integer" },
  },
  PutProvisionedConcurrencyConfig: {
    required: ["ProvisionedConcurrentExecutions"],
    members: { ProvisionedConcurrentExecutions: "integer" },
  },
};
