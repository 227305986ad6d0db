/**
 * Every Invoke API and control-plane route in one place (as RIE's `rapi/router.go`): a request's
 * method and URL are matched to an operation without touching the socket (spec §5.1, §5.5, §6.1).
 * Paths carry the date of the API version that introduced the operation, so the same function path
 * has different prefixes per operation (concurrency: `PUT`/`DELETE` under 2017-10-31, `GET` under
 * 2019-09-30). The `FunctionName` segment is URL-decoded (`%24LATEST`, `%3A`); one trailing `/` is
 * accepted on every path.
 */

/** The operations thaw serves. */
export type Operation =
  | "Invoke"
  | "InvokeWithResponseStream"
  | "CreateFunction"
  | "ListFunctions"
  | "GetFunction"
  | "GetFunctionConfiguration"
  | "UpdateFunctionCode"
  | "UpdateFunctionConfiguration"
  | "DeleteFunction"
  | "PublishVersion"
  | "ListVersionsByFunction"
  | "PutFunctionConcurrency"
  | "GetFunctionConcurrency"
  | "DeleteFunctionConcurrency"
  | "PutProvisionedConcurrencyConfig"
  | "GetProvisionedConcurrencyConfig"
  | "DeleteProvisionedConcurrencyConfig"
  | "GetAccountSettings"
  | "GetStatus";

/** A matched route. */
export type Route =
  | {
      readonly kind: "operation";
      readonly operation: Operation;
      /** The decoded `FunctionName` path segment; `""` for operations without one. */
      readonly functionName: string;
      /** The query string, without `?` (`""` when none). */
      readonly query: string;
    }
  /** A known path asked with a method it does not serve. */
  | { readonly kind: "method-not-allowed"; readonly allowed: readonly string[] }
  /** The `FunctionName` segment is not valid percent-encoding. */
  | { readonly kind: "bad-function-name"; readonly segment: string }
  | { readonly kind: "not-found" };

type MethodTable = Readonly<Partial<Record<string, Operation>>>;

/** Paths without a function: `/{date}/{resource}`. */
const COLLECTIONS: Readonly<Record<string, MethodTable>> = {
  "/2015-03-31/functions": { GET: "ListFunctions", POST: "CreateFunction" },
  "/2016-08-19/account-settings": { GET: "GetAccountSettings" },
  "/": { GET: "GetStatus" },
};

/** Paths of one function: `/{date}/functions/{FunctionName}[/{action}]`, keyed `date/action`. */
const FUNCTION_PATHS: Readonly<Record<string, MethodTable>> = {
  "2015-03-31/": { GET: "GetFunction", DELETE: "DeleteFunction" },
  "2015-03-31/invocations": { POST: "Invoke" },
  "2015-03-31/configuration": {
    GET: "GetFunctionConfiguration",
    PUT: "UpdateFunctionConfiguration",
  },
  "2015-03-31/code": { PUT: "UpdateFunctionCode" },
  "2015-03-31/versions": {
    GET: "ListVersionsByFunction",
    POST: "PublishVersion",
  },
  "2021-11-15/response-streaming-invocations": {
    POST: "InvokeWithResponseStream",
  },
  "2017-10-31/concurrency": {
    PUT: "PutFunctionConcurrency",
    DELETE: "DeleteFunctionConcurrency",
  },
  "2019-09-30/concurrency": { GET: "GetFunctionConcurrency" },
  "2019-09-30/provisioned-concurrency": {
    PUT: "PutProvisionedConcurrencyConfig",
    GET: "GetProvisionedConcurrencyConfig",
    DELETE: "DeleteProvisionedConcurrencyConfig",
  },
};

/** The segment between the date and the function name. */
const FUNCTIONS_SEGMENT = "/functions/";

/** Matches a request line to a route. */
export function matchRoute(method: string, url: string): Route {
  const mark = url.indexOf("?");
  let path = mark === -1 ? url : url.slice(0, mark);
  const query = mark === -1 ? "" : url.slice(mark + 1);
  if (path.length > 1 && path.endsWith("/")) path = path.slice(0, -1);

  const collection = COLLECTIONS[path];
  if (collection !== undefined) return pick(collection, method, "", query);

  // `/{date}/functions/{FunctionName}[/{action}]`: the date is the first segment.
  const dateEnd = path.indexOf("/", 1);
  if (dateEnd === -1 || !path.startsWith(FUNCTIONS_SEGMENT, dateEnd))
    return NOT_FOUND;
  const date = path.slice(1, dateEnd);
  const rest = path.slice(dateEnd + FUNCTIONS_SEGMENT.length);
  const slash = rest.indexOf("/");
  const segment = slash === -1 ? rest : rest.slice(0, slash);
  const action = slash === -1 ? "" : rest.slice(slash + 1);
  if (segment === "" || action.includes("/")) return NOT_FOUND;
  const table = FUNCTION_PATHS[`${date}/${action}`];
  if (table === undefined) return NOT_FOUND;
  let functionName: string;
  try {
    functionName = decodeURIComponent(segment);
  } catch {
    return { kind: "bad-function-name", segment };
  }
  return pick(table, method, functionName, query);
}

const NOT_FOUND: Route = { kind: "not-found" };

function pick(
  table: MethodTable,
  method: string,
  functionName: string,
  query: string,
): Route {
  const operation = table[method];
  if (operation === undefined)
    return { kind: "method-not-allowed", allowed: Object.keys(table) };
  return { kind: "operation", operation, functionName, query };
}
