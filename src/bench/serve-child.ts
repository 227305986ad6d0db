/**
 * A server the serve benchmark runs as a child process — `thaw serve` or the floor server — from
 * its "listening on <url>" line to its exit. It reads the child's resident memory from
 * `/proc/<pid>/status` and stops it the way a user does, with SIGTERM, recording the exit status
 * and how long the drain took.
 *
 * Lifecycle: `starting → running → stopping → exited`; any state → `exited` when the process dies.
 * `stop()` and `kill()` are idempotent.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFile } from "node:fs/promises";

/** Options of {@link ServeChild.start}. */
export interface ServeChildOptions {
  /** What the child is, for error messages ("thaw serve", "floor server"). */
  readonly label: string;
  /**
   * How long to wait for the "listening on" line.
   * @default 30000
   */
  readonly startTimeoutMs?: number;
  /** Extra environment variables. @default none */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Receives everything the child writes on stderr, as it comes (chunks, not lines), besides the
   * tail kept in {@link ServeChild.stderr}.
   * @default none
   */
  readonly onStderr?: (chunk: string) => void;
}

/** How the child ended after {@link ServeChild.stop}. */
export interface ServeChildExit {
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  /** From SIGTERM to the process's exit, in milliseconds. */
  readonly drainMs: number;
  /** True when the child did not exit in time and was killed with SIGKILL. */
  readonly killed: boolean;
}

/** States of a {@link ServeChild}. */
export type ServeChildState = "starting" | "running" | "stopping" | "exited";

const LISTENING = /listening on (http:\/\/\S+)/;
/** Keep this much of the child's stderr for error messages. */
const STDERR_TAIL_CHARS = 16_384;

/** One server child process. */
export class ServeChild {
  readonly url: string;
  readonly pid: number;
  /** From spawn() to the "listening on" line, in milliseconds. */
  readonly startupMs: number;
  readonly #child: ChildProcess;
  readonly #exited: Promise<void>;
  #state: ServeChildState = "running";
  #stderr: { text: string };
  #stopped: Promise<ServeChildExit> | undefined;

  private constructor(
    child: ChildProcess,
    url: string,
    startupMs: number,
    stderr: { text: string },
    exited: Promise<void>,
  ) {
    this.#child = child;
    this.url = url;
    this.pid = child.pid ?? 0;
    this.startupMs = startupMs;
    this.#stderr = stderr;
    this.#exited = exited.then(() => {
      this.#state = "exited";
    });
  }

  /**
   * Spawns `command args` and resolves once its stdout shows `listening on http://…`.
   * @throws {Error} when the child exits first or is not listening in time.
   */
  static async start(
    command: string,
    args: readonly string[],
    options: ServeChildOptions,
  ): Promise<ServeChild> {
    const started = performance.now();
    const child = spawn(command, args, {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, ...options.env },
    });
    const stderr = { text: "" };
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr.text = (stderr.text + chunk).slice(-STDERR_TAIL_CHARS);
      options.onStderr?.(chunk);
    });
    const exited = new Promise<void>((resolve) => {
      child.once("exit", () => {
        resolve();
      });
    });
    let stdout = "";
    const timeoutMs = options.startTimeoutMs ?? 30_000;
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(
            new Error(
              `${options.label} printed no "listening on" line in ${timeoutMs} ms: ${stderr.text}`,
            ),
          );
        }, timeoutMs);
        child.once("error", (error) => {
          clearTimeout(timer);
          reject(
            new Error(`${options.label} could not start`, {
              cause: error,
            }),
          );
        });
        child.once("exit", (code, signal) => {
          clearTimeout(timer);
          reject(
            new Error(
              `${options.label} exited (${String(code ?? signal)}) before listening: ${stderr.text}`,
            ),
          );
        });
        child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
          stdout += chunk;
          const match = LISTENING.exec(stdout);
          if (match?.[1] !== undefined) {
            clearTimeout(timer);
            resolve(match[1]);
          }
        });
      });
      return new ServeChild(
        child,
        url,
        performance.now() - started,
        stderr,
        exited,
      );
    } catch (error) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGKILL");
        await exited;
      }
      throw error;
    }
  }

  get state(): ServeChildState {
    return this.#state;
  }

  /** The last 16 KB the child wrote on stderr. */
  get stderr(): string {
    return this.#stderr.text;
  }

  /**
   * The child's resident set size (`VmRSS`), in KiB.
   * @throws when the process is gone or `/proc` is unavailable (not Linux).
   */
  async rssKiB(): Promise<number> {
    const status = await readFile(`/proc/${this.pid}/status`, "utf8");
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    if (match?.[1] === undefined)
      throw new Error(`no VmRSS in /proc/${this.pid}/status`);
    return Number(match[1]);
  }

  /**
   * Sends SIGTERM and waits for the exit; after `timeoutMs` sends SIGKILL. Idempotent.
   * @default timeoutMs 60000
   */
  stop(timeoutMs = 60_000): Promise<ServeChildExit> {
    this.#stopped ??= (async () => {
      const started = performance.now();
      let killed = false;
      if (this.#state === "running") {
        this.#state = "stopping";
        this.#child.kill("SIGTERM");
        const timer = setTimeout(() => {
          killed = true;
          this.#child.kill("SIGKILL");
        }, timeoutMs);
        await this.#exited;
        clearTimeout(timer);
      }
      return {
        exitCode: this.#child.exitCode,
        signal: this.#child.signalCode,
        drainMs: performance.now() - started,
        killed,
      };
    })();
    return this.#stopped;
  }

  /** Kills the child at once (SIGKILL) if it still runs; for clean-up after a failure. */
  async kill(): Promise<void> {
    if (this.#state === "exited") return;
    this.#state = "stopping";
    this.#child.kill("SIGKILL");
    await this.#exited;
  }
}
