/**
 * What the function registry tells the rest of thaw when a change needs work elsewhere: the
 * environment pools (retire, provision) and the scheduler (reserved concurrency). Listeners get
 * these synchronously, after the registry's state has changed, so a listener may call `resolve()`
 * and see the new state.
 */
import type { FunctionConfig } from "../config/function-config.js";
import type { FunctionSettings } from "./function-settings.js";

/** A function version ready to run, as `FunctionRegistry.resolve()` returns it. */
export interface ResolvedFunction {
  /**
   * Unique per function version and code/configuration revision (`my-fn:$LATEST:7`, `my-fn:3:9`):
   * the key of its environment pool. A new key appears when `$LATEST` is updated or a function is
   * re-created under the same name; the old one is then announced as `retired`.
   */
  readonly key: string;
  readonly functionName: string;
  /** The executed version: `$LATEST` or a published version number (aliases resolve to it). */
  readonly version: string;
  /** The runtime-side configuration, with `version` set. */
  readonly config: FunctionConfig;
  /** The wire-level settings (logging, ephemeral storage, SnapStart, tracing, architectures…). */
  readonly settings: FunctionSettings;
  /** The prepared package folder that becomes `/var/task` (read-only). */
  readonly taskRoot: string;
  readonly codeSha256: string;
  /** The function's reserved concurrency; undefined when none is set. */
  readonly reservedConcurrency: number | undefined;
  /** Provisioned concurrency asked for this version (directly or through an alias). */
  readonly provisionedConcurrency: number | undefined;
}

/**
 * A change other parts of thaw act on.
 *
 * - `retired`: no new Invocation will get `key` again; destroy its idle environments and let busy
 *   ones finish. Sent when an update of `$LATEST` has been prepared (the old key), and when a
 *   version or the whole function is deleted.
 * - `provisioned`: keep `requested` environments of `key` initialised (0: none). Sent when a
 *   provisioned concurrency config is put, deleted or moved with its alias, and when a version that
 *   has one becomes Active (never for a version that is not Active).
 * - `reserved`: the function's reserved concurrency changed (undefined: none; also sent when a
 *   function that had one is deleted).
 */
export type RegistryChange =
  | {
      readonly kind: "retired";
      readonly key: string;
      readonly functionName: string;
      readonly version: string;
    }
  | {
      readonly kind: "provisioned";
      readonly key: string;
      readonly requested: number;
      readonly function: ResolvedFunction;
    }
  | {
      readonly kind: "reserved";
      readonly functionName: string;
      readonly reserved: number | undefined;
    };

/** Receives {@link RegistryChange}s; it must not throw (an exception reaches the registry's caller). */
export type RegistryListener = (change: RegistryChange) => void;
