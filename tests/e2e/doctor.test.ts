/**
 * `thaw doctor`, end to end: the built CLI reports every sandbox Backend, as text and as JSON, and
 * exits 0 whether or not they work here.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { describe, test } from "node:test";
import { promisify } from "node:util";
import { THAW_ROOT } from "../../src/config/paths.js";
import { assertNoLeaks } from "../support/leaks.js";

const THAW = join(THAW_ROOT, "bin", "thaw.js");
const run = promisify(execFile);

interface DoctorReport {
  readonly backends: readonly {
    readonly name: string;
    readonly available: boolean;
    readonly notes: readonly string[];
    readonly criu?: { readonly version?: string };
  }[];
}

describe("thaw doctor", () => {
  test("--json reports process, namespace and snapshot, with notes", async (t) => {
    t.after(assertNoLeaks);
    const { stdout } = await run(process.execPath, [THAW, "doctor", "--json"]);
    const report = JSON.parse(stdout) as DoctorReport;
    assert.deepEqual(report.backends.map((b) => b.name).sort(), [
      "namespace",
      "process",
      "snapshot",
    ]);
    for (const backend of report.backends) {
      assert.equal(typeof backend.available, "boolean");
      assert.ok(backend.notes.length > 0, `${backend.name} has no notes`);
    }
    const snapshot = report.backends.find((b) => b.name === "snapshot");
    assert.ok(snapshot?.criu !== undefined);
  });

  test("prints one verdict per backend and exits 0", async () => {
    const { stdout } = await run(process.execPath, [THAW, "doctor"]);
    for (const name of ["process", "namespace", "snapshot"])
      assert.match(
        stdout,
        new RegExp(
          `^${name}( \\(default\\))?: (works|does not work here)$`,
          "m",
        ),
      );
  });
});
