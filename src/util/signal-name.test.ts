import { test } from "node:test";
import assert from "node:assert/strict";
import { signalName } from "./signal-name.js";

test("signal numbers have their names; other numbers none", () => {
  assert.equal(signalName(9), "SIGKILL");
  assert.equal(signalName(15), "SIGTERM");
  assert.equal(signalName(0), undefined);
  assert.equal(signalName(200), undefined);
});
