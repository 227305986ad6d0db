import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { invokeOnce } from "../../app/invoke-once.js";
import { THAW_ROOT } from "../../config/paths.js";
import {
  CONTESTANTS,
  contestantsBuilt,
  isBuilt,
  measureContestants,
} from "./contestants.js";

// The contestants are built by `bash scripts/build-contestants.sh` (about two minutes from
// scratch), which the set-up does not run: CI skips the invocations below unless it was run.
const NOT_BUILT =
  "not built: run `bash scripts/build-contestants.sh` first (scripts/setup.sh does not build the contestants; `thaw bench` does)";

const EVENT = { a: 1, nested: { list: [1, 2, 3], text: "thaw" } };
const EVENT_BYTES = JSON.stringify(EVENT);
const sha256 = (data: string | Buffer): string =>
  createHash("sha256").update(data).digest("hex");
const CONFIG_SHA256 = sha256(
  readFileSync(join(THAW_ROOT, "contestants", "config.json")),
);

test("contestants: the catalog has both variants of every language, unique ids, AppCDS by environment", () => {
  const ids = CONTESTANTS.map((c) => c.id);
  assert.equal(new Set(ids).size, ids.length);
  for (const language of ["c", "rust", "go", "nodejs", "python", "java"]) {
    for (const variant of ["hello", "realistic"]) {
      assert.ok(
        CONTESTANTS.some(
          (c) => c.language === language && c.variant === variant,
        ),
        `${language} ${variant}`,
      );
    }
  }
  for (const c of CONTESTANTS) {
    assert.ok(c.id.startsWith(`${c.language}-${c.variant}`), c.id);
    assert.equal(
      c.environment?.JAVA_TOOL_OPTIONS !== undefined,
      c.build === "appcds",
      c.id,
    );
  }
});

test("contestants: the built ones are measured (bytes, files, toolchain)", (t) => {
  const { built } = contestantsBuilt();
  if (built.length === 0) {
    t.skip(NOT_BUILT);
    return;
  }
  for (const c of measureContestants(built)) {
    assert.ok(c.packageBytes > 0, c.id);
    assert.ok(c.packageFiles >= 1, c.id);
    assert.notEqual(c.toolchain, "", c.id);
  }
});

for (const contestant of CONTESTANTS) {
  test(`contestants: ${contestant.id} runs under thaw and answers correctly`, async (t) => {
    if (!isBuilt(contestant)) {
      t.skip(NOT_BUILT);
      return;
    }
    const logs: string[] = [];
    const result = await invokeOnce(
      {
        packagePath: contestant.packagePath,
        function: {
          functionName: contestant.id,
          runtime: contestant.runtime,
          handler: contestant.handler,
          memorySize: 512,
          timeout: 30,
          ...(contestant.environment === undefined
            ? {}
            : { environment: contestant.environment }),
        },
        payload: Buffer.from(EVENT_BYTES),
      },
      { onLog: (line) => logs.push(line), initTimeoutMs: 30_000 },
    );
    const body = result.body.toString("utf8");
    assert.equal(result.functionError, false, `${body}\n${logs.join("\n")}`);
    const answer: unknown = JSON.parse(body);
    if (contestant.variant === "hello") {
      assert.deepEqual(answer, EVENT);
      return;
    }
    assert.deepEqual(answer, {
      language: contestant.language,
      region: "us-east-1",
      keys: 2,
      eventSha256: sha256(EVENT_BYTES),
      configSha256: CONFIG_SHA256,
    });
  });
}
