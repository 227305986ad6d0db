import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { THAW_ROOT } from "../../config/paths.js";
import { answerProblem, cloneEvent } from "./snapstart-lab.js";
import type { Contestant } from "./war-results.js";

const contestant = (
  variant: Contestant["variant"],
  build?: string,
): Contestant => ({
  id: `go-${variant}`,
  language: "go",
  variant,
  build,
  runtime: "provided.al2023",
  handler: "bootstrap",
  packagePath: "/nowhere",
  packageBytes: 1,
  packageFiles: 1,
  toolchain: "synthetic",
});

const sha256 = (data: string | Buffer): string =>
  createHash("sha256").update(data).digest("hex");

test("every clone gets an event of its own, as compact JSON", () => {
  assert.equal(cloneEvent(7).toString(), '{"war":"snapstart","clone":7}');
  assert.notDeepEqual(cloneEvent(1), cloneEvent(2));
});

test("a hello contestant must echo its event, in any JSON spacing", () => {
  const hello = contestant("hello");
  const event = cloneEvent(3);
  assert.equal(answerProblem(hello, event, event), undefined);
  assert.equal(
    answerProblem(
      hello,
      event,
      Buffer.from('{"war": "snapstart", "clone": 3}'),
    ),
    undefined,
  );
  assert.match(
    answerProblem(hello, event, cloneEvent(4)) ?? "",
    /^answered \{"war":"snapstart","clone":4\}, expected/,
  );
  assert.match(
    answerProblem(hello, event, Buffer.from("oops")) ?? "",
    /^not JSON: oops/,
  );
});

test("a realistic contestant must answer its language, the event's keys and digest, its config's digest", () => {
  const realistic = contestant("realistic");
  const event = cloneEvent(5);
  const answer = {
    language: "go",
    region: "us-east-1",
    keys: 2,
    eventSha256: sha256(event),
    configSha256: sha256(
      readFileSync(join(THAW_ROOT, "contestants", "config.json")),
    ),
  };
  assert.equal(
    answerProblem(realistic, event, Buffer.from(JSON.stringify(answer))),
    undefined,
  );
  assert.ok(
    answerProblem(
      realistic,
      cloneEvent(6),
      Buffer.from(JSON.stringify(answer)),
    ) !== undefined,
    "the digest of another clone's event",
  );
});

test("the user's own function is only required to succeed", () => {
  assert.equal(
    answerProblem(
      contestant("hello", "--function"),
      cloneEvent(1),
      Buffer.from("anything"),
    ),
    undefined,
  );
});
