/** The benchmark's HTTP client against a real server on port 0: bodies, headers, keep-alive. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { ServeHttpClient } from "./serve-http-client.js";

void test("POST, GET and DELETE over one kept-alive connection", async (t) => {
  const seen: {
    method: string;
    url: string;
    headers: IncomingHttpHeaders;
    body: string;
  }[] = [];
  let connections = 0;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks).toString();
      seen.push({
        method: request.method ?? "",
        url: request.url ?? "",
        headers: request.headers,
        body,
      });
      response.writeHead(request.method === "DELETE" ? 204 : 200, {
        "x-echo": request.method,
      });
      response.end(request.method === "DELETE" ? undefined : `got ${body}`);
    });
  });
  server.on("connection", () => (connections += 1));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const client = new ServeHttpClient(`http://127.0.0.1:${port}`, {
    maxSockets: 1,
  });
  t.after(async () => {
    client.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const posted = await client.post("/echo", Buffer.from('{"a":1}'), {
    headers: { "x-amz-invocation-type": "RequestResponse" },
  });
  assert.equal(posted.status, 200);
  assert.equal(posted.headers["x-echo"], "POST");
  assert.equal(posted.body.toString(), 'got {"a":1}');
  const got = await client.get("/status", {
    headers: { accept: "application/json" },
  });
  assert.equal(got.body.toString(), "got ");
  const deleted = await client.delete("/fn");
  assert.equal(deleted.status, 204);
  assert.equal(deleted.body.length, 0);

  assert.deepEqual(
    seen.map((s) => `${s.method} ${s.url}`),
    ["POST /echo", "GET /status", "DELETE /fn"],
  );
  assert.equal(seen[0]?.headers["content-type"], "application/json");
  assert.equal(seen[0]?.headers["content-length"], "7");
  assert.equal(seen[0]?.headers["x-amz-invocation-type"], "RequestResponse");
  assert.equal(seen[1]?.headers.accept, "application/json");
  assert.equal(connections, 1, "every call reused the first connection");
});

void test("a refused connection rejects; a non-http origin is a TypeError", async () => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  const client = new ServeHttpClient(`http://127.0.0.1:${port}`);
  await assert.rejects(client.get("/"), { code: "ECONNREFUSED" });
  client.close();
  assert.throws(() => new ServeHttpClient("https://example.com"), TypeError);
});
