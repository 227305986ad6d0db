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
