/** Lambda's defaults and bounds for function configuration (spec §7, CreateFunction). */

/** Account id used in ARNs; LocalStack and the AWS docs' examples use fixed ids too. */
export const DEFAULT_ACCOUNT_ID = "000000000000";
export const DEFAULT_REGION = "us-east-1";
export const DEFAULT_MEMORY_MB = 128;
export const MIN_MEMORY_MB = 128;
export const MAX_MEMORY_MB = 10_240;
/** EphemeralStorage (`/tmp`), in MB: Lambda's default and bounds. */
export const DEFAULT_EPHEMERAL_STORAGE_MB = 512;
export const MIN_EPHEMERAL_STORAGE_MB = 512;
export const MAX_EPHEMERAL_STORAGE_MB = 10_240;
export const DEFAULT_TIMEOUT_SECONDS = 3;
export const MIN_TIMEOUT_SECONDS = 1;
export const MAX_TIMEOUT_SECONDS = 900;
/** On-demand init is capped at 10 s (spec §1.7). */
export const INIT_TIMEOUT_MS = 10_000;
/** Function names: letters, digits, hyphens and underscores, at most 64 characters. */
export const FUNCTION_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** Customer environment variables may not set these (spec §3.1, reserved keys). */
export const RESERVED_ENVIRONMENT_KEYS: ReadonlySet<string> = new Set([
  "_HANDLER",
  "_X_AMZN_TRACE_ID",
  "AWS_DEFAULT_REGION",
  "AWS_REGION",
  "AWS_EXECUTION_ENV",
  "AWS_LAMBDA_FUNCTION_NAME",
  "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
  "AWS_LAMBDA_FUNCTION_VERSION",
  "AWS_LAMBDA_INITIALIZATION_TYPE",
  "AWS_LAMBDA_LOG_GROUP_NAME",
  "AWS_LAMBDA_LOG_STREAM_NAME",
  "AWS_ACCESS_KEY",
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "AWS_LAMBDA_RUNTIME_API",
  "LAMBDA_TASK_ROOT",
  "LAMBDA_RUNTIME_DIR",
]);
