/** Parsers shared by the CLI's commands. */
import { InvalidArgumentError } from "commander";
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
