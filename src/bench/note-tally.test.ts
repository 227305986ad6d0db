/** The tally of thaw's notes on stderr: lines split across chunks, grouped by shape. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { NoteTally, notePattern } from "./note-tally.js";

const FROZEN =
  "soak-go:$LATEST:2: freeze of environment be8b8fca-f357-4c56-845d-d807636fe1ee failed: cgroup /sys/fs/cgroup/freezer/thaw-17294-20 did not become frozen within 100 ms";

void test("the pattern hides the pool, ids, paths and numbers", () => {
  assert.equal(
    notePattern(FROZEN),
    "<pool>: freeze of environment <id> failed: cgroup <path> did not become frozen within <n> ms",
  );
});

void test("counts notes by shape across chunk boundaries and ignores other lines", () => {
  const tally = new NoteTally();
  const other = FROZEN.replace("soak-go:$LATEST:2", "soak-rust:$LATEST:1")
    .replace("be8b8fca", "00000000")
    .replace("17294-20", "17294-21");
  const text = `[soak-go] START RequestId: x\nthaw: note: ${FROZEN}\nthaw: note: ${other}\nthaw: note: destroy of environment 1 failed`;
  tally.push(text.slice(0, 40));
  tally.push(text.slice(40, 200));
  tally.push(text.slice(200));
  // The last note has no newline yet: it counts all the same.
  assert.deepEqual(tally.groups(), [
    { pattern: notePattern(FROZEN), count: 2, example: FROZEN },
    {
      pattern: "destroy of environment <n> failed",
      count: 1,
      example: "destroy of environment 1 failed",
    },
  ]);
  assert.equal(tally.total, 3);
  tally.push("\n");
  assert.equal(tally.total, 3, "the completed line is not counted twice");
});
