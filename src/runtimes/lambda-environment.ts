/**
 * The environment variables of a Runtime process, exactly as Lambda sets them (spec §3.1): customer
 * variables first, reserved ones on top, family additions from the launch, nothing inherited from
 * thaw's own environment except the caller's AWS credentials (as AWS's emulator does), so that SDK
 * clients inside the function work.
 */
import { randomBytes } from "node:crypto";
import { dirname } from "node:path";
import type { FunctionConfig } from "../config/function-config.js";
import type { RuntimeLaunch } from "./resolve-runtime.js";

/** Lambda's initialisation types (spec §3.1). */
export type InitializationType = "on-demand" | "provisioned-concurrency" | "snap-start";

/** What varies per ExecutionEnvironment. */
export interface EnvironmentInstance {
  /** `host:port` of this environment's Runtime API. */
  readonly runtimeApi: string;
  /** The folder the Runtime sees as its task root (`/var/task` on Lambda). */
  readonly taskRoot: string;
  /** The folder of the managed runtime (`/var/runtime` on Lambda). */
  readonly runtimeDir: string;
  readonly logStreamName: string;
  /** @default "on-demand" */
  readonly initializationType?: InitializationType;
}

const CREDENTIAL_KEYS = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"] as const;

/** A log stream name as Lambda makes them: `2024/03/04/[$LATEST]` and 32 hex digits. */
export function newLogStreamName(version: string, now: Date = new Date()): string {
  const day = now.toISOString().slice(0, 10).replaceAll("-", "/");
  return `${day}/[${version}]${randomBytes(16).toString("hex")}`;
}

/** The complete environment of a Runtime process. */
export function lambdaEnvironment(
  config: FunctionConfig,
  launch: RuntimeLaunch,
  instance: EnvironmentInstance,
): Record<string, string> {
  const interpreterBin = launch.interpreter === undefined ? "" : `${dirname(launch.interpreter.path)}:`;
  const env: Record<string, string> = {
    ...config.environment,
    PATH: `${interpreterBin}/usr/local/bin:/usr/bin/:/bin:/opt/bin`,
    LANG: "en_US.UTF-8",
    LD_LIBRARY_PATH: `/lib64:/usr/lib64:${instance.runtimeDir}:${instance.runtimeDir}/lib:${instance.taskRoot}:${instance.taskRoot}/lib:/opt/lib`,
    AWS_XRAY_CONTEXT_MISSING: "LOG_ERROR",
    ...launch.env,
    _HANDLER: config.handler,
    AWS_REGION: config.region,
    AWS_DEFAULT_REGION: config.region,
    AWS_LAMBDA_FUNCTION_NAME: config.functionName,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(config.memorySize),
    AWS_LAMBDA_FUNCTION_VERSION: config.version,
    AWS_LAMBDA_INITIALIZATION_TYPE: instance.initializationType ?? "on-demand",
    AWS_LAMBDA_RUNTIME_API: instance.runtimeApi,
    LAMBDA_TASK_ROOT: instance.taskRoot,
    LAMBDA_RUNTIME_DIR: instance.runtimeDir,
    TZ: ":UTC",
  };
  if (instance.initializationType !== "snap-start") {
    env.AWS_LAMBDA_LOG_GROUP_NAME = `/aws/lambda/${config.functionName}`;
    env.AWS_LAMBDA_LOG_STREAM_NAME = instance.logStreamName;
  }
  for (const key of CREDENTIAL_KEYS) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  return env;
}
