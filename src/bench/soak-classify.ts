/**
 * How the soak benchmark judges each Invocation: what its fault must produce (the expected
 * outcome), what came back (the observed outcome), and whether the two agree down to the details
 * (the echo's bytes, the exit status in a `Runtime.ExitError`, the timeout in a `Sandbox.Timedout`,
 * the fixture's message). Pure: no I/O.
 */
import type { HttpReply } from "./serve-http-client.js";
import type { EchoStyle, SoakFunction } from "./soak-functions.js";
import type { Fault, PlannedInvocation } from "./soak-plan.js";

/** What a planned Invocation must produce. */
export type ExpectedOutcome =
  | "success"
  | "Runtime.ExitError"
  | "Sandbox.Timedout"
  | "Runtime.OutOfMemory"
  | "Function.ResponseSizeTooLarge"
  | "handled error"
  | "disconnected";

/**
 * What came back: one of the expected outcomes, another function error (`function error <type>`),
 * a service error (`HTTP <status> <type>`), a network failure the soak did not inject
 * (`connection error`), or no answer within the client's timeout (`client timeout`).
 */
export type ObservedOutcome = string;

/** How one call ended on the client's side. */
export type SoakCallResult =
  | {
      readonly outcome: "answered";
      readonly reply: HttpReply;
      readonly latencyMs: number;
    }
  /** The client destroyed its socket, as planned, before the answer was read in full. */
  | { readonly outcome: "disconnected"; readonly latencyMs: number }
  /** A network error the soak did not cause (reset, refused, hang-up). */
  | {
      readonly outcome: "failed";
      readonly message: string;
      readonly latencyMs: number;
    }
  /** No answer within the client's timeout. */
  | { readonly outcome: "timed out"; readonly latencyMs: number };

/** The verdict on one Invocation. */
export interface Verdict {
  readonly expected: ExpectedOutcome;
  readonly observed: ObservedOutcome;
  /** True when the observed outcome is the expected one, details included. */
  readonly matched: boolean;
  /** Why it did not match (empty when it did). */
  readonly detail: string;
  /** True when the call got no answer it did not ask to lose: a network error or a client timeout. */
  readonly lost: boolean;
}

/** The outcome `fault` must produce when the client waits for the answer. */
function expectedOutcome(fault: Fault): ExpectedOutcome {
  switch (fault.kind) {
    case "echo":
      return "success";
    case "crash":
      return "Runtime.ExitError";
    case "timeout":
      return "Sandbox.Timedout";
    case "outOfMemory":
      return "Runtime.OutOfMemory";
    case "oversize":
      return "Function.ResponseSizeTooLarge";
    case "error":
      return "handled error";
  }
}

/** The bytes a runtime of `style` gives back for an echo event with `id` and `pad`. */
export function expectedEcho(
  style: EchoStyle,
  id: string,
  pad: string,
): Buffer {
  // JSON.stringify of an ASCII string without control characters writes it as Python's
  // json.dumps does; the soak's ids and pads are letters, digits and dashes.
  switch (style) {
    case "compact":
      return Buffer.from(JSON.stringify({ id, pad }));
    case "python":
      return Buffer.from(
        `{"id": ${JSON.stringify(id)}, "pad": ${JSON.stringify(pad)}}`,
      );
  }
}

/** The platform's error types, named by their own outcome rather than `function error …`. */
const PLATFORM_OUTCOMES: ReadonlySet<string> = new Set([
  "Runtime.ExitError",
  "Sandbox.Timedout",
  "Runtime.OutOfMemory",
  "Function.ResponseSizeTooLarge",
]);

const BODY_PREVIEW_CHARS = 300;

/**
 * Judges `result` against what `planned` must produce. A planned disconnect whose answer arrived
 * in full before the socket was destroyed is judged on that answer, like any other call.
 */
export function classify(
  planned: PlannedInvocation,
  result: SoakCallResult,
): Verdict {
  const expected: ExpectedOutcome =
    result.outcome === "answered" || planned.disconnectAfterMs === undefined
      ? expectedOutcome(planned.fault)
      : "disconnected";
  const verdict = (
    observed: ObservedOutcome,
    problem: string,
    lost = false,
  ): Verdict => ({
    expected,
    observed,
    matched: problem === "" && observed === expected,
    detail:
      observed === expected
        ? problem
        : `expected ${expected}, got ${observed}${problem === "" ? "" : `: ${problem}`}`,
    lost,
  });
  switch (result.outcome) {
    case "disconnected":
      return verdict(
        "disconnected",
        planned.disconnectAfterMs === undefined
          ? "the socket was destroyed without a planned disconnect"
          : "",
      );
    case "failed":
      return verdict("connection error", result.message, true);
    case "timed out":
      return verdict(
        "client timeout",
        `no answer after ${result.latencyMs.toFixed(0)} ms`,
        true,
      );
    case "answered":
      return judgeReply(planned, result.reply, verdict);
  }
}

function judgeReply(
  planned: PlannedInvocation,
  reply: HttpReply,
  verdict: (observed: ObservedOutcome, detail: string) => Verdict,
): Verdict {
  const preview = reply.body.toString("utf8", 0, BODY_PREVIEW_CHARS);
  if (reply.status !== 200) {
    const type = reply.headers["x-amzn-errortype"];
    return verdict(
      `HTTP ${String(reply.status)}${typeof type === "string" ? ` ${type}` : ""}`,
      preview,
    );
  }
  if (reply.headers["x-amz-function-error"] === undefined) {
    const { fault } = planned;
    if (fault.kind !== "echo") return verdict("success", preview);
    const echo = expectedEcho(planned.fn.echoStyle, fault.id, fault.pad);
    return verdict(
      "success",
      reply.body.equals(echo)
        ? ""
        : `echo differs: sent ${fault.id}, got ${preview}`,
    );
  }
  let document: { errorType?: unknown; errorMessage?: unknown };
  try {
    // Parse boundary: both fields are checked before use.
    document = JSON.parse(reply.body.toString("utf8")) as typeof document;
  } catch {
    return verdict("unparsable error document", preview);
  }
  const { errorType, errorMessage } = document;
  if (typeof errorType !== "string" || typeof errorMessage !== "string")
    return verdict("error document without type or message", preview);
  const observed = PLATFORM_OUTCOMES.has(errorType)
    ? errorType
    : errorType === planned.fn.handledErrorType
      ? "handled error"
      : `function error ${errorType}`;
  return verdict(
    observed,
    observed === expectedOutcome(planned.fault)
      ? messageMismatch(planned.fault, planned.fn, errorMessage)
      : preview,
  );
}

/** Why `message` is not what `fault` must say (empty when it is, or when the fault says nothing). */
function messageMismatch(
  fault: Fault,
  fn: SoakFunction,
  message: string,
): string {
  let wanted: string | undefined;
  switch (fault.kind) {
    case "crash":
      wanted = `Runtime exited with error: exit status ${String(fault.exitCode)}`;
      break;
    case "timeout":
      wanted = `Task timed out after ${fn.timeoutSeconds.toFixed(2)} seconds`;
      break;
    case "outOfMemory":
      wanted = "Runtime exited with error: signal: killed";
      break;
    case "error":
      wanted = "fixture handled error";
      break;
    case "oversize":
      wanted = "Response payload size exceeded maximum allowed payload size";
      break;
    case "echo":
      wanted = undefined;
      break;
  }
  return wanted === undefined || message.includes(wanted)
    ? ""
    : `message ${JSON.stringify(message.slice(0, BODY_PREVIEW_CHARS))} lacks ${JSON.stringify(wanted)}`;
}
