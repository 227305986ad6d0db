/**
 * The function operations of the control plane (spec §6.1): create, read, list, update, delete and
 * publish. Each checks its request's wire types, calls the service once and serialises the result
 * with the operation's success status.
 */
import { validationException } from "../../errors/service-exceptions.js";
import {
  MAX_CODE_REQUEST_BYTES,
  MAX_CONTROL_REQUEST_BYTES,
} from "../../protocol/invoke-api.js";
import { REQUEST_SHAPES } from "../request-shapes.js";
import { readIntegerParameter, readRequest } from "../wire-shape.js";
import {
  bodylessOperation,
  emptyAnswer,
  functionRefOf,
  jsonAnswer,
  jsonOperation,
  type OperationHandler,
  type OperationRequest,
} from "./answer.js";

/** `POST /2015-03-31/functions` → 201 FunctionConfiguration. */
export const createFunctionHandler: OperationHandler = jsonOperation(
  "CreateFunction",
  MAX_CODE_REQUEST_BYTES,
  async (service, request) =>
    jsonAnswer(
      201,
      await service.createFunction(
        readRequest(request.body, REQUEST_SHAPES.CreateFunction),
      ),
    ),
);

/** `GET /2015-03-31/functions/{FunctionName}` → 200 `{Configuration, Code, Tags?, Concurrency?}`. */
export const getFunctionHandler: OperationHandler = bodylessOperation(
  async (service, request) =>
    jsonAnswer(200, await service.getFunction(functionRefOf(request))),
);

/** `GET /2015-03-31/functions/{FunctionName}/configuration` → 200 FunctionConfiguration. */
export const getFunctionConfigurationHandler: OperationHandler =
  bodylessOperation(async (service, request) =>
    jsonAnswer(
      200,
      await service.getFunctionConfiguration(functionRefOf(request)),
    ),
  );

/** `GET /2015-03-31/functions?MaxItems=&Marker=&FunctionVersion=ALL` → 200 `{Functions, NextMarker?}`. */
export const listFunctionsHandler: OperationHandler = bodylessOperation(
  async (service, request) => {
    const version = request.query.get("FunctionVersion");
    if (version !== null && version !== "" && version !== "ALL")
      throw validationException(
        "functionVersion",
        version,
        "Member must satisfy enum value set: [ALL]",
      );
    const page = await service.listFunctions({
      ...pageOptions(request),
      allVersions: version === "ALL",
    });
    return jsonAnswer(200, {
      Functions: page.items,
      NextMarker: page.nextMarker,
    });
  },
);

/** `GET /2015-03-31/functions/{FunctionName}/versions` → 200 `{Versions, NextMarker?}`. */
export const listVersionsByFunctionHandler: OperationHandler =
  bodylessOperation(async (service, request) => {
    const page = await service.listVersionsByFunction(
      functionRefOf(request),
      pageOptions(request),
    );
    return jsonAnswer(200, {
      Versions: page.items,
      NextMarker: page.nextMarker,
    });
  });

/** `PUT /2015-03-31/functions/{FunctionName}/code` → 200 FunctionConfiguration. */
export const updateFunctionCodeHandler: OperationHandler = jsonOperation(
  "UpdateFunctionCode",
  MAX_CODE_REQUEST_BYTES,
  async (service, request) =>
    jsonAnswer(
      200,
      await service.updateFunctionCode(
        functionRefOf(request),
        readRequest(request.body, REQUEST_SHAPES.UpdateFunctionCode),
      ),
    ),
);

/** `PUT /2015-03-31/functions/{FunctionName}/configuration` → 200 FunctionConfiguration. */
export const updateFunctionConfigurationHandler: OperationHandler =
  jsonOperation(
    "UpdateFunctionConfiguration",
    MAX_CONTROL_REQUEST_BYTES,
    async (service, request) =>
      jsonAnswer(
        200,
        await service.updateFunctionConfiguration(
          functionRefOf(request),
          readRequest(request.body, REQUEST_SHAPES.UpdateFunctionConfiguration),
        ),
      ),
  );

/** `DELETE /2015-03-31/functions/{FunctionName}?Qualifier=` → 204. */
export const deleteFunctionHandler: OperationHandler = bodylessOperation(
  async (service, request) => {
    await service.deleteFunction(functionRefOf(request));
    return emptyAnswer(204);
  },
);

/** `POST /2015-03-31/functions/{FunctionName}/versions` → 201 FunctionConfiguration. */
export const publishVersionHandler: OperationHandler = jsonOperation(
  "PublishVersion",
  MAX_CONTROL_REQUEST_BYTES,
  async (service, request) =>
    jsonAnswer(
      201,
      await service.publishVersion(
        functionRefOf(request),
        readRequest(request.body, REQUEST_SHAPES.PublishVersion),
      ),
    ),
);

function pageOptions(request: OperationRequest): {
  readonly marker: string | undefined;
  readonly maxItems: number | undefined;
} {
  const marker = request.query.get("Marker");
  return {
    marker: marker === null || marker === "" ? undefined : marker,
    maxItems: readIntegerParameter(request.query, "MaxItems"),
  };
}
