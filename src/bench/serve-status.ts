/**
 * `thaw serve`'s status page (`GET /` with `Accept: application/json`, the service's
 * `ServiceStatus`), read by the benchmarks and reduced to the counts they print: environments by
 * function and by state.
 */
import type { ServeHttpClient } from "./serve-http-client.js";

/** What `GET /` (JSON) says, reduced to what the benchmarks read. */
export interface StatusFacts {
  readonly registeredFunctions: number;
  /** Environments of each function, every state together. */
  readonly byFunction: ReadonlyMap<string, number>;
  /** Environments by state (`idle`, `frozen`, `busy`, …) over every function. */
  readonly byState: Readonly<Record<string, number>>;
  readonly total: number;
}

/**
 * Reads the status page of the server `client` talks to.
 * @throws {Error} when the answer is not a 200 with a `functions` list.
 */
export async function readStatus(
  client: ServeHttpClient,
): Promise<StatusFacts> {
  const reply = await client.get("/", {
    headers: { accept: "application/json" },
  });
  if (reply.status !== 200)
    throw new Error(
      `GET /: ${String(reply.status)} ${reply.body.toString("utf8", 0, 200)}`,
    );
  // Parse boundary: checked field by field below.
  const page = JSON.parse(reply.body.toString("utf8")) as {
    functions?: unknown;
  };
  if (!Array.isArray(page.functions))
    throw new Error("GET / has no functions list");
  const byFunction = new Map<string, number>();
  const byState: Record<string, number> = {};
  let total = 0;
  for (const entry of page.functions as unknown[]) {
    const { functionName, environments } = entry as {
      functionName?: unknown;
      environments?: unknown;
    };
    if (typeof functionName !== "string") continue;
    let count = byFunction.get(functionName) ?? 0;
    if (typeof environments === "object" && environments !== null) {
      for (const [state, value] of Object.entries(environments)) {
        if (typeof value !== "number") continue;
        byState[state] = (byState[state] ?? 0) + value;
        count += value;
        total += value;
      }
    }
    byFunction.set(functionName, count);
  }
  return {
    registeredFunctions: byFunction.size,
    byFunction,
    byState,
    total,
  };
}
