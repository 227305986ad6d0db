/**
 * The `thaw` command line: parses arguments and prints; each command calls one function from `app/`.
 * This is the only module that calls `process.exit`. Exit status: 0 success, 1 function error,
 * 2 bad usage or a bad package, 3 a platform failure.
 */
// Taken first, before thaw's own modules load: how long Node itself took to start this process.
const nodeStartupMs = performance.nodeTiming.bootstrapComplete;

import { Command, CommanderError } from "commander";
import { ThawError } from "../errors/thaw-error.js";
import { registerBenchCommand } from "./commands/bench.js";
import { registerDemoCommand } from "./commands/demo.js";
import { registerDoctorCommand } from "./commands/doctor.js";
import { registerInvokeCommand } from "./commands/invoke.js";
import { registerReportCommand } from "./commands/report.js";
import { registerServeCommand } from "./commands/serve.js";

const program = new Command("thaw")
  .description(
    "Run real AWS Lambda functions locally with the shortest cold starts, and measure them.",
  )
  .exitOverride()
  .showHelpAfterError();

registerInvokeCommand(program, {
  nodeStartupMs,
  moduleLoadMs: performance.now() - nodeStartupMs,
});
registerServeCommand(program);
registerDemoCommand(program);
registerDoctorCommand(program);
registerReportCommand(program);
registerBenchCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  process.exitCode = exitCodeFor(error);
}

function exitCodeFor(error: unknown): number {
  if (error instanceof CommanderError) {
    return error.exitCode === 0 ? 0 : 2;
  }
  if (error instanceof ThawError) {
    process.stderr.write(`thaw: ${error.name}: ${error.message}\n`);
    return error.blame === "client" ? 2 : 3;
  }
  process.stderr.write(
    `thaw: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  return 3;
}

// Exit as soon as the work is done, even if a stray handle (a closed server's timer) lingers.
process.exit(process.exitCode ?? 0);
