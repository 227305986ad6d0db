/**
 * The child process one scenario of `thaw bench` runs in, so that its heap, its backends and
 * anything it leaves behind cannot bias the next scenario (as pino's benchmarks run each case in a
 * process of its own). It waits for one {@link ScenarioRequest} on the IPC channel, runs it,
 * answers, and lets the event loop end.
 */
import type { ScenarioMessage, ScenarioRequest } from "./war-child-protocol.js";
import { WAR_SCENARIOS } from "./war-scenarios.js";

/** True once the answer is sent: a disconnect after it is the normal end. */
let answered = false;

function send(message: ScenarioMessage): Promise<void> {
  return new Promise((resolve, reject) => {
    if (process.send === undefined) {
      reject(
        new Error(
          "war-child runs only as a child of thaw bench (no IPC channel)",
        ),
      );
      return;
    }
    process.send(message, undefined, {}, (error) => {
      if (error === null) resolve();
      else reject(error);
    });
  });
}

async function runRequest(request: ScenarioRequest): Promise<void> {
  const scenario = WAR_SCENARIOS[request.scenario];
  try {
    if (scenario === undefined)
      throw new Error(`no scenario '${request.scenario}'`);
    let lastSentAt = 0;
    const output = await scenario({
      plan: request.plan,
      contestants: request.contestants,
      progress: (label, done, total) => {
        // At most ~20 updates a second, and always the first and the last.
        const now = performance.now();
        if (done !== 0 && done !== total && now - lastSentAt < 50) return;
        lastSentAt = now;
        void send({ kind: "progress", label, done, total }).catch(
          () => undefined,
        );
      },
    });
    await send({ kind: "done", output });
  } catch (error) {
    await send({
      kind: "failed",
      message:
        error instanceof Error ? (error.stack ?? error.message) : String(error),
    });
  }
  answered = true;
  process.disconnect();
}

process.once("message", (request: ScenarioRequest) => {
  void runRequest(request);
});

// `thaw bench` is gone (killed, or interrupted): nobody will read the answer, so stop measuring
// instead of loading the machine for nothing. The signal's default action ends the process; its
// sandboxes die with their fork server.
process.on("disconnect", () => {
  if (!answered) process.kill(process.pid, "SIGTERM");
});
