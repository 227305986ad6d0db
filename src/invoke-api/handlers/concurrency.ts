/**
 * Reserved and provisioned concurrency (spec §6.1, §6.4). Reserved concurrency lives under two
 * dates (`PUT`/`DELETE` 2017-10-31, `GET` 2019-09-30); provisioned concurrency needs `Qualifier`.
 */
import { validationException } from "../../errors/service-exceptions.js";
import type { FunctionRef } from "../../protocol/control-plane.js";
import { MAX_CONTROL_REQUEST_BYTES } from "../../protocol/invoke-api.js";
import { REQUEST_SHAPES } from "../request-shapes.js";
import { readRequest } from "../wire-shape.js";
import {
  bodylessOperation,
  emptyAnswer,
  functionRefOf,
  jsonAnswer,
  jsonOperation,
  type OperationHandler,
  type OperationRequest,
} from "./answer.js";

/** `PUT /2017-10-31/functions/{FunctionName}/concurrency` → 200 `{ReservedConcurrentExecutions}`. */
export const putFunctionConcurrencyHandler: OperationHandler = jsonOperation(
  "PutFunctionConcurrency",
  MAX_CONTROL_REQUEST_BYTES,
  async (service, request) => {
    const { ReservedConcurrentExecutions } = readRequest(
      request.body,
      REQUEST_SHAPES.PutFunctionConcurrency,
    );
    return jsonAnswer(200, {
      ReservedConcurrentExecutions: await service.putFunctionConcurrency(
        functionRefOf(request),
        ReservedConcurrentExecutions,
      ),
    });
  },
);

/** `GET /2019-09-30/functions/{FunctionName}/concurrency` → 200, `{}` when none is reserved. */
export const getFunctionConcurrencyHandler: OperationHandler =
  bodylessOperation(async (service, request) => {
    const reserved = await service.getFunctionConcurrency(
      functionRefOf(request),
    );
    return jsonAnswer(
      200,
      reserved === undefined ? {} : { ReservedConcurrentExecutions: reserved },
    );
  });

/** `DELETE /2017-10-31/functions/{FunctionName}/concurrency` → 204. */
export const deleteFunctionConcurrencyHandler: OperationHandler =
  bodylessOperation(async (service, request) => {
    await service.deleteFunctionConcurrency(functionRefOf(request));
    return emptyAnswer(204);
  });

/** `PUT /2019-09-30/functions/{FunctionName}/provisioned-concurrency?Qualifier=` → 202. */
export const putProvisionedConcurrencyConfigHandler: OperationHandler =
  jsonOperation(
    "PutProvisionedConcurrencyConfig",
    MAX_CONTROL_REQUEST_BYTES,
    async (service, request) => {
      const ref = qualifiedRef(request);
      const { ProvisionedConcurrentExecutions } = readRequest(
        request.body,
        REQUEST_SHAPES.PutProvisionedConcurrencyConfig,
      );
      return jsonAnswer(
        202,
        await service.putProvisionedConcurrencyConfig(
          ref,
          ProvisionedConcurrentExecutions,
        ),
      );
    },
  );

/** `GET /2019-09-30/functions/{FunctionName}/provisioned-concurrency?Qualifier=` → 200. */
export const getProvisionedConcurrencyConfigHandler: OperationHandler =
  bodylessOperation(async (service, request) =>
    jsonAnswer(
      200,
      await service.getProvisionedConcurrencyConfig(qualifiedRef(request)),
    ),
  );

/** `DELETE /2019-09-30/functions/{FunctionName}/provisioned-concurrency?Qualifier=` → 204. */
export const deleteProvisionedConcurrencyConfigHandler: OperationHandler =
  bodylessOperation(async (service, request) => {
    await service.deleteProvisionedConcurrencyConfig(qualifiedRef(request));
    return emptyAnswer(204);
  });

/** The function and its required `Qualifier`. @throws {ServiceException} `ValidationException`. */
function qualifiedRef(request: OperationRequest): FunctionRef {
  const ref = functionRefOf(request);
  if (ref.qualifier === undefined)
    throw validationException("qualifier", null, "Member must not be null");
  return ref;
}
