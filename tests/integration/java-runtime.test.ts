/**
 * Java through the official runtime interface client: both handler styles Lambda supports,
 * `RequestHandler` (`pkg.Class::method`) and `RequestStreamHandler` (`pkg.Class`), and a handler
 * class that does not exist.
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { invokeOnce } from "../../src/app/invoke-once.js";
import { THAW_PATHS } from "../../src/config/paths.js";
import { assertNoLeaks } from "../support/leaks.js";

const JAVA = join(THAW_PATHS.fixtures, "java");

async function invoke(handler: string, payload: string) {
  const log: string[] = [];
  const result = await invokeOnce(
    {
      packagePath: JAVA,
      function: { functionName: "java-handlers", runtime: "java17", handler },
      payload: Buffer.from(payload),
    },
    { onLog: (line) => log.push(line) },
  );
  return { result, log };
}

after(async () => {
  await assertNoLeaks();
});

test("RequestStreamHandler receives the event bytes and its output is the response, byte for byte", async () => {
  const payload = '{"keep":null,  "spacing":[1, 2]}';
  const { result } = await invoke("thaw.fixture.StreamHandler", payload);
  assert.equal(result.functionError, false, result.body.toString());
  assert.equal(result.body.toString("utf8"), payload);
});

test("RequestStreamHandler errors come back as the client's error document", async () => {
  const { result } = await invoke(
    "thaw.fixture.StreamHandler",
    '{"action":"error"}',
  );
  assert.equal(result.functionError, true);
  assert.equal(
    (JSON.parse(result.body.toString("utf8")) as { errorMessage: string })
      .errorMessage,
    "fixture handled error",
  );
});

test("a handler class that does not exist is a function error naming the class", async () => {
  // The official client (2.x) reports a missing class on the first Invocation, not on /init/error.
  const { result } = await invoke("thaw.fixture.Missing::handleRequest", "{}");
  assert.equal(result.functionError, true);
  assert.deepEqual(JSON.parse(result.body.toString("utf8")), {
    errorMessage: "Class not found: thaw.fixture.Missing",
    errorType: "java.lang.ClassNotFoundException",
  });
});
