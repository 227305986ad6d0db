/** `thaw invoke <package>`: one cold Invocation of a function package, with Lambda's log lines. */
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { invokeOnce, type ColdStartPhases } from "../../app/invoke-once.js";
import { findRuntime, RUNTIMES } from "../../config/runtimes.js";
import { ServiceException } from "../../errors/service-exceptions.js";
import { InvalidParameterValueError } from "../../errors/usage-errors.js";
import { MAX_REQUEST_PAYLOAD_BYTES } from "../../protocol/runtime-api.js";
import {
  addSandboxOptions,
  parseEnvAssignments,
  parseIntegerOption,
  sandboxSettings,
  type SandboxOptions,
} from "../options.js";

/** Start-up figures of this CLI process, for `--phases`. */
export interface CliTimings {
  readonly nodeStartupMs: number;
  readonly moduleLoadMs: number;
}

interface InvokeOptions extends SandboxOptions {
  runtime: string;
  handler?: string;
  name?: string;
  memory?: number;
  timeout?: number;
  ephemeralStorage?: number;
  env: string[];
  event?: string;
  clientContext?: string;
  phases?: boolean;
  snapstart?: boolean;
}

/** Adds `invoke` to `program`. */
export function registerInvokeCommand(
  program: Command,
  timings: CliTimings,
): void {
  const command = program
    .command("invoke")
    .description(
      "Invoke a function package once, cold, and print its response (stdout) and log (stderr).",
    )
    .argument(
      "<package>",
      "function package: a folder or a Lambda deployment .zip",
    )
    .requiredOption(
      "-r, --runtime <runtime>",
      `Lambda runtime: ${RUNTIMES.map((r) => r.id).join(", ")}`,
    )
    .option(
      "-H, --handler <handler>",
      "handler (module.function, pkg.Class::method); optional for provided.*",
    )
    .option(
      "-n, --name <name>",
      "function name (default: the package's file name)",
    )
    .option(
      "-m, --memory <MB>",
      "memory size in MB, 128-10240 (default 128)",
      parseIntegerOption,
    )
    .option(
      "-t, --timeout <seconds>",
      "timeout in seconds, 1-900 (default 3)",
      parseIntegerOption,
    )
    .option(
      "--ephemeral-storage <MB>",
      "size of /tmp in MB, 512-10240 (default 512; enforced by the namespace backend)",
      parseIntegerOption,
    )
    .option(
      "-e, --env <KEY=VALUE>",
      "environment variable (repeatable)",
      (value: string, all: string[]) => [...all, value],
      [],
    )
    .option(
      "--event <json|@file|->",
      "event: inline JSON, @file, or - for stdin (default {})",
    )
    .option(
      "--client-context <json>",
      "client context JSON passed to the function",
    )
    .option("--phases", "print the cold start broken into phases")
    .option(
      "--snapstart",
      "SnapStart: restore a clone of the function's snapshot (taken and cached on first use) instead of running its init; needs root and CRIU (see thaw doctor)",
    );
  addSandboxOptions(command).action(
    async (packagePath: string, options: InvokeOptions) => {
      const payload = readEvent(options.event);
      const runtime = options.runtime;
      const handler =
        options.handler ??
        (runtime.startsWith("provided") ? "bootstrap" : undefined);
      // An unknown runtime is reported by the configuration's validation, with the list of known ones.
      if (handler === undefined && findRuntime(runtime) !== undefined) {
        throw new InvalidParameterValueError(
          `--handler is required for ${runtime} (for example index.handler).`,
        );
      }
      const result = await invokeOnce(
        {
          packagePath,
          function: {
            functionName: options.name ?? defaultName(packagePath),
            runtime,
            handler: handler ?? "",
            environment: parseEnvAssignments(options.env),
            ...(options.memory === undefined
              ? {}
              : { memorySize: options.memory }),
            ...(options.timeout === undefined
              ? {}
              : { timeout: options.timeout }),
            ...(options.ephemeralStorage === undefined
              ? {}
              : { ephemeralStorage: options.ephemeralStorage }),
          },
          payload,
          ...(options.clientContext === undefined
            ? {}
            : {
                clientContext: validJson(
                  options.clientContext,
                  "--client-context",
                ),
              }),
        },
        {
          onLog: (line) => {
            process.stderr.write(`${line}\n`);
          },
          onNote: (note) => {
            process.stderr.write(`thaw: note: ${note}\n`);
          },
          sandbox: sandboxSettings(options),
          snapStart: options.snapstart === true,
        },
      );
      process.stdout.write(result.body);
      process.stdout.write("\n");
      if (options.phases === true)
        process.stderr.write(formatPhases(result.phases, timings));
      if (result.functionError) process.exitCode = 1;
    },
  );
}

function readEvent(event: string | undefined): Buffer {
  if (event === undefined) return Buffer.from("{}");
  let text: string;
  if (event === "-") text = readFileSync(0, "utf8");
  else if (event.startsWith("@")) {
    try {
      text = readFileSync(event.slice(1), "utf8");
    } catch (error) {
      throw new InvalidParameterValueError(
        `Cannot read the event file ${event.slice(1)}: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
  } else text = event;
  const payload = Buffer.from(validJson(text, "the event"));
  if (payload.length > MAX_REQUEST_PAYLOAD_BYTES) {
    throw new ServiceException(
      "RequestTooLargeException",
      `Request must be smaller than ${String(MAX_REQUEST_PAYLOAD_BYTES)} bytes for the InvokeFunction operation (the event has ${String(payload.length)} bytes).`,
    );
  }
  return payload;
}

function validJson(text: string, what: string): string {
  try {
    JSON.parse(text);
  } catch (error) {
    throw new InvalidParameterValueError(
      `Could not parse ${what} into JSON: ${(error as Error).message}. Give valid JSON, e.g. --event '{"key":"value"}'.`,
      { cause: error },
    );
  }
  return text;
}

function defaultName(packagePath: string): string {
  const base = packagePath.replace(/\/+$/, "").split("/").pop() ?? "function";
  const name = base
    .replace(/\.zip$/i, "")
    .replace(/[^A-Za-z0-9_-]/g, "-")
    .slice(0, 64);
  return name === "" ? "function" : name;
}

function formatPhases(phases: ColdStartPhases, timings: CliTimings): string {
  const rows: [string, number][] = [
    ["node start-up (this CLI)", timings.nodeStartupMs],
    ["thaw modules load", timings.moduleLoadMs],
    [
      `package preparation (${phases.packageExtracted ? "extracted" : "cached"})`,
      phases.packageMs,
    ],
    ["sandbox creation", phases.sandboxMs],
    ["process start until first /next", phases.runtimeInitMs],
    ["invoke", phases.invokeMs],
    ["total (package to answer)", phases.totalMs],
  ];
  return `Cold start phases:\n${rows.map(([name, ms]) => `  ${name.padEnd(36)} ${ms.toFixed(2).padStart(9)} ms`).join("\n")}\n`;
}
