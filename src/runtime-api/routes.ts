/**
 * Every Runtime API route in one place (as RIE's `rapi/router.go`): a request's method and path are
 * matched to a route without touching the socket.
 */
import { RUNTIME_API_VERSION } from "../protocol/runtime-api.js";

/** A matched route. */
export type Route =
  | { readonly kind: "next" }
  | { readonly kind: "response"; readonly requestId: string }
  | { readonly kind: "error"; readonly requestId: string }
  | { readonly kind: "init-error" }
  | { readonly kind: "restore-next" }
  | { readonly kind: "restore-error" }
  | { readonly kind: "ping" }
  | { readonly kind: "method-not-allowed"; readonly allowed: string }
  | { readonly kind: "not-found" };

const PREFIX = `/${RUNTIME_API_VERSION}/runtime/`;
const INVOCATION = `${PREFIX}invocation/`;

/** Matches a request line to a route. */
export function matchRoute(method: string, url: string): Route {
  const query = url.indexOf("?");
  const path = query === -1 ? url : url.slice(0, query);
  if (path === `${INVOCATION}next`)
    return method === "GET" ? { kind: "next" } : notAllowed("GET");
  if (path === `${PREFIX}init/error`)
    return method === "POST" ? { kind: "init-error" } : notAllowed("POST");
  if (path === `${PREFIX}restore/next`)
    return method === "GET" ? { kind: "restore-next" } : notAllowed("GET");
  if (path === `${PREFIX}restore/error`)
    return method === "POST" ? { kind: "restore-error" } : notAllowed("POST");
  if (path === `/${RUNTIME_API_VERSION}/ping`)
    return method === "GET" ? { kind: "ping" } : notAllowed("GET");
  if (path.startsWith(INVOCATION)) {
    const rest = path.slice(INVOCATION.length);
    const slash = rest.indexOf("/");
    if (slash > 0) {
      const requestId = safeDecode(rest.slice(0, slash));
      const action = rest.slice(slash + 1);
      if (action === "response" || action === "error") {
        if (method !== "POST") return notAllowed("POST");
        return action === "response"
          ? { kind: "response", requestId }
          : { kind: "error", requestId };
      }
    }
  }
  return { kind: "not-found" };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function notAllowed(allowed: string): Route {
  return { kind: "method-not-allowed", allowed };
}
