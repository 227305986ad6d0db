/**
 * The generated programs of scenario (e): a Go program of N packages and a Rust program of N
 * modules, each package or module doing init-time work (a 256-entry table computed by a function
 * from a seed read at run time, so no compiler can fold it away), all summed by `main` before the
 * official runtime client starts. Built with the contestants' flags into `.thaw/war/code-size/`,
 * once per size: a later run finds the binary and builds nothing.
 */
import { execFile } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { THAW_ROOT } from "../../config/paths.js";

const run = promisify(execFile);

/** Bump when the generated source changes, so that old builds are not reused. */
const GENERATOR_VERSION = 1;

/** A built generated program. */
export interface GeneratedProgram {
  readonly language: "go" | "rust";
  readonly modules: number;
  /** Folder holding the `bootstrap`: the function package. */
  readonly packagePath: string;
  readonly bootstrap: string;
}

/** The Go source files of a program of `modules` packages: path → text. */
export function goProgramFiles(modules: number): Map<string, string> {
  const files = new Map<string, string>();
  const imports: string[] = [];
  const sums: string[] = [];
  for (let i = 0; i < modules; i += 1) {
    const name = `p${String(i)}`;
    imports.push(`\t"war/codesize/${name}"`);
    sums.push(`\tsum += ${name}.Checksum()`);
    files.set(
      join(name, `${name}.go`),
      `// Package ${name} is generated: init-time work, as a dependency's package-level state.
package ${name}

import "os"

var table = build(uint32(len(os.Getenv("AWS_LAMBDA_FUNCTION_NAME"))) + ${String(i * 7919 + 1)})

func build(seed uint32) [256]uint32 {
\tvar t [256]uint32
\tx := seed
\tfor i := range t {
\t\tx ^= x << 13
\t\tx ^= x >> 17
\t\tx ^= x << 5
\t\tt[i] = x * ${String((i % 251) + 3)}
\t}
\treturn t
}

// Checksum sums the table.
func Checksum() uint64 {
\tvar s uint64
\tfor _, v := range table {
\t\ts += uint64(v)
\t}
\treturn s
}
`,
    );
  }
  files.set(
    "main.go",
    `// Command bootstrap is generated: ${String(modules)} packages with init-time work, then the Go runtime client.
package main

import (
\t"context"

\t"github.com/aws/aws-lambda-go/lambda"
${imports.join("\n")}
)

var checksum = func() uint64 {
\tvar sum uint64
${sums.join("\n")}
\treturn sum
}()

func handle(ctx context.Context, event map[string]any) (map[string]any, error) {
\treturn map[string]any{"checksum": checksum, "event": event}, nil
}

func main() {
\tlambda.Start(handle)
}
`,
  );
  files.set(
    "go.mod",
    `module war/codesize

go 1.26

require github.com/aws/aws-lambda-go v1.55.1
`,
  );
  return files;
}

/** The Rust source files of a program of `modules` modules: path → text. */
export function rustProgramFiles(modules: number): Map<string, string> {
  const files = new Map<string, string>();
  const mods: string[] = [];
  const sums: string[] = [];
  for (let i = 0; i < modules; i += 1) {
    const name = `m${String(i)}`;
    mods.push(`mod ${name};`);
    sums.push(`    sum = sum.wrapping_add(${name}::checksum(seed));`);
    files.set(
      join("src", `${name}.rs`),
      `//! Generated: init-time work, as a dependency's start-up state.
use std::sync::OnceLock;

static TABLE: OnceLock<[u32; 256]> = OnceLock::new();

fn build(seed: u32) -> [u32; 256] {
    let mut t = [0u32; 256];
    let mut x = seed.wrapping_add(${String(i * 7919 + 1)});
    for v in t.iter_mut() {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        *v = x.wrapping_mul(${String((i % 251) + 3)});
    }
    t
}

pub fn checksum(seed: u32) -> u64 {
    TABLE.get_or_init(|| build(seed)).iter().map(|&v| u64::from(v)).sum()
}
`,
    );
  }
  files.set(
    join("src", "main.rs"),
    `//! Generated: ${String(modules)} modules with init-time work, then the Rust runtime client.
${mods.join("\n")}

use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::{json, Value};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let seed = std::env::var("AWS_LAMBDA_FUNCTION_NAME").map_or(0, |v| v.len() as u32);
    let mut sum: u64 = 0;
${sums.join("\n")}
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        Ok::<Value, Error>(json!({ "checksum": sum, "event": event.payload }))
    }))
    .await
}
`,
  );
  files.set(
    "Cargo.toml",
    `[package]
name = "war-codesize"
version = "0.1.0"
edition = "2021"
publish = false

[[bin]]
name = "bootstrap"
path = "src/main.rs"

[dependencies]
lambda_runtime = "=1.5.0"
serde_json = "1.0.154"
tokio = { version = "1.54.1", features = ["macros", "rt-multi-thread"] }

[profile.release]
opt-level = 3
lto = true
codegen-units = 1
panic = "abort"
strip = true
`,
  );
  return files;
}

function writeTree(root: string, files: ReadonlyMap<string, string>): void {
  rmSync(root, { recursive: true, force: true });
  for (const [path, text] of files) {
    const full = join(root, path);
    mkdirSync(join(full, ".."), { recursive: true });
    writeFileSync(full, text);
  }
}

/**
 * Builds (or finds already built) the `language` program of `modules` modules.
 * @throws {Error} with the compiler's output when the build fails.
 */
export async function buildGeneratedProgram(
  language: "go" | "rust",
  modules: number,
  workDir: string,
): Promise<GeneratedProgram> {
  const base = join(workDir, "code-size", `v${String(GENERATOR_VERSION)}`);
  const packagePath = join(base, `${language}-${String(modules)}`, "package");
  const bootstrap = join(packagePath, "bootstrap");
  const program = { language, modules, packagePath, bootstrap };
  if (existsSync(bootstrap)) return program;
  const source = join(base, `${language}-${String(modules)}`, "source");
  mkdirSync(packagePath, { recursive: true });
  try {
    if (language === "go") {
      writeTree(source, goProgramFiles(modules));
      // The fixture's go.sum pins the runtime client the set-up already downloaded.
      copyFileSync(
        join(THAW_ROOT, "tests", "fixtures", "functions", "go", "go.sum"),
        join(source, "go.sum"),
      );
      await run(
        "go",
        [
          "build",
          "-tags",
          "lambda.norpc",
          "-ldflags",
          "-s -w",
          "-trimpath",
          "-o",
          `${bootstrap}.tmp`,
          ".",
        ],
        {
          cwd: source,
          env: {
            ...process.env,
            CGO_ENABLED: "0",
            GOTOOLCHAIN: "local",
            GOFLAGS: "-buildvcs=false",
          },
          maxBuffer: 16 * 1024 * 1024,
        },
      );
    } else {
      writeTree(source, rustProgramFiles(modules));
      // The fixture's lock file pins the crates the set-up already downloaded.
      copyFileSync(
        join(THAW_ROOT, "tests", "fixtures", "functions", "rust", "Cargo.lock"),
        join(source, "Cargo.lock"),
      );
      const host = (await run("rustc", ["-vV"])).stdout.match(
        /^host: (.+)$/m,
      )?.[1];
      if (host === undefined) throw new Error("rustc -vV names no host");
      const target = join(workDir, "code-size", "cargo-target");
      await run(
        "cargo",
        [
          "build",
          "--release",
          "--target",
          host,
          "--manifest-path",
          join(source, "Cargo.toml"),
        ],
        {
          env: {
            ...process.env,
            RUSTFLAGS: "-C target-feature=+crt-static",
            CARGO_TARGET_DIR: target,
          },
          maxBuffer: 16 * 1024 * 1024,
        },
      );
      copyFileSync(
        join(target, host, "release", "bootstrap"),
        `${bootstrap}.tmp`,
      );
    }
  } catch (error) {
    const stderr = (error as { stderr?: unknown }).stderr;
    throw new Error(
      `building the ${language} program of ${String(modules)} modules failed: ${typeof stderr === "string" ? stderr.slice(-1500) : String(error)}`,
      { cause: error },
    );
  }
  await run("chmod", ["0755", `${bootstrap}.tmp`]);
  await run("mv", ["-f", `${bootstrap}.tmp`, bootstrap]);
  return program;
}
