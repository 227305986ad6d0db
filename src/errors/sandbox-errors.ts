/** Errors of the sandbox backends. */
import { ThawError } from "./thaw-error.js";

/** A sandbox's Runtime process could not be started (spawn failed, cgroup set-up failed). */
export class SandboxStartError extends ThawError {
  override readonly name = "SandboxStartError";
  readonly blame = "platform";
  /**
   * True when the Runtime's program itself could not be executed (missing, not executable, a bad
   * interpreter line): Lambda's `Runtime.InvalidEntrypoint`, the function's fault.
   */
  readonly entrypoint: boolean;

  constructor(
    message: string,
    options: { cause?: unknown; entrypoint?: boolean } = {},
  ) {
    super(message, { cause: options.cause });
    this.entrypoint = options.entrypoint ?? false;
  }
}

/** An object was asked to do something its current state forbids. */
export class IllegalStateError extends ThawError {
  override readonly name = "IllegalStateError";
  readonly blame = "platform";
}

/** A sandbox's processes or cgroups could not be removed (a process stuck in the kernel, a busy cgroup). */
export class SandboxCleanupError extends ThawError {
  override readonly name = "SandboxCleanupError";
  readonly blame = "platform";
}

/** A cgroup operation failed or is not available on this machine. */
export class CgroupError extends ThawError {
  override readonly name = "CgroupError";
  readonly blame = "platform";
}

/**
 * An environment's init failed where no Invocation can receive the failure: a provisioned
 * environment, started ahead of any Invocation.
 */
export class EnvironmentInitError extends ThawError {
  override readonly name = "EnvironmentInitError";
  readonly blame = "function";
}
