/** GetAccountSettings: `GET /2016-08-19/account-settings` → 200 `{AccountLimit, AccountUsage}` (spec §6.1). */
import {
  bodylessOperation,
  jsonAnswer,
  type OperationHandler,
} from "./answer.js";

/** The GetAccountSettings operation. */
export const getAccountSettingsHandler: OperationHandler = bodylessOperation(
  async (service) => jsonAnswer(200, await service.getAccountSettings()),
);
