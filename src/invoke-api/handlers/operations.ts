/** Every operation's handler, by the operation the router names (spec §5, §6.1). */
import type { Operation } from "../routes.js";
import { getAccountSettingsHandler } from "./account-settings.js";
import type { OperationHandler } from "./answer.js";
import {
  deleteFunctionConcurrencyHandler,
  deleteProvisionedConcurrencyConfigHandler,
  getFunctionConcurrencyHandler,
  getProvisionedConcurrencyConfigHandler,
  putFunctionConcurrencyHandler,
  putProvisionedConcurrencyConfigHandler,
} from "./concurrency.js";
import {
  createFunctionHandler,
  deleteFunctionHandler,
  getFunctionConfigurationHandler,
  getFunctionHandler,
  listFunctionsHandler,
  listVersionsByFunctionHandler,
  publishVersionHandler,
  updateFunctionCodeHandler,
  updateFunctionConfigurationHandler,
} from "./functions.js";
import { invokeHandler } from "./invoke.js";
import { invokeWithResponseStreamHandler } from "./invoke-with-response-stream.js";
import { statusPageHandler } from "./status-page.js";

/** The handler of each operation. */
export const OPERATION_HANDLERS: Readonly<Record<Operation, OperationHandler>> =
  {
    Invoke: invokeHandler,
    InvokeWithResponseStream: invokeWithResponseStreamHandler,
    CreateFunction: createFunctionHandler,
    ListFunctions: listFunctionsHandler,
    GetFunction: getFunctionHandler,
    GetFunctionConfiguration: getFunctionConfigurationHandler,
    UpdateFunctionCode: updateFunctionCodeHandler,
    UpdateFunctionConfiguration: updateFunctionConfigurationHandler,
    DeleteFunction: deleteFunctionHandler,
    PublishVersion: publishVersionHandler,
    ListVersionsByFunction: listVersionsByFunctionHandler,
    PutFunctionConcurrency: putFunctionConcurrencyHandler,
    GetFunctionConcurrency: getFunctionConcurrencyHandler,
    DeleteFunctionConcurrency: deleteFunctionConcurrencyHandler,
    PutProvisionedConcurrencyConfig: putProvisionedConcurrencyConfigHandler,
    GetProvisionedConcurrencyConfig: getProvisionedConcurrencyConfigHandler,
    DeleteProvisionedConcurrencyConfig:
      deleteProvisionedConcurrencyConfigHandler,
    GetAccountSettings: getAccountSettingsHandler,
    GetStatus: statusPageHandler,
  };
