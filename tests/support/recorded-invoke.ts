/**
 * One cold Invocation through `invokeOnce`, recording what `invokeOnce` itself does not report: how
 * each Runtime process ended, and on which stream each of its lines came. The managed-runtime
 * suites use it to check exit statuses and stdout/stderr against their READMEs.
 */
import { createBackend } from "../../src/app/backends.js";
import type { LogSource } from "../../src/app/execution-environment.js";
import {
  invokeOnce,
  type InvokeOnceRequest,
  type InvokeOnceResult,
} from "../../src/app/invoke-once.js";
import type {
  LogStream,
  SandboxBackend,
  SandboxExit,
} from "../../src/sandbox/sandbox.js";

/** What one recorded Invocation produced. */
export interface RecordedRun {
  readonly result: InvokeOnceResult;
  /** Every line `invokeOnce` reported, in order. */
  readonly log: readonly {
    readonly line: string;
    readonly source: LogSource;
  }[];
  /** The Runtime processes' own output lines, with the stream each came on. */
  readonly output: readonly {
    readonly line: string;
    readonly stream: LogStream;
  }[];
  /** How each Runtime process ended, in start order (a failed init is retried: two). */
  readonly exits: readonly SandboxExit[];
}

/** Runs `request` with a 5 s init limit on a recording `process` backend. */
export async function invokeRecorded(
  request: InvokeOnceRequest,
): Promise<RecordedRun> {
  const inner = await createBackend("process");
  const exited: Promise<SandboxExit>[] = [];
  const output: { line: string; stream: LogStream }[] = [];
  const backend: SandboxBackend = {
    name: inner.name,
    probe: () => inner.probe(),
    create: async (spec) => {
      const sandbox = await inner.create({
        ...spec,
        onLog: (line, stream) => {
          output.push({ line, stream });
          spec.onLog(line, stream);
        },
      });
      exited.push(sandbox.exited);
      return sandbox;
    },
  };
  const log: { line: string; source: LogSource }[] = [];
  const result = await invokeOnce(request, {
    backend,
    initTimeoutMs: 5_000,
    onLog: (line, source) => log.push({ line, source }),
  });
  // invokeOnce has torn every environment down, so each process has ended.
  const exits = await Promise.all(exited);
  return { result, log, output, exits };
}

/** Every line the Invocation reported, joined. */
export function printed(run: RecordedRun): string {
  return run.log.map(({ line }) => line).join("\n");
}

/** True for a plain JSON object. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `JSON.parse`, typed as unknown. */
export function parseJson(text: string): unknown {
  return JSON.parse(text) as unknown;
}

/** True for an array of strings. */
export function isStringArray(value: unknown): value is string[] {
  return (
    Array.isArray(value) && value.every((item) => typeof item === "string")
  );
}
