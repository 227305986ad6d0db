/**
 * `thaw serve` as the serve and soak benchmarks run it: the real CLI, `node bin/thaw.js serve
 * --template <temp> --port 0 --no-logs --keep-alive <s> [--backend <name>]`, as a child process
 * ({@link ServeChild}) serving a SAM template written to a temporary folder.
 *
 * Lifecycle: `start()` → running → `stop()`, the normal end (SIGTERM, then the drain) → `dispose()`,
 * always, in a `finally`. After a failure mid-run, `dispose()` prints the tail of the child's
 * stderr and drains it if it still can, so that no environment outlives the run; either way it
 * removes the temporary folder.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { THAW_ROOT } from "../config/paths.js";
import { ServeChild, type ServeChildExit } from "./serve-child.js";

const THAW_BIN = join(THAW_ROOT, "bin", "thaw.js");

/** How long the drain after a failure may take before SIGKILL. */
const FAILURE_DRAIN_MS = 20_000;

/** Options of {@link ThawServeChild.start}. */
export interface ThawServeOptions {
  /** Names the temporary folder: `thaw-<name>-bench-…` in `os.tmpdir()`. */
  readonly name: string;
  /** `--keep-alive`: how long an idle environment lives, in seconds. */
  readonly keepAliveSeconds: number;
  /**
   * `--backend`, the sandbox backend.
   * @default thaw's default (no `--backend`)
   */
  readonly backend?: string | undefined;
  /**
   * Options of Node's before the CLI (`--cpu-prof …`).
   * @default none
   */
  readonly nodeArgs?: readonly string[];
  /**
   * Receives everything the child writes on stderr, as it comes.
   * @default none
   */
  readonly onStderr?: (chunk: string) => void;
}

/** One `thaw serve` child of a benchmark, with its template. */
export class ThawServeChild {
  /** The running child: its URL, pid, memory, stderr. */
  readonly child: ServeChild;
  /** What was run: `node`, its options, the CLI and its arguments. */
  readonly command: readonly string[];
  readonly #work: string;
  #stopped = false;

  private constructor(child: ServeChild, command: string[], work: string) {
    this.child = child;
    this.command = command;
    this.#work = work;
  }

  /**
   * Writes `templateText` to a temporary folder and starts `thaw serve` on it; resolves once it
   * listens.
   * @throws {Error} when the child exits first or is not listening in time (the folder removed).
   */
  static async start(
    templateText: string,
    options: ThawServeOptions,
  ): Promise<ThawServeChild> {
    const work = await mkdtemp(join(tmpdir(), `thaw-${options.name}-bench-`));
    try {
      const template = join(work, "template.yaml");
      await writeFile(template, templateText);
      const args = [
        ...(options.nodeArgs ?? []),
        THAW_BIN,
        "serve",
        "--template",
        template,
        "--port",
        "0",
        "--no-logs",
        "--keep-alive",
        String(options.keepAliveSeconds),
        ...(options.backend === undefined
          ? []
          : ["--backend", options.backend]),
      ];
      const child = await ServeChild.start(process.execPath, args, {
        label: "thaw serve",
        ...(options.onStderr === undefined
          ? {}
          : { onStderr: options.onStderr }),
      });
      return new ThawServeChild(child, [process.execPath, ...args], work);
    } catch (error) {
      await rm(work, { recursive: true, force: true });
      throw error;
    }
  }

  /**
   * The normal end: SIGTERM, then waits for the drain; SIGKILL after `timeoutMs`.
   * @default timeoutMs 60000
   */
  async stop(timeoutMs?: number): Promise<ServeChildExit> {
    const exit = await this.child.stop(timeoutMs);
    this.#stopped = true;
    return exit;
  }

  /**
   * Ends what is left, whatever happened: when {@link stop} did not complete (something failed
   * mid-run), prints the tail of the child's stderr and drains it if it still can; then removes
   * the temporary folder. Idempotent.
   */
  async dispose(): Promise<void> {
    if (!this.#stopped) {
      process.stderr.write(`thaw serve stderr (tail):\n${this.child.stderr}\n`);
      await this.child.stop(FAILURE_DRAIN_MS);
      this.#stopped = true;
    }
    await rm(this.#work, { recursive: true, force: true });
  }
}
