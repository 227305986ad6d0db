import { test } from "node:test";
import assert from "node:assert/strict";
import { goProgramFiles, rustProgramFiles } from "./generated-programs.js";

test("a generated Go program has one package per module, each used by main", () => {
  const files = goProgramFiles(3);
  assert.deepEqual([...files.keys()].sort(), [
    "go.mod",
    "main.go",
    "p0/p0.go",
    "p1/p1.go",
    "p2/p2.go",
  ]);
  const main = files.get("main.go") ?? "";
  for (const name of ["p0", "p1", "p2"]) {
    assert.ok(main.includes(`"war/codesize/${name}"`));
    assert.ok(main.includes(`sum += ${name}.Checksum()`));
  }
  // Init-time work: a package-level variable initialised by a function call.
  assert.match(files.get("p1/p1.go") ?? "", /^var table = build\(/m);
  assert.match(main, /lambda\.Start\(handle\)/);
});

test("a generated Rust program has one module per module, each forced by main before the runtime", () => {
  const files = rustProgramFiles(2);
  assert.deepEqual([...files.keys()].sort(), [
    "Cargo.toml",
    "src/m0.rs",
    "src/m1.rs",
    "src/main.rs",
  ]);
  const main = files.get("src/main.rs") ?? "";
  assert.match(main, /^mod m0;\nmod m1;$/m);
  assert.ok(
    main.indexOf("m1::checksum(seed)") < main.indexOf("lambda_runtime::run"),
  );
  const cargo = files.get("Cargo.toml") ?? "";
  for (const flag of [
    "opt-level = 3",
    "lto = true",
    'panic = "abort"',
    "strip = true",
    "codegen-units = 1",
  ])
    assert.ok(cargo.includes(flag), flag);
});
