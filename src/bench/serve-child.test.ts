/**
 * A server child from its "listening on" line to SIGTERM, with the benchmark's floor servers as the
 * children: they answer (the relay floor through the Rust fixture, built by the set-up), report
 * their memory, and exit 0; a child that dies or stays silent fails the start and is not left
 * behind.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { THAW_ROOT } from "../config/paths.js";
import { assertNoLeaks } from "../../tests/support/leaks.js";
import { ServeChild } from "./serve-child.js";
import { ServeHttpClient } from "./serve-http-client.js";

const BENCH_DIR = join(THAW_ROOT, "dist", "src", "bench");
const FLOOR_SERVER = join(BENCH_DIR, "serve-floor-server.js");
const RELAY_FLOOR = join(BENCH_DIR, "serve-relay-floor.js");

after(async () => {
  await assertNoLeaks();
});

void test("the floor server echoes, reports its RSS and exits 0 on SIGTERM", async (t) => {
  const child = await ServeChild.start(process.execPath, [FLOOR_SERVER], {
    label: "floor server",
  });
  t.after(() => child.kill());
  assert.equal(child.state, "running");
  assert.match(child.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.ok(child.startupMs > 0);
  const client = new ServeHttpClient(child.url);
  const reply = await client.post("/", Buffer.from('{"x":1}'));
  client.close();
  assert.equal(reply.status, 200);
  assert.equal(reply.body.toString(), '{"x":1}');
  assert.ok((await child.rssKiB()) > 1024, "a Node process holds over 1 MiB");

  const exit = await child.stop();
  assert.equal(exit.exitCode, 0);
  assert.equal(exit.killed, false);
  assert.equal(child.state, "exited");
  assert.equal(await child.stop(), exit, "stop() is idempotent");
});

void test("the relay floor answers through the Rust Runtime, one call per Runtime at a time", async (t) => {
  const child = await ServeChild.start(
    process.execPath,
    [RELAY_FLOOR, "--runtimes", "2"],
    { label: "relay floor" },
  );
  t.after(() => child.kill());
  const client = new ServeHttpClient(child.url, { maxSockets: 3 });
  // Three calls for two Runtimes: the third waits for a Runtime to come back to /next.
  const replies = await Promise.all(
    [1, 2, 3].map((n) => client.post("/", Buffer.from(`{"n":${n}}`))),
  );
  client.close();
  assert.deepEqual(
    replies.map((reply) => [reply.status, reply.body.toString()]),
    [
      [200, '{"n":1}'],
      [200, '{"n":2}'],
      [200, '{"n":3}'],
    ],
  );
  const exit = await child.stop();
  assert.equal(exit.exitCode, 0);
});

void test("a child that exits before listening fails the start", async () => {
  await assert.rejects(
    ServeChild.start(
      process.execPath,
      ["-e", "process.stderr.write('bad flag'); process.exit(2)"],
      { label: "broken server" },
    ),
    /broken server exited \(2\) before listening: bad flag/,
  );
});

void test("a silent child is killed when the start times out", async () => {
  await assert.rejects(
    ServeChild.start(process.execPath, ["-e", "setInterval(() => {}, 1000)"], {
      label: "silent server",
      startTimeoutMs: 300,
    }),
    /silent server printed no "listening on" line in 300 ms/,
  );
});

void test("onStderr receives what the child writes on stderr", async () => {
  const chunks: string[] = [];
  const child = await ServeChild.start(
    process.execPath,
    [
      "-e",
      "process.stderr.write('note one\\n'); process.stdout.write('listening on http://127.0.0.1:1\\n'); setInterval(() => {}, 1000)",
    ],
    {
      label: "chatty server",
      onStderr: (chunk) => {
        chunks.push(chunk);
      },
    },
  );
  try {
    const deadline = Date.now() + 3_000;
    while (!chunks.join("").includes("note one") && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 10));
    assert.match(chunks.join(""), /note one\n/);
    assert.match(child.stderr, /note one/);
  } finally {
    await child.kill();
  }
});
