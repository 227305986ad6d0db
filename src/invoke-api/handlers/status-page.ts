/**
 * `GET /`: a short status page for people and scripts, not an AWS operation. HTML by default, JSON
 * (the service's {@link ServiceStatus} as it is) when the client accepts `application/json`.
 */
import type { ServiceStatus } from "../lambda-service.js";
import {
  bodylessOperation,
  jsonAnswer,
  type OperationHandler,
} from "./answer.js";

/** The status page. */
export const statusPageHandler: OperationHandler = bodylessOperation(
  (service, request) => {
    const status = service.status();
    const accept = request.headers.accept ?? "";
    if (accept.includes("application/json"))
      return Promise.resolve(jsonAnswer(200, status));
    return Promise.resolve({
      kind: "body",
      status: 200,
      headers: { "Content-Type": "text/html; charset=utf-8" },
      body: renderStatusPage(status),
    });
  },
);

/** The HTML of the status page: one row per function version. */
function renderStatusPage(status: ServiceStatus): string {
  const rows = status.functions.map((fn) => {
    const environments = Object.entries(fn.environments)
      .map(([state, count]) => `${escapeHtml(state)}: ${String(count)}`)
      .join(", ");
    return `<tr><td>${escapeHtml(fn.functionName)}</td><td>${escapeHtml(fn.version)}</td><td>${escapeHtml(fn.runtime)}</td><td>${environments === "" ? "none" : environments}</td></tr>`;
  });
  const table =
    rows.length === 0
      ? "<p>No functions yet.</p>"
      : `<table><thead><tr><th>Function</th><th>Version</th><th>Runtime</th><th>Environments</th></tr></thead><tbody>${rows.join("")}</tbody></table>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>thaw</title>
<style>body{font-family:system-ui,sans-serif;margin:2em}td,th{padding:.2em .8em;text-align:left}</style>
</head><body><h1>thaw</h1><p>Serving the Lambda Invoke API since ${escapeHtml(status.startedAt)}.</p>
${table}
</body></html>
`;
}

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char] ?? char);
}
