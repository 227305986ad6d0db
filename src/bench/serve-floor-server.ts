/**
 * The serve benchmark's HTTP floor, run as its own process (`node serve-floor-server.js`): a
 * minimal `node:http` server on a loopback port that answers every request at once with 200 and
 * the request's body, as the Rust fixture echoes its event. One round trip to it is the cost of
 * one HTTP hop between two Node processes, with nothing else in the way. Prints
 * `floor: listening on http://127.0.0.1:PORT` once listening; exits on SIGTERM.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

// The same socket settings as thaw's servers: no Nagle delay, keep-alive connections kept open.
const server = createServer(
  { noDelay: true, keepAliveTimeout: 0, requestTimeout: 0 },
  (request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks);
      response.writeHead(200, {
        "content-type": "application/json",
        "content-length": body.length,
      });
      response.end(body);
    });
  },
);
server.listen(0, "127.0.0.1", () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`floor: listening on http://127.0.0.1:${port}\n`);
});
process.on("SIGTERM", () => {
  server.close();
  server.closeAllConnections();
});
