/** Parsers shared by the CLI's commands. */
import { InvalidArgumentError, Option, type Command } from "commander";
import {
  BACKEND_NAMES,
  DEFAULT_BACKEND,
  type BackendName,
  type SandboxSettings,
} from "../app/backends.js";
import { InvalidParameterValueError } from "../errors/usage-errors.js";

/** Parses a whole number option. */
export function parseIntegerOption(value: string): number {
  if (!/^\d+$/.test(value))
    throw new InvalidArgumentError(`'${value}' is not a whole number.`);
  return Number(value);
}

/** `KEY=VALUE` assignments to an object; a missing `=` is a usage error. */
export function parseEnvAssignments(
  assignments: readonly string[],
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const assignment of assignments) {
    const eq = assignment.indexOf("=");
    if (eq <= 0)
      throw new InvalidParameterValueError(
        `--env expects KEY=VALUE, got '${assignment}'.`,
      );
    env[assignment.slice(0, eq)] = assignment.slice(eq + 1);
  }
  return env;
}

/** The sandbox options `invoke` and `serve` share. */
export interface SandboxOptions {
  backend: BackendName;
  cpu: "shares" | "quota";
  isolateNetwork?: boolean;
}

/** Adds `--backend`, `--cpu` and `--isolate-network` to `command`. */
export function addSandboxOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        "--backend <name>",
        "sandbox: namespace (bubblewrap: /var/task read-only, private /tmp, own pid namespace) or process (plain processes, fastest)",
      )
        .choices(BACKEND_NAMES)
        .default(DEFAULT_BACKEND),
    )
    .addOption(
      new Option(
        "--cpu <mode>",
        "CPU in proportion to memory (1,769 MB = 1 vCPU): shares (a weight; alone, a function may use every core) or quota (a hard limit, as on Lambda)",
      )
        .choices(["shares", "quota"])
        .default("shares"),
    )
    .option(
      "--isolate-network",
      "give each function a network of its own where only its Runtime API answers (namespace backend)",
    );
}

/** The settings of the options {@link addSandboxOptions} added. */
export function sandboxSettings(options: SandboxOptions): SandboxSettings {
  return {
    backend: options.backend,
    cpu: options.cpu,
    isolateNetwork: options.isolateNetwork === true,
  };
}
