import { test } from "node:test";
import assert from "node:assert/strict";
import { LineSplitter } from "./line-splitter.js";

function split(chunks: readonly (string | Buffer)[]): string[] {
  const lines: string[] = [];
  const splitter = new LineSplitter((line) => lines.push(line));
  for (const chunk of chunks)
    splitter.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  splitter.end();
  return lines;
}

void test("splits on newlines, keeping empty lines and a last line without newline", () => {
  assert.deepEqual(split(["a\nb\n\nc"]), ["a", "b", "", "c"]);
  assert.deepEqual(split(["a\n"]), ["a"]);
  assert.deepEqual(split([]), []);
});

void test("joins a line spread over many chunks", () => {
  assert.deepEqual(split(["hel", "lo ", "wor", "ld\nnext", "\n"]), [
    "hello world",
    "next",
  ]);
});

void test("keeps a multi-byte character split across chunks", () => {
  const bytes = Buffer.from("größe €\n");
  const chunks = [...bytes].map((byte) => Buffer.from([byte]));
  assert.deepEqual(split(chunks), ["größe €"]);
});

void test("handles a very long line in linear time", () => {
  const chunk = "x".repeat(64 * 1024);
  const chunks = Array.from({ length: 1024 }, () => chunk); // 64 MiB in one line
  const startedAt = performance.now();
  const [line, ...rest] = split([...chunks, "\n"]);
  assert.equal(line?.length, 64 * 1024 * 1024);
  assert.deepEqual(rest, []);
  assert.ok(performance.now() - startedAt < 5000);
});

void test("end() is idempotent", () => {
  const lines: string[] = [];
  const splitter = new LineSplitter((line) => lines.push(line));
  splitter.push(Buffer.from("tail"));
  splitter.end();
  splitter.end();
  assert.deepEqual(lines, ["tail"]);
});
