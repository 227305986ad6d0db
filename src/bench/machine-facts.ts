/**
 * The machine a benchmark runs on (Node version, OS, CPU model, core count, memory), recorded in
 * every results file so that figures are read against the hardware that produced them.
 */
import { arch, cpus, release, totalmem, type } from "node:os";
import type { MachineFacts } from "./serve-results.js";

/** This machine's {@link MachineFacts}. */
export function machineFacts(): MachineFacts {
  const cpuList = cpus();
  return {
    node: process.version,
    os: `${type()} ${release()}`,
    arch: arch(),
    cpuModel: cpuList[0]?.model.trim() ?? "unknown",
    cores: cpuList.length,
    totalMemoryMiB: Math.round(totalmem() / 2 ** 20),
  };
}
