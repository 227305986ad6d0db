/**
 * The war's contestants: the same function in C (the native control), Rust, Go, Node.js, Python
 * and Java, each as *hello* (returns its event) and *realistic* (JSON config, SHA-256, an HTTP
 * client and an SDK client at init), built by `scripts/build-contestants.sh` into
 * `build/contestants/<id>/`. docs/contestants.md describes each one and how it is built.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { THAW_ROOT } from "../../config/paths.js";
import { measurePackage, toolchainOf } from "./fixture-contestants.js";
import type { Contestant, Language } from "./war-results.js";

/** One entry of the catalog: what a contestant is and how thaw runs it, before it is measured. */
export type ContestantEntry = Omit<
  Contestant,
  "packageBytes" | "packageFiles" | "toolchain"
> & {
  /** The file that exists once the contestant is built (its bootstrap, handler file or archive). */
  readonly builtMarker: string;
};

/** The script that builds every contestant (incremental; `--force` rebuilds). */
export const CONTESTANTS_BUILD_SCRIPT = join(
  THAW_ROOT,
  "scripts",
  "build-contestants.sh",
);

/** Where the build script leaves the package folders, one per id. */
export const CONTESTANTS_DIR = join(THAW_ROOT, "build", "contestants");

/** Where the build script records each contestant's toolchain line. */
const TOOLCHAIN_DIR = join(THAW_ROOT, "build", "contestants-work", "toolchain");

/**
 * How the AppCDS contestants use their archive: the JVM reads `JAVA_TOOL_OPTIONS` from the
 * function's environment; the path is relative to the working directory, which is the task root
 * with every backend (`/var/task` in the namespace backend).
 */
const APPCDS_ENVIRONMENT: Readonly<Record<string, string>> = Object.freeze({
  JAVA_TOOL_OPTIONS: "-XX:SharedArchiveFile=app.jsa",
});

/** How thaw runs a language's contestants: its runtime, each variant's handler, the built file. */
interface LanguageLaunch {
  readonly runtime: string;
  readonly handler: Readonly<Record<"hello" | "realistic", string>>;
  /** The file that exists once a contestant is built (an AppCDS build adds `app.jsa`). */
  readonly marker: string;
}

const BOOTSTRAP: LanguageLaunch = {
  runtime: "provided.al2023",
  handler: { hello: "bootstrap", realistic: "bootstrap" },
  marker: "bootstrap",
};

const LAUNCH: Readonly<Record<Language, LanguageLaunch>> = {
  c: BOOTSTRAP,
  rust: BOOTSTRAP,
  go: BOOTSTRAP,
  nodejs: {
    runtime: "nodejs20.x",
    handler: { hello: "index.handler", realistic: "index.handler" },
    marker: "index.mjs",
  },
  python: {
    runtime: "python3.11",
    handler: { hello: "app.handler", realistic: "app.handler" },
    marker: "app.py",
  },
  java: {
    runtime: "java17",
    handler: {
      hello: "thaw.contestant.Hello::handleRequest",
      realistic: "thaw.contestant.Realistic",
    },
    marker: "lib/contestant.jar",
  },
};

/** The entry `<language>-<variant>[-<build>]`. */
function entry(
  language: Language,
  variant: "hello" | "realistic",
  build?: "bundled" | "unbundled" | "appcds",
): ContestantEntry {
  const id = [language, variant, build].filter(Boolean).join("-");
  const launch = LAUNCH[language];
  const appcds = build === "appcds";
  const packagePath = join(CONTESTANTS_DIR, id);
  return Object.freeze({
    id,
    language,
    variant,
    build,
    runtime: launch.runtime,
    handler: launch.handler[variant],
    packagePath,
    ...(appcds ? { environment: APPCDS_ENVIRONMENT } : {}),
    builtMarker: join(packagePath, appcds ? "app.jsa" : launch.marker),
  });
}

/** Every contestant of the war, in the order the report lists them. */
export const CONTESTANTS: readonly ContestantEntry[] = Object.freeze([
  entry("c", "hello"),
  entry("c", "realistic"),
  entry("rust", "hello"),
  entry("rust", "realistic"),
  entry("go", "hello"),
  entry("go", "realistic"),
  entry("nodejs", "hello"),
  entry("nodejs", "realistic", "bundled"),
  entry("nodejs", "realistic", "unbundled"),
  entry("python", "hello"),
  entry("python", "realistic"),
  entry("java", "hello"),
  entry("java", "hello", "appcds"),
  entry("java", "realistic"),
  entry("java", "realistic", "appcds"),
]);

/** True when `entry`'s package has been built. */
export function isBuilt(entry: ContestantEntry): boolean {
  return existsSync(entry.builtMarker);
}

/** The catalog split into the contestants built on this machine and those that are not. */
export function contestantsBuilt(
  entries: readonly ContestantEntry[] = CONTESTANTS,
): { built: ContestantEntry[]; missing: ContestantEntry[] } {
  const built = entries.filter(isBuilt);
  return { built, missing: entries.filter((e) => !built.includes(e)) };
}

/**
 * Measures built contestants: package bytes and files (every file of the package folder), and
 * the toolchain that built it (as the build recorded it, else the language's on this machine).
 * @throws {Error} naming a contestant that is not built.
 */
export function measureContestants(
  entries: readonly ContestantEntry[] = CONTESTANTS,
): Contestant[] {
  return entries.map((e) => {
    if (!isBuilt(e)) {
      throw new Error(
        `Contestant ${e.id} is not built (${e.builtMarker} is missing). Run bash scripts/build-contestants.sh.`,
      );
    }
    const size = measurePackage(e.packagePath);
    const contestant: Contestant = {
      id: e.id,
      language: e.language,
      variant: e.variant,
      build: e.build,
      runtime: e.runtime,
      handler: e.handler,
      packagePath: e.packagePath,
      ...(e.environment === undefined ? {} : { environment: e.environment }),
      packageBytes: size.bytes,
      packageFiles: size.files,
      toolchain: recordedToolchain(e.id) ?? toolchainOf(e.language),
    };
    return contestant;
  });
}

function recordedToolchain(id: string): string | undefined {
  try {
    const line = readFileSync(join(TOOLCHAIN_DIR, id), "utf8").trim();
    return line === "" ? undefined : line;
  } catch {
    return undefined;
  }
}

/** Options of {@link ensureContestantsBuilt}. */
export interface EnsureBuiltOptions {
  /** Only these ids (their languages are built whole). @default every contestant */
  readonly ids?: readonly string[];
  /** Rebuild even what is up to date. @default false */
  readonly force?: boolean;
  /** Receives each line the script prints (its table, or a failing tool's log). */
  readonly onLine?: (line: string) => void;
}

/**
 * Runs `scripts/build-contestants.sh`, which builds what is missing or stale (seconds when
 * nothing changed; about two minutes from scratch with warm download caches, see
 * docs/contestants.md), and returns the measured contestants.
 * @throws {Error} when the script fails; its message holds the script's last lines.
 */
export async function ensureContestantsBuilt(
  options: EnsureBuiltOptions = {},
): Promise<Contestant[]> {
  const ids = options.ids ?? [];
  const wanted =
    ids.length === 0
      ? CONTESTANTS
      : CONTESTANTS.filter((c) => ids.includes(c.id));
  const unknown = ids.filter((id) => !CONTESTANTS.some((c) => c.id === id));
  if (unknown.length > 0) {
    throw new Error(`Unknown contestant ${unknown.join(", ")}.`);
  }
  const args = [
    CONTESTANTS_BUILD_SCRIPT,
    ...(options.force === true ? ["--force"] : []),
    ...ids,
  ];
  const tail: string[] = [];
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn("bash", args, {
      cwd: THAW_ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let pending = "";
    const onData = (chunk: Buffer): void => {
      pending += chunk.toString("utf8");
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) {
        tail.push(line);
        if (tail.length > 40) tail.shift();
        options.onLine?.(line);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("error", reject);
    child.on("close", (status) => {
      if (pending !== "") {
        tail.push(pending);
        options.onLine?.(pending);
      }
      resolve(status);
    });
  });
  if (code !== 0) {
    throw new Error(
      `scripts/build-contestants.sh failed (exit ${String(code)}):\n${tail.join("\n")}`,
    );
  }
  return measureContestants(wanted);
}
