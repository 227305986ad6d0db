/** The soak's client against a real server on port 0: answers, injected disconnects, timeouts. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { SoakHttpClient } from "./soak-http-client.js";

void test("answers, a disconnect the server sees, a client timeout, and the next call still works", async (t) => {
  const held: ServerResponse[] = [];
  const aborted: string[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      if (request.url === "/hold") {
        // Never answered: the client must give up on its own.
        held.push(response);
        response.once("close", () => {
          if (!response.writableFinished) aborted.push(request.url ?? "");
        });
        return;
      }
      response.end(Buffer.concat(chunks));
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  const client = new SoakHttpClient(`http://127.0.0.1:${String(port)}`, {
    maxSockets: 2,
  });
  t.after(async () => {
    client.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const echo = await client.post("/echo", Buffer.from('{"a":1}'));
  assert.equal(echo.outcome, "answered");
  assert.ok(echo.outcome === "answered");
  assert.equal(echo.reply.status, 200);
  assert.equal(echo.reply.body.toString(), '{"a":1}');

  const cut = await client.post("/hold", Buffer.from("{}"), {
    disconnectAfterMs: 0,
  });
  assert.equal(cut.outcome, "disconnected");
  const later = await client.post("/hold", Buffer.from("{}"), {
    disconnectAfterMs: 20,
  });
  assert.equal(later.outcome, "disconnected");
  assert.ok(later.latencyMs >= 19);

  const timedOut = await client.post("/hold", Buffer.from("{}"), {
    timeoutMs: 50,
  });
  assert.equal(timedOut.outcome, "timed out");

  // The server saw each cut socket close before it answered.
  const deadline = Date.now() + 2_000;
  while (aborted.length < 3 && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 5));
  assert.equal(aborted.length, 3);

  const after = await client.post("/echo", Buffer.from("again"));
  assert.ok(after.outcome === "answered");
  assert.equal(after.reply.body.toString(), "again");

  // A disconnect planned after the answer has arrived changes nothing.
  const quick = await client.post("/echo", Buffer.from("quick"), {
    disconnectAfterMs: 200,
  });
  assert.equal(quick.outcome, "answered");
});

void test("a refused connection is a failed call, never a rejection", async () => {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  const client = new SoakHttpClient(`http://127.0.0.1:${String(port)}`);
  const result = await client.post("/", Buffer.from("{}"));
  client.close();
  assert.equal(result.outcome, "failed");
  assert.ok(result.outcome === "failed");
  assert.match(result.message, /ECONNREFUSED/);
});
