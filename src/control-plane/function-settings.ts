/**
 * A version's settings as the control plane stores them (everything of spec §6.3 but code and
 * state), built from CreateFunction and UpdateFunctionConfiguration requests with AWS's checks,
 * defaults and messages (spec §6.2). Pure: no I/O, no clock.
 */
import {
  createFunctionConfig,
  type FunctionConfig,
} from "../config/function-config.js";
import {
  DEFAULT_EPHEMERAL_STORAGE_MB,
  DEFAULT_MEMORY_MB,
  MAX_EPHEMERAL_STORAGE_MB,
  MIN_EPHEMERAL_STORAGE_MB,
  DEFAULT_TIMEOUT_SECONDS,
  MAX_MEMORY_MB,
  MAX_TIMEOUT_SECONDS,
  MIN_MEMORY_MB,
  MIN_TIMEOUT_SECONDS,
} from "../config/defaults.js";
import { findRuntime, RUNTIMES } from "../config/runtimes.js";
import {
  ServiceException,
  validationException,
} from "../errors/service-exceptions.js";
import { InvalidParameterValueError } from "../errors/usage-errors.js";
import type {
  CreateFunctionRequest,
  UpdateFunctionConfigurationRequest,
} from "../protocol/control-plane.js";
import type { ArnScope } from "./function-name.js";

/** `LoggingConfig` as stored and returned. */
export interface LoggingSettings {
  readonly LogFormat: "Text" | "JSON";
  readonly LogGroup: string;
  readonly ApplicationLogLevel?: string;
  readonly SystemLogLevel?: string;
}

/** What a version is configured with; PublishVersion copies it unchanged. */
export interface FunctionSettings {
  readonly runtime: string;
  readonly handler: string;
  readonly role: string;
  readonly description: string;
  readonly memorySize: number;
  readonly timeout: number;
  /** Customer variables; empty when none (then `Environment` is left out of the configuration). */
  readonly environment: Readonly<Record<string, string>>;
  readonly architectures: readonly string[];
  readonly ephemeralStorageSize: number;
  readonly snapStartApplyOn: "PublishedVersions" | "None";
  readonly tracingMode: "Active" | "PassThrough";
  readonly logging: LoggingSettings;
  readonly layers: readonly string[];
}

/** Lambda's limit on the JSON of the environment variables (spec §6.2, §7). */
export const MAX_ENVIRONMENT_BYTES = 4096;
/** Echoed when CreateFunction gives no `Role` (thaw does not assume roles). */
export const DEFAULT_ROLE = "arn:aws:iam::000000000000:role/thaw-function";
const MAX_DESCRIPTION_LENGTH = 256;
const MAX_HANDLER_LENGTH = 128;
const MAX_LAYERS = 5;
const ARCHITECTURES: readonly string[] = ["x86_64", "arm64"];
const APPLICATION_LOG_LEVELS: readonly string[] = [
  "TRACE",
  "DEBUG",
  "INFO",
  "WARN",
  "ERROR",
  "FATAL",
];
const SYSTEM_LOG_LEVELS: readonly string[] = ["DEBUG", "INFO", "WARN"];
/** Runtimes (among thaw's) that SnapStart supports: Java 11+ and Python 3.12+. */
const SNAP_START_RUNTIMES: ReadonlySet<string> = new Set([
  "java17",
  "java21",
  "python3.12",
  "python3.13",
]);
/** `provided.*` functions need no handler; thaw passes this one, as `thaw invoke` does. */
const PROVIDED_DEFAULT_HANDLER = "bootstrap";

/**
 * Checks CreateFunction's configuration fields and fills Lambda's defaults.
 * @throws {ServiceException} `InvalidParameterValueException` or `ValidationException`, with AWS's
 *   message, for the first field that is missing, out of range or malformed.
 */
export function settingsFromCreateRequest(
  request: CreateFunctionRequest,
  functionName: string,
): FunctionSettings {
  if (request.PackageType !== undefined && request.PackageType !== "Zip") {
    if (request.PackageType === "Image") {
      throw invalidParameter(
        "thaw runs .zip deployment packages only: PackageType Image (container images) is not supported locally. Create the function with PackageType Zip and Code.ZipFile.",
      );
    }
    throw validationException(
      "packageType",
      request.PackageType,
      "Member must satisfy enum value set: [Image, Zip]",
    );
  }
  const runtime = request.Runtime;
  const provided = runtime?.startsWith("provided") === true;
  if (runtime === undefined || (request.Handler === undefined && !provided)) {
    throw invalidParameter(
      "Runtime and Handler are mandatory parameters for functions created with deployment packages.",
    );
  }
  const draft: FunctionSettings = {
    runtime,
    handler: request.Handler ?? PROVIDED_DEFAULT_HANDLER,
    role: request.Role ?? DEFAULT_ROLE,
    description: request.Description ?? "",
    memorySize: request.MemorySize ?? DEFAULT_MEMORY_MB,
    timeout: request.Timeout ?? DEFAULT_TIMEOUT_SECONDS,
    environment: request.Environment?.Variables ?? {},
    architectures: request.Architectures ?? ["x86_64"],
    ephemeralStorageSize:
      request.EphemeralStorage?.Size ?? DEFAULT_EPHEMERAL_STORAGE_MB,
    snapStartApplyOn: snapStartApplyOn(request.SnapStart?.ApplyOn ?? "None"),
    tracingMode: tracingMode(request.TracingConfig?.Mode ?? "PassThrough"),
    logging: logging(request.LoggingConfig, {
      LogFormat: "Text",
      LogGroup: `/aws/lambda/${functionName}`,
    }),
    layers: request.Layers ?? [],
  };
  return checked(draft);
}

/**
 * Applies UpdateFunctionConfiguration's fields (each optional) to `current`.
 * @throws {ServiceException} as {@link settingsFromCreateRequest}; nothing is changed then.
 */
export function settingsWithUpdate(
  current: FunctionSettings,
  request: UpdateFunctionConfigurationRequest,
): FunctionSettings {
  const draft: FunctionSettings = {
    runtime: request.Runtime ?? current.runtime,
    handler: request.Handler ?? current.handler,
    role: request.Role ?? current.role,
    description: request.Description ?? current.description,
    memorySize: request.MemorySize ?? current.memorySize,
    timeout: request.Timeout ?? current.timeout,
    environment:
      request.Environment === undefined
        ? current.environment
        : (request.Environment.Variables ?? {}),
    architectures: current.architectures,
    ephemeralStorageSize:
      request.EphemeralStorage?.Size ?? current.ephemeralStorageSize,
    snapStartApplyOn:
      request.SnapStart === undefined
        ? current.snapStartApplyOn
        : snapStartApplyOn(request.SnapStart.ApplyOn),
    tracingMode:
      request.TracingConfig?.Mode === undefined
        ? current.tracingMode
        : tracingMode(request.TracingConfig.Mode),
    logging:
      request.LoggingConfig === undefined
        ? current.logging
        : logging(request.LoggingConfig, current.logging),
    layers: request.Layers ?? current.layers,
  };
  return checked(draft);
}

/**
 * Checks UpdateFunctionCode's `Architectures` (exactly one of `x86_64`, `arm64`).
 * @throws {ServiceException} `ValidationException` otherwise.
 */
export function checkArchitectures(architectures: readonly string[]): void {
  const shown = `[${architectures.join(", ")}]`;
  if (architectures.length !== 1) {
    throw validationException(
      "architectures",
      shown,
      "Member must have length less than or equal to 1",
    );
  }
  if (!ARCHITECTURES.includes(architectures[0] ?? "")) {
    throw validationException(
      "architectures",
      shown,
      "Member must satisfy constraint: [Member must satisfy enum value set: [x86_64, arm64], Member must not be null]",
    );
  }
}

/**
 * The frozen {@link FunctionConfig} the runtime side needs for `settings` as `version`.
 * @throws {ServiceException} `InvalidParameterValueException` with createFunctionConfig's message
 *   (reserved or malformed environment keys).
 */
export function functionConfigOf(
  functionName: string,
  settings: FunctionSettings,
  version: string,
  scope: ArnScope,
): FunctionConfig {
  try {
    return createFunctionConfig({
      functionName,
      runtime: settings.runtime,
      handler: settings.handler,
      memorySize: settings.memorySize,
      timeout: settings.timeout,
      ephemeralStorage: settings.ephemeralStorageSize,
      environment: settings.environment,
      version,
      region: scope.region,
      accountId: scope.accountId,
    });
  } catch (err) {
    if (err instanceof InvalidParameterValueError) {
      throw new ServiceException(
        "InvalidParameterValueException",
        err.message,
        {
          cause: err,
        },
      );
    }
    throw err;
  }
}

/** Every check of a complete draft, in the order AWS reports them. */
function checked(settings: FunctionSettings): FunctionSettings {
  if (findRuntime(settings.runtime) === undefined) {
    throw invalidParameter(
      `Value ${settings.runtime} at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: [${RUNTIMES.map((r) => r.id).join(", ")}] or be a valid ARN`,
    );
  }
  if (settings.handler.length > MAX_HANDLER_LENGTH) {
    throw validationException(
      "handler",
      settings.handler,
      `Member must have length less than or equal to ${MAX_HANDLER_LENGTH}`,
    );
  }
  if (!/^\S+$/.test(settings.handler)) {
    throw validationException(
      "handler",
      settings.handler,
      "Member must satisfy regular expression pattern: [^\\s]+",
    );
  }
  checkRange(settings.memorySize, "memorySize", MIN_MEMORY_MB, MAX_MEMORY_MB);
  checkRange(
    settings.timeout,
    "timeout",
    MIN_TIMEOUT_SECONDS,
    MAX_TIMEOUT_SECONDS,
  );
  if (settings.description.length > MAX_DESCRIPTION_LENGTH) {
    throw validationException(
      "description",
      settings.description,
      `Member must have length less than or equal to ${MAX_DESCRIPTION_LENGTH}`,
    );
  }
  checkArchitectures(settings.architectures);
  const measured = JSON.stringify(settings.environment);
  if (Buffer.byteLength(measured) > MAX_ENVIRONMENT_BYTES) {
    throw invalidParameter(
      `Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit. String measured: ${measured}`,
    );
  }
  checkRange(
    settings.ephemeralStorageSize,
    "ephemeralStorage.size",
    MIN_EPHEMERAL_STORAGE_MB,
    MAX_EPHEMERAL_STORAGE_MB,
  );
  if (
    settings.snapStartApplyOn === "PublishedVersions" &&
    !SNAP_START_RUNTIMES.has(settings.runtime)
  ) {
    throw invalidParameter(
      `${settings.runtime} is not supported for SnapStart enabled functions.`,
    );
  }
  if (settings.layers.length > MAX_LAYERS) {
    throw invalidParameter("Cannot reference more than 5 layers.");
  }
  return settings;
}

function checkRange(
  value: number,
  field: string,
  min: number,
  max: number,
): void {
  if (!Number.isInteger(value)) {
    throw validationException(
      field,
      String(value),
      "Member must be a whole number",
    );
  }
  if (value < min) {
    throw validationException(
      field,
      String(value),
      `Member must have value greater than or equal to ${min}`,
    );
  }
  if (value > max) {
    throw validationException(
      field,
      String(value),
      `Member must have value less than or equal to ${max}`,
    );
  }
}

function snapStartApplyOn(value: string): FunctionSettings["snapStartApplyOn"] {
  if (value === "PublishedVersions" || value === "None") return value;
  throw validationException(
    "snapStart.applyOn",
    value,
    "Member must satisfy enum value set: [PublishedVersions, None]",
  );
}

function tracingMode(value: string): FunctionSettings["tracingMode"] {
  if (value === "Active" || value === "PassThrough") return value;
  throw validationException(
    "tracingConfig.mode",
    value,
    "Member must satisfy enum value set: [Active, PassThrough]",
  );
}

/**
 * Merges a `LoggingConfig` request into `current` as Lambda does: switching to JSON sets both log
 * levels to INFO unless given; switching back to Text drops them.
 */
function logging(
  request: Readonly<Record<string, string>> | undefined,
  current: LoggingSettings,
): LoggingSettings {
  if (request === undefined) return current;
  const format = request.LogFormat ?? current.LogFormat;
  if (format !== "Text" && format !== "JSON") {
    throw validationException(
      "loggingConfig.logFormat",
      format,
      "Member must satisfy enum value set: [JSON, Text]",
    );
  }
  const logGroup = request.LogGroup ?? current.LogGroup;
  if (format === "Text") return { LogFormat: "Text", LogGroup: logGroup };
  const application =
    request.ApplicationLogLevel ?? current.ApplicationLogLevel ?? "INFO";
  const system = request.SystemLogLevel ?? current.SystemLogLevel ?? "INFO";
  if (!APPLICATION_LOG_LEVELS.includes(application)) {
    throw validationException(
      "loggingConfig.applicationLogLevel",
      application,
      `Member must satisfy enum value set: [${APPLICATION_LOG_LEVELS.join(", ")}]`,
    );
  }
  if (!SYSTEM_LOG_LEVELS.includes(system)) {
    throw validationException(
      "loggingConfig.systemLogLevel",
      system,
      `Member must satisfy enum value set: [${SYSTEM_LOG_LEVELS.join(", ")}]`,
    );
  }
  return {
    LogFormat: "JSON",
    LogGroup: logGroup,
    ApplicationLogLevel: application,
    SystemLogLevel: system,
  };
}

function invalidParameter(message: string): ServiceException {
  return new ServiceException("InvalidParameterValueException", message);
}
