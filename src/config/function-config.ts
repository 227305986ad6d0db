/**
 * A function's configuration, validated once and frozen: what CreateFunction accepts, with Lambda's
 * defaults, bounds and validation messages.
 */
import { InvalidParameterValueError } from "../errors/usage-errors.js";
import {
  DEFAULT_ACCOUNT_ID,
  DEFAULT_EPHEMERAL_STORAGE_MB,
  DEFAULT_MEMORY_MB,
  DEFAULT_REGION,
  DEFAULT_TIMEOUT_SECONDS,
  FUNCTION_NAME_PATTERN,
  MAX_EPHEMERAL_STORAGE_MB,
  MAX_MEMORY_MB,
  MAX_TIMEOUT_SECONDS,
  MIN_EPHEMERAL_STORAGE_MB,
  MIN_MEMORY_MB,
  MIN_TIMEOUT_SECONDS,
  RESERVED_ENVIRONMENT_KEYS,
} from "./defaults.js";
import { findRuntime, RUNTIMES, type RuntimeDescriptor } from "./runtimes.js";

/** A validated, frozen function configuration. */
export interface FunctionConfig {
  readonly functionName: string;
  readonly runtime: RuntimeDescriptor;
  readonly handler: string;
  /** MemorySize in MB. */
  readonly memorySize: number;
  /** Timeout in seconds. */
  readonly timeout: number;
  /** EphemeralStorage: the size of `/tmp` in MB. */
  readonly ephemeralStorage: number;
  readonly environment: Readonly<Record<string, string>>;
  /** `$LATEST` or a published version number. */
  readonly version: string;
  readonly region: string;
  readonly accountId: string;
  /** The unqualified function ARN. */
  readonly functionArn: string;
}

/** What a caller gives; everything but the name, runtime and handler has Lambda's default. */
export interface FunctionConfigInput {
  readonly functionName: string;
  readonly runtime: string;
  readonly handler: string;
  /** @default 128 */
  readonly memorySize?: number;
  /** @default 3 */
  readonly timeout?: number;
  /** `/tmp` in MB, 512–10,240. @default 512 */
  readonly ephemeralStorage?: number;
  /** @default {} */
  readonly environment?: Readonly<Record<string, string>>;
  /** @default "$LATEST" */
  readonly version?: string;
  /** @default "us-east-1" */
  readonly region?: string;
  /** @default "000000000000" */
  readonly accountId?: string;
}

/**
 * Validates `input` and returns the frozen configuration.
 * @throws {InvalidParameterValueError} naming the first value that is out of range or malformed.
 */
export function createFunctionConfig(
  input: FunctionConfigInput,
): FunctionConfig {
  const functionName = input.functionName;
  if (!FUNCTION_NAME_PATTERN.test(functionName)) {
    throw validationError(
      functionName,
      "functionName",
      "Member must satisfy regular expression pattern: [a-zA-Z0-9-_]{1,64}",
    );
  }
  const runtime = findRuntime(input.runtime);
  if (runtime === undefined) {
    throw new InvalidParameterValueError(
      `Value ${input.runtime} at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: [${RUNTIMES.map((r) => r.id).join(", ")}]`,
    );
  }
  if (input.handler.length === 0 || input.handler.length > 128) {
    throw validationError(
      input.handler,
      "handler",
      "Member must have length between 1 and 128",
    );
  }
  const memorySize = wholeNumberIn(
    input.memorySize ?? DEFAULT_MEMORY_MB,
    "memorySize",
    { min: MIN_MEMORY_MB, max: MAX_MEMORY_MB, unit: "MB" },
  );
  const timeout = wholeNumberIn(
    input.timeout ?? DEFAULT_TIMEOUT_SECONDS,
    "timeout",
    { min: MIN_TIMEOUT_SECONDS, max: MAX_TIMEOUT_SECONDS, unit: "seconds" },
  );
  const ephemeralStorage = wholeNumberIn(
    input.ephemeralStorage ?? DEFAULT_EPHEMERAL_STORAGE_MB,
    "ephemeralStorage.size",
    {
      min: MIN_EPHEMERAL_STORAGE_MB,
      max: MAX_EPHEMERAL_STORAGE_MB,
      unit: "MB",
    },
  );
  const environment = { ...(input.environment ?? {}) };
  const reserved = Object.keys(environment).filter((key) =>
    RESERVED_ENVIRONMENT_KEYS.has(key),
  );
  if (reserved.length > 0) {
    throw new InvalidParameterValueError(
      `Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: ${reserved.join(", ")}`,
    );
  }
  for (const key of Object.keys(environment)) {
    if (!/^[a-zA-Z]\w*$/.test(key)) {
      throw validationError(
        key,
        "environment.variables",
        "Member must satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+",
      );
    }
  }
  const region = input.region ?? DEFAULT_REGION;
  const accountId = input.accountId ?? DEFAULT_ACCOUNT_ID;
  return Object.freeze({
    functionName,
    runtime,
    handler: input.handler,
    memorySize,
    timeout,
    ephemeralStorage,
    environment: Object.freeze(environment),
    version: input.version ?? "$LATEST",
    region,
    accountId,
    functionArn: `arn:aws:lambda:${region}:${accountId}:function:${functionName}`,
  });
}

/**
 * `value`, when it is a whole number of `range.unit` from `range.min` to `range.max`.
 * @throws {InvalidParameterValueError} naming `field` otherwise.
 */
function wholeNumberIn(
  value: number,
  field: string,
  range: {
    readonly min: number;
    readonly max: number;
    readonly unit: "MB" | "seconds";
  },
): number {
  if (!Number.isInteger(value) || value < range.min || value > range.max)
    throw validationError(
      String(value),
      field,
      `Member must be a whole number of ${range.unit} from ${range.min} to ${range.max}`,
    );
  return value;
}

function validationError(
  value: string,
  field: string,
  constraint: string,
): InvalidParameterValueError {
  return new InvalidParameterValueError(
    `1 validation error detected: Value '${value}' at '${field}' failed to satisfy constraint: ${constraint}`,
  );
}
