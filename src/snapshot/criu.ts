/**
 * CRIU (Checkpoint/Restore In Userspace), the tool behind the snapshot Backend (issue 6): where it
 * is, which version, and whether `criu check` passes on this machine, reported as data.
 *
 * The set-up (`scripts/setup-criu.sh`) uses the system's CRIU when it is 4 or newer, and otherwise
 * unpacks Debian's (sid's 4.2, else trixie's 4.1) into `.thaw/toolchains/criu/`, run through its
 * own loader by the wrapper `bin/criu`. Debian 12's CRIU 3.17 fails `criu check` on kernel 6.18
 * ("Unexpected rt vDSO area bounds"), and checkpointing an established TCP connection (the
 * Runtime's keep-alive `GET /next`) needs 4.2 there: 4.1 fails with "Can't get 1:16 opt"
 * (docs/snapshot.md, ../shared/research/feasibility.md §4).
 */
import { execFile } from "node:child_process";
import { accessSync, constants, readFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { THAW_PATHS } from "../config/paths.js";

/** Where the set-up unpacks Debian's CRIU: `bin/criu` (the wrapper), `root/`, `installed`. */
export const PROJECT_CRIU_DIR = join(THAW_PATHS.toolchains, "criu");

/** The oldest CRIU that works on the kernels thaw meets (3.17 fails `criu check` on 6.18). */
const MIN_MAJOR = 4;
/** The first CRIU that checkpoints an established TCP connection on kernel 6.18. */
const TCP_ESTABLISHED_VERSION: readonly [number, number] = [4, 2];
/** `criu check` takes about 0.2 s; a hung one must not hang `thaw doctor`. */
const DEFAULT_TIMEOUT_MS = 20_000;

/** A CRIU executable found on this machine. */
export interface CriuLocation {
  /** Absolute path of the program to run (the project's wrapper, or the system's `criu`). */
  readonly path: string;
  /** `project`: unpacked by scripts/setup-criu.sh; `system`: found on PATH. */
  readonly source: "project" | "system";
}

/** What {@link probeCriu} found out. */
export interface CriuProbe {
  /** True when CRIU was found, is new enough and `criu check` passed: snapshots can be taken. */
  readonly available: boolean;
  /** The CRIU that thaw would use, or undefined when there is none. */
  readonly location: CriuLocation | undefined;
  /** `criu --version`'s version (`4.2.1`), or undefined when it did not run. */
  readonly version: string | undefined;
  /** Whether this version can checkpoint an established TCP connection on current kernels (≥ 4.2). */
  readonly tcpEstablished: boolean;
  /** The result of `criu check`, or undefined when it was not run (no usable CRIU). */
  readonly check:
    | {
        readonly passed: boolean;
        /** Its last lines of output ("Looks good." when it passed). */
        readonly output: string;
      }
    | undefined;
  /** Human-readable facts: what was found, why it does not work and how to fix it. */
  readonly notes: readonly string[];
}

/** Options of {@link locateCriu} and {@link probeCriu}. */
export interface CriuOptions {
  /**
   * The project-local CRIU folder made by the set-up.
   * @default PROJECT_CRIU_DIR (`.thaw/toolchains/criu` in thaw's checkout)
   */
  readonly projectDir?: string;
  /**
   * Where to look for the system's `criu`.
   * @default process.env.PATH plus /usr/sbin and /sbin
   */
  readonly searchPath?: string;
  /**
   * How long `criu --version` and `criu check` may take, each.
   * @default 20000
   */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/**
 * The CRIU thaw uses: the system's when it is 4 or newer (as the set-up decides), else the
 * project's when the set-up unpacked one, else the system's older one (so that the probe can say
 * why it fails), else undefined. Only looks at files; runs nothing but `criu --version`.
 */
export async function locateCriu(
  options: CriuOptions = {},
): Promise<CriuLocation | undefined> {
  const system = findOnPath("criu", options.searchPath ?? defaultSearchPath());
  if (system !== undefined) {
    const version = await criuVersion(system, options);
    if (version !== undefined && majorOf(version) >= MIN_MAJOR)
      return { path: system, source: "system" };
  }
  const project = projectCriu(options.projectDir ?? PROJECT_CRIU_DIR);
  if (project !== undefined) return { path: project, source: "project" };
  return system === undefined ? undefined : { path: system, source: "system" };
}

/**
 * Finds CRIU, reads its version and runs `criu check`: whether the snapshot Backend can work on
 * this machine, and if not, why and how to fix it. Never throws for a missing or broken CRIU; that
 * is the answer.
 */
export async function probeCriu(options: CriuOptions = {}): Promise<CriuProbe> {
  const projectDir = options.projectDir ?? PROJECT_CRIU_DIR;
  const location = await locateCriu(options);
  if (location === undefined) {
    return unavailable(undefined, undefined, undefined, [
      "CRIU was not found on PATH nor in " + projectDir,
      setupFailure(projectDir) ??
        "run scripts/setup-criu.sh (part of scripts/setup.sh): it unpacks Debian's CRIU 4 there without changing the system's packages",
    ]);
  }
  const notes = [`CRIU at ${location.path} (${location.source})`];
  const version = await criuVersion(location.path, options);
  if (version === undefined) {
    return unavailable(location, undefined, undefined, [
      ...notes,
      `${location.path} --version does not run`,
      location.source === "project"
        ? "run THAW_CRIU_FORCE=1 scripts/setup-criu.sh to unpack it again"
        : "reinstall the system's criu, or remove it so that scripts/setup-criu.sh provides one",
    ]);
  }
  notes.push(`version ${version}`);
  if (majorOf(version) < MIN_MAJOR) {
    return unavailable(location, version, undefined, [
      ...notes,
      `CRIU ${version} is too old: thaw needs ${String(MIN_MAJOR)} or newer (Debian 12's 3.17 fails on recent kernels)`,
      "run scripts/setup-criu.sh: it provides Debian's CRIU 4 in .thaw/toolchains/criu",
    ]);
  }
  const tcpEstablished = compareVersions(version, TCP_ESTABLISHED_VERSION) >= 0;
  if (!tcpEstablished) {
    notes.push(
      `CRIU ${version} cannot checkpoint an established TCP connection on this kernel (4.2 can): a Runtime's open connection to the Runtime API must be closed before a snapshot`,
    );
  }
  const check = await run(location.path, ["check"], options);
  const output = lastLines(`${check.stdout}\n${check.stderr}`, 3);
  if (!check.ok) {
    const notRoot = process.getuid?.() !== 0;
    return unavailable(location, version, { passed: false, output }, [
      ...notes,
      `criu check failed: ${output || check.error}`,
      notRoot
        ? "CRIU needs root (or CAP_CHECKPOINT_RESTORE and CAP_SYS_ADMIN): run thaw as root"
        : "this kernel lacks a feature CRIU needs; see `criu check --all` and docs/snapshot.md",
    ]);
  }
  notes.push(`criu check: ${output}`);
  return {
    available: true,
    location,
    version,
    tcpEstablished,
    check: { passed: true, output },
    notes,
  };
}

function unavailable(
  location: CriuLocation | undefined,
  version: string | undefined,
  check: CriuProbe["check"],
  notes: readonly string[],
): CriuProbe {
  return {
    available: false,
    location,
    version,
    tcpEstablished: false,
    check,
    notes,
  };
}

/** The project's wrapper when the set-up finished unpacking (its `installed` stamp is written last). */
function projectCriu(dir: string): string | undefined {
  const wrapper = join(dir, "bin", "criu");
  try {
    accessSync(join(dir, "installed"), constants.R_OK);
    accessSync(wrapper, constants.X_OK);
    return wrapper;
  } catch {
    return undefined;
  }
}

/** Why the set-up last failed to provide CRIU (it writes `setup-failure`), if it did. */
function setupFailure(dir: string): string | undefined {
  try {
    const reason = readFileSync(join(dir, "setup-failure"), "utf8").trim();
    return `scripts/setup-criu.sh could not provide it: ${reason}; fix that and run it again`;
  } catch {
    return undefined;
  }
}

function defaultSearchPath(): string {
  return [process.env["PATH"] ?? "", "/usr/sbin", "/sbin"].join(delimiter);
}

function findOnPath(name: string, searchPath: string): string | undefined {
  for (const dir of searchPath.split(delimiter)) {
    if (dir === "") continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

async function criuVersion(
  path: string,
  options: CriuOptions,
): Promise<string | undefined> {
  const result = await run(path, ["--version"], options);
  return /^Version:\s*(\d+\.\d+(?:\.\d+)?)/m.exec(result.stdout)?.[1];
}

function majorOf(version: string): number {
  return Number.parseInt(version, 10);
}

/** Compares `version` ("4.1.1") with `[major, minor]`: negative, zero or positive. */
function compareVersions(
  version: string,
  [major, minor]: readonly [number, number],
): number {
  const [a = 0, b = 0] = version.split(".").map((part) => Number(part));
  return a !== major ? a - major : b - minor;
}

function lastLines(text: string, count: number): string {
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "")
    .slice(-count)
    .join(" / ");
}

interface RunResult {
  readonly ok: boolean;
  readonly stdout: string;
  readonly stderr: string;
  readonly error: string;
}

function run(
  path: string,
  args: readonly string[],
  options: CriuOptions,
): Promise<RunResult> {
  const timeout = AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const signal =
    options.signal === undefined
      ? timeout
      : AbortSignal.any([options.signal, timeout]);
  return new Promise((resolve) => {
    execFile(
      path,
      [...args],
      { encoding: "utf8", signal },
      (error, stdout, stderr) => {
        resolve({
          ok: error === null,
          stdout,
          stderr,
          error: error === null ? "" : error.message,
        });
      },
    );
  });
}

/** The last error lines of a CRIU log (`-o`), joined with " | ", for an error message. */
export function criuLogErrors(path: string): string {
  try {
    return readFileSync(path, "utf8")
      .trimEnd()
      .split("\n")
      .filter((line) => /Error|error|fail/.test(line))
      .slice(-4)
      .join(" | ");
  } catch {
    return `no log at ${path}`;
  }
}
