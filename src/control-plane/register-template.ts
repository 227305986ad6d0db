/**
 * Registers the functions of a SAM or CloudFormation template (`config/sam-template.ts`) in a
 * {@link FunctionRegistry}, as a deployment would create them: CreateFunction with the code in
 * place, PutFunctionConcurrency for `ReservedConcurrentExecutions`, and for SAM's
 * `AutoPublishAlias` a published version, the alias pointing at it and the alias's
 * `ProvisionedConcurrencyConfig`.
 */
import type { TemplateFunction } from "../config/sam-template.js";
import { ServiceException } from "../errors/service-exceptions.js";
import { InvalidParameterValueError } from "../errors/usage-errors.js";
import type { CreateFunctionRequest } from "../protocol/control-plane.js";
import type { FunctionRegistry } from "./function-registry.js";

/** What {@link registerTemplateFunctions} made of one template function. */
export interface RegisteredTemplateFunction {
  readonly logicalId: string;
  readonly functionName: string;
  /** The version published for `AutoPublishAlias`; undefined without one. */
  readonly version: string | undefined;
  /** The alias (`AutoPublishAlias`) pointing at `version`. */
  readonly alias: string | undefined;
}

/**
 * Creates every function of `functions` in `registry`, waits until each is `Active`, then
 * publishes and aliases those with `AutoPublishAlias`. Functions are created in order; the first
 * refusal stops the registration (functions created before it stay registered).
 * @throws {InvalidParameterValueError} naming the template function, with the registry's
 *   {@link ServiceException} as `cause`, when a function is refused or its package cannot be
 *   prepared (`State: Failed`).
 */
export async function registerTemplateFunctions(
  registry: FunctionRegistry,
  functions: readonly TemplateFunction[],
): Promise<RegisteredTemplateFunction[]> {
  for (const fn of functions) {
    await explained(fn, async () => {
      await registry.createFunction(createRequest(fn), {
        codePath: fn.codePath,
      });
      if (fn.reservedConcurrency !== undefined) {
        await registry.putFunctionConcurrency(
          { functionName: fn.functionName, qualifier: undefined },
          fn.reservedConcurrency,
        );
      }
    });
  }
  await registry.settled();
  const registered: RegisteredTemplateFunction[] = [];
  for (const fn of functions) {
    const ref = { functionName: fn.functionName, qualifier: undefined };
    const latest = await registry.getFunctionConfiguration(ref);
    if (latest.State !== "Active") {
      throw new InvalidParameterValueError(
        `function ${fn.logicalId} (${fn.functionName}): its code at ${fn.codePath} cannot be used: ${latest.StateReason ?? latest.State}`,
      );
    }
    const alias = fn.autoPublishAlias;
    if (alias === undefined) {
      registered.push({
        logicalId: fn.logicalId,
        functionName: fn.functionName,
        version: undefined,
        alias: undefined,
      });
      continue;
    }
    const version = await explained(fn, async () => {
      const published = await registry.publishVersion(ref, {});
      await registry.settled(fn.functionName);
      registry.putAlias(fn.functionName, alias, published.Version);
      if (fn.provisionedConcurrency !== undefined) {
        await registry.putProvisionedConcurrencyConfig(
          { functionName: fn.functionName, qualifier: alias },
          fn.provisionedConcurrency,
        );
      }
      return published.Version;
    });
    registered.push({
      logicalId: fn.logicalId,
      functionName: fn.functionName,
      version,
      alias,
    });
  }
  return registered;
}

/** CreateFunction's request for a template function (its code is given as a path). */
function createRequest(fn: TemplateFunction): CreateFunctionRequest {
  return {
    FunctionName: fn.functionName,
    Runtime: fn.runtime,
    Handler: fn.handler,
    Code: {},
    Environment: { Variables: fn.environment },
    ...(fn.memorySize === undefined ? {} : { MemorySize: fn.memorySize }),
    ...(fn.timeout === undefined ? {} : { Timeout: fn.timeout }),
    ...(fn.description === undefined ? {} : { Description: fn.description }),
    ...(fn.architectures === undefined
      ? {}
      : { Architectures: fn.architectures }),
    ...(fn.ephemeralStorageSize === undefined
      ? {}
      : { EphemeralStorage: { Size: fn.ephemeralStorageSize } }),
    ...(fn.tracingMode === undefined
      ? {}
      : { TracingConfig: { Mode: fn.tracingMode } }),
    ...(fn.snapStartApplyOn === undefined
      ? {}
      : { SnapStart: { ApplyOn: fn.snapStartApplyOn } }),
  };
}

/** Runs `action`, naming the template function in a refusal. */
async function explained<T>(
  fn: TemplateFunction,
  action: () => Promise<T>,
): Promise<T> {
  try {
    return await action();
  } catch (err) {
    if (!(err instanceof ServiceException) || err.fault !== "client") throw err;
    throw new InvalidParameterValueError(
      `function ${fn.logicalId} (${fn.functionName}): ${err.name}: ${err.message}`,
      { cause: err },
    );
  }
}
