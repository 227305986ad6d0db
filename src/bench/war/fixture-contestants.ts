/**
 * The war's contestants when the catalog (`contestants.ts`) is not there: the conformance fixtures
 * the set-up builds, one per language, as *hello* contestants (each returns its input). Also how a
 * contestant's package is measured and its toolchain's version read, for any package.
 */
import { spawnSync } from "node:child_process";
import { lstatSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { FIXTURE_FUNCTIONS } from "../../app/demo.js";
import type { Contestant, Language } from "./war-results.js";

/** Bytes and file count of a package: every regular file under a folder, or the file itself. */
export function measurePackage(path: string): {
  bytes: number;
  files: number;
} {
  const top = statSync(path);
  if (!top.isDirectory()) return { bytes: top.size, files: 1 };
  let bytes = 0;
  let files = 0;
  const pending = [path];
  for (let dir = pending.pop(); dir !== undefined; dir = pending.pop()) {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) pending.push(full);
      else if (entry.isFile()) {
        bytes += lstatSync(full).size;
        files += 1;
      }
    }
  }
  return { bytes, files };
}

/** The first line a command prints (stdout, else stderr: `java -version`), or `unknown`. */
function firstLine(command: string, args: readonly string[]): string {
  const run = spawnSync(command, args, {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 10_000,
  });
  if (run.error !== undefined || run.status !== 0) return "unknown";
  const text = run.stdout.trim() === "" ? run.stderr : run.stdout;
  return text.split("\n")[0]?.trim() ?? "unknown";
}

/** The language's version as its toolchain reports it, read once per language. */
const toolchains = new Map<Language, string>();

/** The version of `language`'s toolchain on this machine (e.g. `rustc 1.95.0 (…)`). */
export function toolchainOf(language: Language): string {
  let found = toolchains.get(language);
  if (found === undefined) {
    found = readToolchain(language);
    toolchains.set(language, found);
  }
  return found;
}

function readToolchain(language: Language): string {
  switch (language) {
    case "rust":
      return firstLine("rustc", ["--version"]);
    case "go":
      return firstLine("go", ["version"]);
    case "nodejs":
      return `node ${process.version}`;
    case "python":
      return firstLine("/usr/bin/python3", ["--version"]);
    case "java":
      return firstLine("java", ["-version"]);
    case "c":
      return firstLine("gcc", ["--version"]);
  }
}

const FIXTURE_LANGUAGE: Readonly<
  Record<(typeof FIXTURE_FUNCTIONS)[number]["language"], Language>
> = {
  rust: "rust",
  go: "go",
  java: "java",
  node: "nodejs",
  python: "python",
};

/** The conformance fixtures as hello contestants (`rust-hello`, `go-hello`…), in the demo's order. */
export function fixtureContestants(): Contestant[] {
  return FIXTURE_FUNCTIONS.map((fixture) => {
    const language = FIXTURE_LANGUAGE[fixture.language];
    const size = measurePackage(fixture.packagePath);
    return {
      id: `${language}-hello`,
      language,
      variant: "hello",
      build: "fixture",
      runtime: fixture.runtime,
      handler: fixture.handler,
      packagePath: fixture.packagePath,
      packageBytes: size.bytes,
      packageFiles: size.files,
      toolchain: toolchainOf(language),
    };
  });
}
