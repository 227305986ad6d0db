/** The names of signal numbers, as the kernel reports them in wait statuses. */
import { constants } from "node:os";

const NAMES = new Map<number, NodeJS.Signals>(
  Object.entries(constants.signals).map(([name, number]) => [
    number,
    name as NodeJS.Signals,
  ]),
);

/** The name of signal `number` (`9` → `SIGKILL`), or undefined for a number that is none. */
export function signalName(number: number): NodeJS.Signals | undefined {
  return NAMES.get(number);
}

/**
 * The exit of a process as a wrapper that runs it reports it (bubblewrap, thaw-init): such a wrapper
 * exits with 128 + N when the process died of signal N, which is turned back into the signal here.
 */
export function unwrappedExit(
  code: number | null,
  signal: NodeJS.Signals | null,
): { code: number | null; signal: NodeJS.Signals | null } {
  if (code !== null && code > 128) {
    const name = signalName(code - 128);
    if (name !== undefined) return { code: null, signal: name };
  }
  return { code, signal };
}
