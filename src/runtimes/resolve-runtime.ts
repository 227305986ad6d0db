/**
 * How to start a function's Runtime on this machine (spec §3.3): the `bootstrap` of a `provided`
 * function, or an interpreter plus thaw's managed runtime for Node.js and Python, or the official
 * Java runtime interface client. When the exact language version is missing, the nearest one runs
 * and {@link RuntimeLaunch.note} says so.
 */
import { accessSync, constants, existsSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import type { FunctionConfig } from "../config/function-config.js";
import type { RuntimeDescriptor } from "../config/runtimes.js";
import { InvalidPackageError, RuntimeUnavailableError } from "../errors/usage-errors.js";
import { findInterpreters, languageVersion, type Interpreter } from "./interpreters.js";

/** The program to run and the family-specific environment it needs. */
export interface RuntimeLaunch {
  readonly command: string;
  readonly args: readonly string[];
  /** Variables the family adds (PATH, NODE_PATH, PYTHONPATH, AWS_EXECUTION_ENV…). */
  readonly env: Readonly<Record<string, string>>;
  /** The interpreter used, or undefined for a `bootstrap`. */
  readonly interpreter: Interpreter | undefined;
  /** Set when the requested language version is not installed and another one runs instead. */
  readonly note: string | undefined;
  /** For `INIT_START`: `nodejs:20.v20.20.2`, `provided:al2023`… */
  readonly runtimeVersion: string;
  /**
   * Host folders the Runtime reads besides the task root and the system's own (`/usr`, `/etc`):
   * the interpreter's installation and thaw's managed runtime or the Java client. A sandbox that
   * hides the host shows these, read-only.
   */
  readonly readOnlyPaths: readonly string[];
}

/** Options of {@link resolveRuntime}. */
export interface ResolveRuntimeOptions {
  /** thaw's managed runtimes folder (holding `nodejs/` and `python/`). */
  readonly runtimesDir: string;
  /** Folder of the Java runtime interface client: its jars in `lib/`, its JNI library in `jni/`. */
  readonly javaClientDir: string;
  /** Folder of the extra Node.js versions installed by the set-up. */
  readonly toolchainsDir: string;
}

let interpreterCache: { key: string; interpreters: Interpreter[] } | undefined;

/**
 * Resolves how to start `config`'s Runtime for the package at `taskRoot`.
 * @throws {InvalidPackageError} when a `provided` package has no executable `bootstrap`.
 * @throws {RuntimeUnavailableError} when no interpreter of the family exists here.
 */
export function resolveRuntime(config: FunctionConfig, taskRoot: string, options: ResolveRuntimeOptions): RuntimeLaunch {
  const runtime = config.runtime;
  switch (runtime.family) {
    case "provided":
      return {
        command: findBootstrap(taskRoot, runtime.id),
        args: [],
        env: {},
        interpreter: undefined,
        note: undefined,
        runtimeVersion: `provided:${runtime.id.slice("provided.".length)}`,
        readOnlyPaths: [],
      };
    case "nodejs": {
      const { interpreter, note } = pick(runtime, options);
      const maxOldSpace = Math.floor((config.memorySize * 90) / 100);
      return {
        command: interpreter.path,
        // AWS's Node.js bootstrap sizes the old generation to 90 % of the function's memory.
        args: [`--max-old-space-size=${maxOldSpace}`, join(options.runtimesDir, "nodejs", "index.mjs"), config.handler],
        env: {
          AWS_EXECUTION_ENV: `AWS_Lambda_${runtime.id}`,
          NODE_PATH: `/opt/nodejs/node${runtime.version}/node_modules:/opt/nodejs/node_modules:${join(options.runtimesDir, "nodejs", "node_modules")}`,
        },
        interpreter,
        note,
        runtimeVersion: `nodejs:${runtime.version}.v${interpreter.version}`,
        readOnlyPaths: [installation(interpreter), join(options.runtimesDir, "nodejs")],
      };
    }
    case "python": {
      const { interpreter, note } = pick(runtime, options);
      const pythonDir = join(options.runtimesDir, "python");
      return {
        command: interpreter.path,
        args: [join(pythonDir, "bootstrap.py"), config.handler],
        env: { AWS_EXECUTION_ENV: `AWS_Lambda_${runtime.id}`, PYTHONPATH: pythonDir },
        interpreter,
        note,
        runtimeVersion: `python:${runtime.version}.v${interpreter.version}`,
        readOnlyPaths: [installation(interpreter), pythonDir],
      };
    }
    case "java": {
      const { interpreter, note } = pick(runtime, options);
      const jars = join(options.javaClientDir, "lib");
      if (!existsSync(jars)) {
        throw new RuntimeUnavailableError(
          `The Java runtime interface client is not installed (${jars} is missing). Run scripts/setup.sh to fetch it from Maven Central.`,
        );
      }
      // Flags of AWS's Java bootstrap that matter for start-up: client compiler only, serial GC,
      // class-data sharing, heap sized from MemorySize.
      const maxHeap = Math.floor((config.memorySize * 85) / 100);
      return {
        command: interpreter.path,
        args: [
          "-XX:+TieredCompilation",
          "-XX:TieredStopAtLevel=1",
          "-XX:+UseSerialGC",
          "-Xshare:auto",
          `-XX:MaxHeapSize=${maxHeap}m`,
          "-Djava.net.preferIPv4Stack=true",
          // CRaC's API (org.crac), with which functions register SnapStart hooks, drives the
          // client's own CRaC context, as on AWS.
          "-Dorg.crac.Core.Compat=com.amazonaws.services.lambda.crac",
          // The client otherwise unpacks its JNI library to one fixed path in /tmp on every start,
          // which concurrent environments would share; the set-up unpacks it once.
          `-Dcom.amazonaws.services.lambda.runtime.api.client.runtimeapi.NativeClient.JNI=${join(options.javaClientDir, "jni", "libaws-lambda-jni.so")}`,
          "-cp",
          `${jars}/*`,
          "com.amazonaws.services.lambda.runtime.api.client.AWSLambda",
          config.handler,
        ],
        env: { AWS_EXECUTION_ENV: `AWS_Lambda_${runtime.id}` },
        interpreter,
        note,
        runtimeVersion: `java:${runtime.version}.v${interpreter.version}`,
        readOnlyPaths: [installation(interpreter), options.javaClientDir],
      };
    }
  }
}

/** The folder an interpreter is installed in: `<prefix>` of `<prefix>/bin/<program>`. */
function installation(interpreter: Interpreter): string {
  return dirname(dirname(interpreter.path));
}

function findBootstrap(taskRoot: string, runtimeId: string): string {
  const path = join(taskRoot, "bootstrap");
  let isFile = false;
  try {
    isFile = statSync(path).isFile();
  } catch {
    // reported below
  }
  if (!isFile) {
    throw new InvalidPackageError(
      "missing-bootstrap",
      `The package has no file named 'bootstrap' at its root (${taskRoot}). A ${runtimeId} function must contain an executable called bootstrap: build your Rust or Go binary under that name (cargo lambda build, or go build -o bootstrap).`,
    );
  }
  try {
    accessSync(path, constants.X_OK);
  } catch (error) {
    throw new InvalidPackageError(
      "bootstrap-not-executable",
      `The package's bootstrap (${path}) is not executable. Set its execute bit (chmod 755 bootstrap) before zipping it.`,
      { cause: error },
    );
  }
  return path;
}

function pick(runtime: RuntimeDescriptor, options: ResolveRuntimeOptions): { interpreter: Interpreter; note: string | undefined } {
  const candidates = interpreters(options).filter((interpreter) => interpreter.family === runtime.family);
  const exact = candidates.find((interpreter) => languageVersion(interpreter) === runtime.version);
  if (exact !== undefined) return { interpreter: exact, note: undefined };
  const wanted = versionNumber(runtime.version);
  // Prefer the closest newer version (it runs older code), then the closest older one.
  const ordered = [...candidates].sort((a, b) => distance(a, wanted) - distance(b, wanted));
  const chosen = ordered[0];
  if (chosen === undefined) {
    throw new RuntimeUnavailableError(
      `No ${runtime.family} interpreter was found on this machine for ${runtime.id}. Install ${runtime.family} ${runtime.version} (scripts/setup.sh installs what thaw needs).`,
    );
  }
  const hint = runtime.family === "nodejs" ? " (scripts/setup.sh installs Node.js 22 and 24 from npm)" : "";
  return {
    interpreter: chosen,
    note: `${runtime.id}: ${runtime.family} ${runtime.version} is not installed here${hint}; running ${runtime.family} ${chosen.version} (${chosen.path}) instead.`,
  };
}

function distance(interpreter: Interpreter, wanted: number): number {
  const have = versionNumber(languageVersion(interpreter));
  return have >= wanted ? have - wanted : 1000 + (wanted - have);
}

/** `3.12` → 3.012, `21` → 21: comparable numbers for language versions. */
function versionNumber(version: string): number {
  const [major = "0", minor = "0"] = version.split(".");
  return Number(major) + Number(minor) / 1000;
}

function interpreters(options: ResolveRuntimeOptions): Interpreter[] {
  const key = options.toolchainsDir;
  if (interpreterCache?.key !== key) {
    interpreterCache = { key, interpreters: findInterpreters({ toolchainsDir: options.toolchainsDir }) };
  }
  return interpreterCache.interpreters;
}
