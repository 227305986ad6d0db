/** Errors of the sandbox backends. */
import { ThawError } from "./thaw-error.js";

/** A sandbox's Runtime process could not be started (spawn failed, cgroup set-up failed). */
export class SandboxStartError extends ThawError {
  override readonly name = "SandboxStartError";
  readonly blame = "platform";
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
